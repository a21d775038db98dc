"""``check`` (forbidden phrasing inside an utterance) and ``suggest`` (approved replies).

Everything is built once in ``Matcher.__init__``: every text, variant, key phrase, cue and
caller trigger of the library is normalised, encoded and put in a gram index per locale and
role. A call then normalises the utterance once, asks the indexes for the few patterns
worth scoring and aligns only those with rapidfuzz.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import learned_store
from .confirmed import Confirmed
from .index import Encoder, GramIndex, align, grams
from .learned import LearnedLayer
from .learned_check import Releases, learned_flags
from .locales import canonical_locale
from .model import Entry, Library
from .normalize import ZH_FILLERS, NormText, normalize
from .placeholders import fill
from .scoring import Hit, cluster_score, clusters
from .settings import MatchSettings
from .suggesting import ORDER as _ORDER
from .suggesting import Suggesting
from .synonyms import Folder

#: negation words: a match whose window has a different number of them is a different statement
#: («管理人员不处理» vs «管理人员会亲自处理»); 不好意思 (sorry) is not a negation
_NEGATIONS_ZH = "不没别无未"
_NEGATIONS_EN = "not no never nobody nothing none"
_NEGATION_PENALTY = 20.0


@dataclass(frozen=True, slots=True)
class _Pattern:
    code: str
    role: str  # "key" | "cue" | "text" | "trigger"
    owner: int  # entry index (key/cue/text), or index into Matcher._trigger_situations (trigger)


def _distinct(patterns: list[_Pattern]) -> list[_Pattern]:
    """Without empty and duplicate patterns (folding makes «过几天…», «改天…» keys equal)."""
    return list(dict.fromkeys(p for p in patterns if p.code))


class _Group:
    """Patterns of one role family in one locale, with their gram index."""

    def __init__(self, patterns: list[_Pattern], min_share: float, unigrams: bool = False):
        self.patterns = patterns
        self.index = GramIndex([p.code for p in patterns], min_share=min_share, unigrams=unigrams,
                               limit=60 if unigrams else 120)

    def candidates(self, code: str, qgrams: set[str], limit: int | None = None) -> list[tuple[int, _Pattern]]:
        return [(pid, self.patterns[pid]) for pid in self.index.candidates(code, qgrams, limit)]


class Matcher(Suggesting):
    """Matches utterances against a loaded ``Library`` (see the module docstring)."""

    def __init__(self, library: Library, settings: MatchSettings | None = None, learned: LearnedLayer | None = None,
                 train: bool = True):
        """``learned``: the learned layer to use (e.g. the previous library's, while this one's
        trains in the background); without one, ``train`` loads the shipped or cached model or
        trains it now, and ``train=False`` leaves the aligner alone."""
        self.library = library
        self.settings = settings or MatchSettings()
        self.entries: list[Entry] = list(library.entries)
        self._encoder = Encoder()
        self._folders = {loc: Folder(groups) for loc, groups in library.synonyms.items()}
        self._forbidden: dict[str, _Group] = {}
        self._approved: dict[str, _Group] = {}
        self._triggers: dict[str, _Group] = {}
        self._trigger_situations: list[str] = []
        self._negations = frozenset(_NEGATIONS_ZH + self._code(_NEGATIONS_EN, "en"))
        self._sorry = self._code("不好意思")
        self._by_situation: dict[tuple[str, str, str], list[int]] = {}
        self._alternatives: dict[tuple[str, str, str], tuple[list[Entry], list[str], list[str]]] = {}
        for i, e in enumerate(self.entries):
            self._by_situation.setdefault((e.locale, e.kind, e.situation), []).append(i)
        self._build()
        st = self.settings
        if learned is None and train and st.learned:
            learned = learned_store.build(library, self.tokens, st.learned_cache, st.learned_min_examples,
                                          st.learned_vectors)
        self.learned = learned if st.learned else None
        self._releases = Releases(self.tokens)
        self._confirmed = Confirmed(library)
        #: entry index → whether its own text would be flagged (such an entry is never suggested)
        self._unsafe: dict[int, bool] = {}
        for i, e in enumerate(self.entries):
            if e.kind != "forbidden":
                self.is_unsafe(i)

    # -- building ---------------------------------------------------------------------------
    def _norm(self, text: str, locale: str) -> NormText:
        folder = self._folders.get(locale)
        norm = normalize(text)
        return folder.fold(norm) if folder else norm

    def tokens(self, text: str, locale: str) -> list[str]:
        """The tokens matching works on: normalised and folded (see ``normalize``, ``synonyms``)."""
        return self._norm(text, locale).tokens

    def _code(self, text: str, locale: str = "") -> str:
        return self._encoder.encode(self._norm(text, locale).tokens, learn=True)

    def _build(self) -> None:
        forb: dict[str, list[_Pattern]] = {}
        appr: dict[str, list[_Pattern]] = {}
        trig: dict[str, list[_Pattern]] = {}
        for i, e in enumerate(self.entries):
            target = forb if e.kind == "forbidden" else appr
            bucket = target.setdefault(e.locale, [])
            for text in (e.text, *e.variants):
                bucket.append(_Pattern(self._code(fill(text, e.locale), e.locale), "text", i))
            for role, phrases in (("key", e.key_phrases), ("cue", e.cues)):
                for phrase in phrases:
                    bucket.append(_Pattern(self._code(phrase, e.locale), role, i))
        for t in self.library.triggers:
            self._trigger_situations.append(t.situation)
            sit = len(self._trigger_situations) - 1
            trig.setdefault(t.locale, []).extend(_Pattern(self._code(p, t.locale), "trigger", sit) for p in t.phrases)
        self._forbidden = {loc: _Group(_distinct(ps), 0.5) for loc, ps in forb.items()}
        self._approved = {loc: _Group(_distinct(ps), 0.5) for loc, ps in appr.items()}
        self._triggers = {loc: _Group(_distinct(ps), 0.5, unigrams=True) for loc, ps in trig.items()}

    def _negations_in(self, code: str) -> int:
        negs = self._negations
        count = len([c for c in code if c in negs])
        return count - code.count(self._sorry) if count else 0

    def _align(self, pattern: str, code: str, cutoff: float, strict: bool = False) -> tuple[float, int, int] | None:
        """``index.align`` with the negation rule: a differing count of negations costs
        ``_NEGATION_PENALTY`` points each."""
        found = align(pattern, code, max(0.0, cutoff - 1e-9), strict)
        if found is None:
            return None
        score, a, b = found
        diff = abs(self._negations_in(pattern) - self._negations_in(code[a:b]))
        if diff:
            score -= _NEGATION_PENALTY * diff
        return (score, a, b) if score >= cutoff else None

    def is_unsafe(self, index: int) -> bool:
        """True when the entry's own wording contains forbidden phrasing (lint reports it)."""
        found = self._unsafe.get(index)
        if found is None:
            found = self._unsafe[index] = bool(self.self_check(index))
        return found

    def self_check(self, index: int) -> list[tuple[str, dict[str, Any]]]:
        """Flags raised by an entry's own text and variants, ignoring the entry itself as an
        approved match (lint: an approved reply must not contain forbidden phrasing)."""
        e = self.entries[index]
        return [(t, f) for t in (e.text, *e.variants) for f in self.check(fill(t, e.locale), e.locale, exclude=index)]

    # -- check ------------------------------------------------------------------------------
    def check(self, text: str, locale: str = "zh-CN", context: Mapping[str, Any] | None = None,
              exclude: int | None = None) -> list[dict[str, Any]]:
        """Forbidden phrasing in ``text``: flags with original ``start``/``end`` offsets.
        ``exclude``: an entry index not to count as an approved match (used by lint)."""
        loc = canonical_locale(locale)
        if not text or not text.strip() or loc not in self._forbidden:
            return []
        norm = self._norm(text, loc)
        code = self._encoder.encode(norm.tokens)
        if not code:
            return []
        qgrams = grams(code)
        flags = [(s, a, b, self.entries[i]) for s, _n, a, b, i in self._flag_spans(loc, code, qgrams, exclude)]
        flags = [(s, *self._widen(norm, a, b), e) for s, a, b, e in flags]
        flags += [(100.0, a, b, rep) for a, b, sit in self._confirmed.windows(loc, text, norm)
                  if not any(a < fb and fa < b for _, fa, fb, _ in flags)
                  and (rep := self._representative(loc, sit)) is not None]
        if self.learned is not None and loc in self.learned.agent:
            flags += self._learned_flags(loc, text, norm, code, qgrams, flags)
        out = []
        for score, a, b, entry in flags:
            if self._releases.releases(norm, a, b, loc):
                continue  # «you don't need to hang up and call again»: the opposite of the fault
            start, end = norm.span(a, b)
            while end < len(text) and text[end] in ZH_FILLERS:
                end += 1
            alts, ids, texts = self._alternatives_of(entry)
            out.append({
                "start": start, "end": end, "situation": entry.situation, "forbidden": entry.text,
                "score": round(score, 1),
                "alternatives": [fill(x.text, loc, context) for x in alts] if context else list(texts),
                "entry_id": entry.id, "matched": text[start:end],
                "alternative_ids": list(ids), "rules": list(entry.rules),
            })
        return sorted(out, key=lambda f: (f["start"], f["end"]))

    def _learned_flags(self, loc: str, text: str, norm: NormText, code: str, qgrams: set[str],
                       flags: list[tuple[float, int, int, Entry]]) -> list[tuple[float, int, int, Entry]]:
        """The learned layer's flags on words no rule flag covers. A window that an approved or
        prompt text matches (``phrase_min_score``) is never flagged: the library's own replies
        are clean by definition, whatever the model learned (lint relies on this)."""
        out: list[tuple[float, int, int, Entry]] = []
        approved: list[tuple[float, int, int]] | None = None
        layer = self.learned

        def vectors(windows: list[tuple[int, int]]) -> np.ndarray | None:
            return layer.vector_rows([text[slice(*norm.span(a, b))] for a, b in windows], loc)

        for p, a, b, sit in learned_flags(layer.agent[loc], norm, self.settings.learned_min_prob, vectors):
            if any(a < fb and fa < b for _, fa, fb, _ in flags):
                continue
            if approved is None:
                approved = self._approved_spans(loc, code, qgrams, None)
            if any(s >= self.settings.phrase_min_score and min(b, sb) - max(a, sa) >= (b - a) / 2
                   for s, sa, sb in approved):
                continue
            rep = self._representative(loc, sit)
            if rep is not None:
                out.append((100.0 * p, a, b, rep))
        return out

    def _alternatives_of(self, entry: Entry) -> tuple[list[Entry], list[str], list[str]]:
        """``Library.alternatives_of`` with their ids and texts filled with the default values,
        kept per entry (a situation's approved replies are a scan of the whole library)."""
        key = (entry.locale, entry.id if entry.alternatives else "", entry.situation)  # default: per situation
        found = self._alternatives.get(key)
        if found is None:
            alts = (self.library.alternatives_of(entry) if entry.alternatives else
                    [self.entries[i] for i in self._by_situation.get((entry.locale, "approved", entry.situation), ())])
            found = self._alternatives[key] = (alts, [x.id for x in alts], [fill(x.text, x.locale) for x in alts])
        return found

    def _representative(self, loc: str, situation: str) -> Entry | None:
        """The first forbidden entry of a situation: what a learned flag names as ``forbidden``
        (None when the library has none: a model trained on an earlier library may know it)."""
        found = self._by_situation.get((loc, "forbidden", situation))
        return self.entries[found[0]] if found else None

    def situations_flagged(self, loc: str, code: str, qgrams: set[str]) -> dict[str, float]:
        best: dict[str, float] = {}
        for score, _, _, _, i in self._flag_spans(loc, code, qgrams):
            sit = self.entries[i].situation
            best[sit] = max(best.get(sit, 0.0), score)
        return best

    def _flag_spans(self, loc: str, code: str, qgrams: set[str],
                    exclude: int | None = None) -> list[tuple[float, int, int, int, int]]:
        """(score, hit count, token start, token end, entry index) of every accepted flag."""
        st = self.settings
        by_entry: dict[int, list[Hit]] = {}
        for pid, p in self._forbidden[loc].candidates(code, qgrams):
            cutoff = st.check_min_score if p.role == "text" else st.phrase_min_score
            found = self._align(p.code, code, cutoff, strict=p.role != "text")
            if found:
                by_entry.setdefault(p.owner, []).append(Hit(p.role, pid, *found))
        candidates = []
        for i, hits in by_entry.items():
            for cluster in clusters(hits, st.cue_window):
                score = cluster_score(cluster)
                if score >= st.check_min_score:
                    a, b = min(h.a for h in cluster), max(h.b for h in cluster)
                    candidates.append((score, len({h.pattern for h in cluster}), a, b, i))
        if not candidates:
            return []
        candidates.sort(key=lambda c: (-c[0], -c[1], _ORDER.get(self.entries[c[4]].situation, 999), c[4]))
        approved: list[tuple[float, int, int]] | None = None
        accepted: list[tuple[float, int, int, int, int]] = []
        for c in candidates:
            if any(c[2] < o[3] and o[2] < c[3] for o in accepted):
                continue
            if approved is None:
                approved = self._approved_spans(loc, code, qgrams, exclude)
            # an approved text matching the flagged words at least as well means the agent said
            # the approved reply, which merely shares words with the forbidden one
            if any(s >= c[0] and a < c[3] and c[2] < b for s, a, b in approved):
                continue
            accepted.append(c)
        return accepted

    def _approved_spans(self, loc: str, code: str, qgrams: set[str], exclude: int | None) -> list[tuple[float, int, int]]:
        group = self._approved.get(loc)
        if group is None:
            return []
        out = []
        for _, p in group.candidates(code, qgrams, limit=40):
            if p.role == "text" and p.owner != exclude:
                found = align(p.code, code, 60.0)
                if found:
                    out.append(found)
        return out

    @staticmethod
    def _widen(norm: NormText, a: int, b: int, reach: int = 3) -> tuple[int, int]:
        """Stretch a token span to its clause edges when they are at most ``reach`` tokens away."""
        clauses = norm.clauses
        left = a
        while left > 0 and clauses[left - 1] == clauses[a] and a - left < reach:
            left -= 1
        if left == 0 or clauses[left - 1] != clauses[a]:
            a = left
        right = b
        while right < len(clauses) and clauses[right] == clauses[b - 1] and right - b < reach:
            right += 1
        if right == len(clauses) or clauses[right] != clauses[b - 1]:
            b = right
        return a, b
