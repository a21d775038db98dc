"""The quality scorecard of one call, from the handbook — pure functions.

``score(facts, book, limits)`` returns one ``Item`` per rule: pass, fail or not applicable,
each with a note in both languages and its evidence (the sentence and its time into the
conversation, or the figures it was judged on). The items:

- **H1** greeting names the company and the department (in the agent's first sentences);
- **H2** an apology when the caller waited longer than ``answer.max_rings`` × ``answer.ring_s``;
- **H6** the caller's surname and district asked;
- **H8** the key points repeated back (the library's confirmation line);
- **H7** talk time within ``calls.target_s``, never over ``calls.max_s``;
- **S** no forbidden phrasing (S1–S9): each flag with its sentence, time, situation and the
  approved alternative;
- **H10** a clear closing (in the agent's last sentences);
- **H12** a case logged for the call (H12: every contact is logged; H13/H14: a repair, a
  complaint or an answer promised for later needs one).

What counts as a greeting, an apology, a closing… is the library's wording (``phrases.build``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reports.quality.phrases import Phrasebook
from reports.quality.wording import Fragment, first_said, sentences

PASS, FAIL, NA = "pass", "fail", "na"
ITEMS = ("H1", "H2", "H6", "H8", "H7", "S", "H10", "H12")
#: menu choices whose calls always need a case (H13)
CASE_OPTIONS = ("repair", "complaint")


@dataclass(frozen=True)
class Line:
    """One sentence of the transcript: who, what, seconds into the conversation, library flags."""

    speaker: str
    text: str
    at_s: float
    flags: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class CallFacts:
    locale: str
    lines: tuple[Line, ...]
    wait_s: float | None = None  # in line before an agent answered
    talk_s: float | None = None  # answered → ended
    menu_option: str | None = None
    cases: tuple[tuple[str, str], ...] = ()  # (reference, kind) of the cases logged for the call
    outbound: bool = False  # a call-back or campaign call: the outbound script opens it, not H1's greeting


@dataclass(frozen=True)
class Limits:
    ring_s: float = 3
    max_rings: int = 3
    target_s: float = 180
    max_s: float = 300
    opening_sentences: int = 3
    closing_sentences: int = 3
    share: float = 0.75

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        q = settings.quality
        return cls(ring_s=settings.answer.ring_s, max_rings=settings.answer.max_rings,
                   target_s=settings.calls.target_s, max_s=settings.calls.max_s,
                   opening_sentences=q.opening_sentences, closing_sentences=q.closing_sentences,
                   share=q.phrase_match)


@dataclass(frozen=True)
class Item:
    code: str
    result: str
    note: dict[str, str]
    evidence: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def clock(seconds: float) -> str:
    """``75.4`` → ``1:15``."""
    whole = max(0, int(round(seconds)))
    return f"{whole // 60}:{whole % 60:02d}"


def lines_of(utterances: Sequence[tuple[str, str, float, Sequence[dict[str, Any]]]]) -> tuple[Line, ...]:
    """Utterances (speaker, text, seconds, flags) → sentences, in time order; an utterance's flags go
    with the sentence holding the flagged words."""
    out: list[Line] = []
    for speaker, text, at_s, flags in sorted(utterances, key=lambda u: u[2]):
        start = 0
        for sentence in sentences(text):
            begin = text.find(sentence, start)
            end = begin + len(sentence)
            own = tuple(f for f in flags if begin <= int(f.get("start", 0)) < end) if begin >= 0 else ()
            out.append(Line(speaker, sentence, at_s, own))
            start = max(start, end)
    return tuple(out)


def said(line: Line, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"text": line.text, "at_s": round(line.at_s, 1), "speaker": line.speaker, **(extra or {})}


def _note(zh: str, en: str) -> dict[str, str]:
    return {"zh-CN": zh, "en": en}


def _agent(facts: CallFacts) -> list[Line]:
    return [line for line in facts.lines if line.speaker == "agent"]


def _find(lines: Sequence[Line], frags: Sequence[Fragment], share: float) -> tuple[Line, Fragment] | None:
    for line in lines:
        hit = first_said(frags, line.text, share)
        if hit is not None:
            return line, hit
    return None


def _no_wording(code: str) -> Item:
    return Item(code, NA, _note("话术库中没有此项的用语", "The library has no wording for this item"))


def _no_transcript(code: str) -> Item:
    return Item(code, NA, _note("没有坐席的通话转写,无法判断", "No transcript of the agent: cannot be judged"))


def greeting(facts: CallFacts, book: Phrasebook, limits: Limits) -> Item:
    """H1: one of the agent's first sentences names the company and the department."""
    if facts.outbound:
        return Item("H1", NA, _note("外呼电话按外呼话术开场", "Outbound call: the outbound script opens it"))
    opening = _agent(facts)[:limits.opening_sentences]
    if not opening:
        return _no_transcript("H1")
    names = book.greeting_names
    if not names:
        return _no_wording("H1")
    for line in opening:
        if all(first_said([n], line.text, limits.share) for n in names):
            return Item("H1", PASS, _note(f"{clock(line.at_s)} 自报公司和部门", f"{clock(line.at_s)} names the "
                                          "company and the department"), (said(line),))
    wanted = " + ".join(n.text for n in names)
    return Item("H1", FAIL, _note(f"坐席前{len(opening)}句没有报出 {wanted}",
                                  f"No {wanted} in the agent's first {len(opening)} sentences"),
                tuple(said(line) for line in opening[:1]))


