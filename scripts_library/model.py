"""The library's data model: entries, per-situation caller triggers and IVR choice lists."""

from __future__ import annotations

from dataclasses import dataclass, field

#: S1–S9: the complaint situations of seed 000 篇二 docs/handbook.md
SITUATIONS: dict[str, str] = {
    "S1": "line hard to get through, slow answer",
    "S2": "caller is angry and abusive",
    "S3": "caller says the agent is slow or inexperienced",
    "S4": "complaint about another agent's attitude",
    "S5": "complaint about another agent's mistake",
    "S6": "complaint about the agent's own mistake",
    "S7": "caller insists on a manager / complains about the agent",
    "S8": "complaint that cannot be answered on the spot",
    "S9": "closing after taking a complaint",
}
#: handbook rules whose texts are IVR / outbound prompts docs/handbook.md H1–H26)
PROMPT_RULES: dict[str, str] = {
    "H1": "greeting", "H2": "apology opener", "H3": "reassurance while waiting", "H4": "after hours",
    "H5": "emergency", "H6": "surname and district", "H8": "confirm key points",
    "H9": "call-back offer", "H10": "closing", "H11": "manager transfer", "H13": "menu",
    "H14": "case opened", "H16": "repair satisfaction call-back", "H17": "complaint call-back",
    "H18": "survey questions", "H19": "survey answers", "H20": "outbound script lines",
    "H21": "outage notice", "H22": "fee reminders",
}
RULE_IDS = frozenset({f"S{i}" for i in range(1, 10)} | {f"H{i}" for i in range(1, 27)})
KINDS = ("approved", "forbidden", "prompt")
LOCALES = ("zh-CN", "en")

#: every placeholder a text may use (lint rejects others)
ALLOWED_PLACEHOLDERS = frozenset({
    "title", "hours", "agent_id", "company", "department", "position", "wait_minutes", "surname",
    "date", "issue", "result", "amount", "due_date", "area", "start", "end", "open_hours",
    # the IVR's own lines (prompts_ivr.yaml)
    "numbers", "agent_code", "last_digits", "option", "wait_s", "apology",
})


@dataclass(frozen=True, slots=True)
class Where:
    """File and 1-based line of a YAML node, for lint messages."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One text of the library (one locale).

    ``id`` is shared by the locale twins (the zh-CN and en renderings of one text).
    ``variants`` are other wordings of the whole text; ``key_phrases`` are short phrases each
    of which alone identifies the entry; ``cues`` are weaker phrases: a forbidden entry is
    flagged on one key phrase, on two cues close together, or on the whole wording.
    """

    id: str
    locale: str
    situation: str
    kind: str
    text: str
    variants: tuple[str, ...] = ()
    key_phrases: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    where: Where | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.locale, self.id)


@dataclass(frozen=True, slots=True)
class Triggers:
    """What callers say in a situation (used by ``suggest``), one locale."""

    situation: str
    locale: str
    phrases: tuple[str, ...]
    where: Where | None = None


@dataclass(frozen=True, slots=True)
class Example:
    """A labelled tuning sentence (``examples.yaml``): an agent sentence with the situation it
    must be flagged as (``flag``: S1–S9 or ``none``), or a caller utterance with the situation
    whose replies ``suggest`` must rank (``suggest``). The learned layer trains on them."""

    locale: str
    text: str
    flag: str | None = None
    suggest: str | None = None
    where: Where | None = None
    #: a team lead confirmed this sentence in the review loop: it is always flagged
    confirmed: bool = False


@dataclass(frozen=True, slots=True)
class Choices:
    """A named list of spoken options, e.g. the IVR menu (H13) or survey answers (H19)."""

    name: str
    locale: str
    options: dict[str, tuple[str, ...]]
    where: Where | None = None


@dataclass(slots=True)
class Library:
    """All entries in file order, with look-ups by (locale, id)."""

    entries: list[Entry] = field(default_factory=list)
    triggers: list[Triggers] = field(default_factory=list)
    choices: list[Choices] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    #: sha256 over every file's path and bytes: the learned layer's cache key
    digest: str = ""
    #: the directory the library was loaded from (the learned layer caches its model there)
    root: str = ""
    #: locale → word families (first member is the canonical form), see ``synonyms.py``
    synonyms: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    _by_key: dict[tuple[str, str], Entry] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key = {e.key: e for e in self.entries}

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        self._by_key.setdefault(entry.key, entry)

    def get(self, locale: str, entry_id: str) -> Entry | None:
        return self._by_key.get((locale, entry_id))

    def locales(self) -> list[str]:
        return sorted({e.locale for e in self.entries})

    def of(self, locale: str, kind: str | None = None, situation: str | None = None) -> list[Entry]:
        return [e for e in self.entries if e.locale == locale and (kind is None or e.kind == kind)
                and (situation is None or e.situation == situation)]

    def alternatives_of(self, entry: Entry) -> list[Entry]:
        """The approved replies to offer instead of a forbidden entry (default: its situation's)."""
        if entry.alternatives:
            found = [self.get(entry.locale, a) for a in entry.alternatives]
            return [e for e in found if e is not None]
        return self.of(entry.locale, "approved", entry.situation)

    def choice_list(self, name: str, locale: str) -> Choices | None:
        for c in self.choices:
            if c.name == name and c.locale == locale:
                return c
        return None