def apology(facts: CallFacts, book: Phrasebook, limits: Limits) -> Item:
    """H2: a caller who waited past the ring threshold hears an apology in the first sentences."""
    if facts.wait_s is None:
        return Item("H2", NA, _note("没有排队等候记录", "No wait recorded"))
    threshold = limits.ring_s * limits.max_rings
    rings = facts.wait_s / limits.ring_s
    waited = {"wait_s": round(facts.wait_s, 1), "rings": round(rings, 1), "threshold_s": threshold}
    if facts.wait_s <= threshold:
        return Item("H2", NA, _note(f"等候 {facts.wait_s:.0f} 秒 = {rings:.1f} 声,未超过{limits.max_rings}声",
                                    f"waited {facts.wait_s:.0f} s = {rings:.1f} rings, within {limits.max_rings}"),
                    (waited,))
    if not book.apology:
        return _no_wording("H2")
    opening = _agent(facts)[:limits.opening_sentences]
    hit = _find(opening, book.apology, limits.share)
    if hit is not None:
        line, frag = hit
        return Item("H2", PASS, _note(f"等候 {facts.wait_s:.0f} 秒 = {rings:.1f} 声,{clock(line.at_s)} 已致歉",
                                      f"waited {facts.wait_s:.0f} s = {rings:.1f} rings, apologised at "
                                      f"{clock(line.at_s)}"), (waited, said(line, {"phrase": frag.text})))
    return Item("H2", FAIL, _note(f"等候 {facts.wait_s:.0f} 秒 = {rings:.1f} 声,坐席前{limits.opening_sentences}句没有致歉",
                                  f"waited {facts.wait_s:.0f} s = {rings:.1f} rings, no apology in the agent's "
                                  f"first {limits.opening_sentences} sentences"),
                (waited, *(said(line) for line in opening)))


def _asked_all(code: str, frags: Sequence[Fragment], facts: CallFacts, limits: Limits,
               what: tuple[str, str]) -> Item:
    agent = _agent(facts)
    if not agent:
        return _no_transcript(code)
    if not frags:
        return _no_wording(code)
    found = {f.text: _find(agent, [f], limits.share) for f in frags}
    missing = [text for text, hit in found.items() if hit is None]
    evidence = tuple(said(hit[0], {"phrase": text}) for text, hit in found.items() if hit is not None)
    if not missing:
        return Item(code, PASS, _note(f"已{what[0]}", f"{what[1]}"), evidence)
    gap = "、".join(missing) or "—"
    return Item(code, FAIL, _note(f"没有{what[0]}:缺少「{gap}」", f"Not {what[1].lower()}: missing «{gap}»"), evidence)


def surname_district(facts: CallFacts, book: Phrasebook, limits: Limits) -> Item:
    """H6: the surname and the district asked (every part of the library's question)."""
    return _asked_all("H6", book.ask_surname, facts, limits, ("询问贵姓和城区", "Asked the surname and the district"))


def key_points(facts: CallFacts, book: Phrasebook, limits: Limits) -> Item:
    """H8: the key points repeated back with the library's confirmation line."""
    return _asked_all("H8", book.confirm, facts, limits, ("复述要点", "Repeated the key points back"))


def length(facts: CallFacts, book: Phrasebook, limits: Limits) -> Item:
    """H7: talk time within the target; over the maximum fails."""
    if facts.talk_s is None:
        return Item("H7", NA, _note("通话未接通或未结束", "Not answered or not ended"))
    talk = facts.talk_s
    figures = ({"talk_s": round(talk, 1), "target_s": limits.target_s, "max_s": limits.max_s},)
    if talk > limits.max_s:
        return Item("H7", FAIL, _note(f"通话 {clock(talk)},超过上限 {clock(limits.max_s)}",
                                      f"talked {clock(talk)}, over the {clock(limits.max_s)} maximum"), figures)
    if talk > limits.target_s:
        return Item("H7", PASS, _note(f"通话 {clock(talk)},超过目标 {clock(limits.target_s)},未超过上限",
                                      f"talked {clock(talk)}, over the {clock(limits.target_s)} target, "
                                      f"under the {clock(limits.max_s)} maximum"), figures)
    return Item("H7", PASS, _note(f"通话 {clock(talk)},在目标 {clock(limits.target_s)} 内",
                                  f"talked {clock(talk)}, within the {clock(limits.target_s)} target"), figures)


def forbidden(facts: CallFacts, book: Phrasebook, limits: Limits) -> Item:
    """S1–S9: no forbidden phrasing in the agent's sentences (the library's flags)."""
    agent = _agent(facts)
    if not agent:
        return _no_transcript("S")
    evidence = tuple(said(line, {"situation": f.get("situation"), "matched": f.get("matched"),
                                 "alternative": (f.get("alternatives") or [""])[0]})
                     for line in agent for f in line.flags)
    if not evidence:
        return Item("S", PASS, _note("没有禁用语", "No forbidden phrasing"))
    kinds = ", ".join(sorted({str(e["situation"]) for e in evidence}))
    return Item("S", FAIL, _note(f"{len(evidence)} 处禁用语({kinds})", f"{len(evidence)} forbidden phrase(s) ({kinds})"),
                evidence)


def closing(facts: CallFacts, book: Phrasebook, limits: Limits) -> Item:
    """H10: one of the agent's last sentences is the library's closing."""
    agent = _agent(facts)
    if not agent:
        return _no_transcript("H10")
    if not book.closing:
        return _no_wording("H10")
    last = agent[-limits.closing_sentences:]
    hit = _find(last, book.closing, limits.share)
    if hit is not None:
        line, frag = hit
        return Item("H10", PASS, _note(f"{clock(line.at_s)} 礼貌结束通话", f"closed clearly at {clock(line.at_s)}"),
                    (said(line, {"phrase": frag.text}),))
    return Item("H10", FAIL, _note(f"坐席最后{len(last)}句没有结束语", f"No closing in the agent's last {len(last)} sentences"),
                tuple(said(line) for line in last[-1:]))


def case_logged(facts: CallFacts, book: Phrasebook, limits: Limits) -> Item:
    """H12–H14: a case is logged for the call; why it was needed is part of the note."""
    if facts.cases:
        refs = ", ".join(f"{ref} ({kind})" for ref, kind in facts.cases)
        return Item("H12", PASS, _note(f"已登记 {refs}", f"logged {refs}"),
                    tuple({"case": ref, "kind": kind} for ref, kind in facts.cases))
    promise = _find(_agent(facts), book.case_promise, limits.share)
    if promise is not None:
        zh, en = "坐席承诺稍后答复", "the agent promised an answer later"
        evidence: tuple[dict[str, Any], ...] = (said(promise[0], {"phrase": promise[1].text}),)
    elif facts.menu_option in CASE_OPTIONS:
        zh, en = f"来电选择了 {facts.menu_option}", f"the caller chose {facts.menu_option}"
        evidence = ({"menu_option": facts.menu_option},)
    else:
        zh, en = "每次来电都应登记", "every contact is logged"
        evidence = ()
    return Item("H12", FAIL, _note(f"没有登记案件({zh})", f"No case logged ({en})"), evidence)


SCORERS: dict[str, Callable[[CallFacts, Phrasebook, Limits], Item]] = {
    "H1": greeting, "H2": apology, "H6": surname_district, "H8": key_points, "H7": length,
    "S": forbidden, "H10": closing, "H12": case_logged,
}


def score(facts: CallFacts, book: Phrasebook, limits: Limits) -> list[Item]:
    return [SCORERS[code](facts, book, limits) for code in ITEMS]


def points(results: Sequence[str]) -> float | None:
    """Share of the applicable items passed (None when none applies)."""
    judged = [r for r in results if r != NA]
    return None if not judged else sum(1 for r in judged if r == PASS) / len(judged)
