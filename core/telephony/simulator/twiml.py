"""TwiML interpretation: fetch a document, run its verbs on the virtual clock, follow on.

Every verb handler is a generator ``(sim, leg, element, doc_url)`` returning ``None`` (go
on with the next verb), a ``Doc`` (continue with that document: action, redirect) or
``END``. Relative URLs resolve against the URL of the document that held them.

Timing (virtual seconds; Twilio's real timing depends on the voice, these are estimates):
``<Say>`` lasts ``SAY_CJK_S`` per CJK character and ``SAY_LATIN_S`` per other character,
at least ``SAY_MIN_S``; ``<Play>`` of a WAV lasts its real length (header), of anything
else ``PLAY_DEFAULT_S``; ``<Play digits>`` ``DTMF_S`` per digit. A scripted caller
answers a Gather ``SCRIPTED_INPUT_DELAY_S`` after its prompts end; recognised speech is
posted after ``speechTimeout`` (``auto`` = ``SPEECH_AUTO_S``; unset = the Gather's
``timeout``). ``loop="0"`` repeats until the call leaves the verb.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from .bridge import start_transcription, stop_transcription
from .lifecycle import set_status
from .signals import END, Doc, End, Fetch, InputArrived, Sleep
from .wav import wav_seconds

if TYPE_CHECKING:
    from collections.abc import Generator

    from .engine import Simulator
    from .records import Leg

    Flow = Generator[Any, Any, Doc | End | None]

SAY_CJK_S = 0.25
SAY_LATIN_S = 0.07
SAY_MIN_S = 1.0
PLAY_DEFAULT_S = 5.0
DTMF_S = 0.5
SCRIPTED_INPUT_DELAY_S = 1.0
SPEECH_AUTO_S = 1.0
FOREVER = 100_000  # loop="0"
MAX_DOCS_PER_INSTANT = 50  # redirect loops that take no time end with an error
APP_ERROR_TEXT = "We are sorry, an application error has occurred. Goodbye."
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")

TOP_VERBS = {"Say", "Play", "Pause", "Gather", "Enqueue", "Leave", "Dial", "Record", "Redirect",
             "Hangup", "Reject", "Start", "Stop"}
NESTING = {"Gather": {"Say", "Play", "Pause"}, "Dial": {"Number", "Client", "Queue", "Conference"},
           "Start": {"Transcription"}, "Stop": {"Transcription"}}


def speaking_time(text: str) -> float:
    cjk = len(_CJK.findall(text))
    return max(SAY_MIN_S, cjk * SAY_CJK_S + (len(text.strip()) - cjk) * SAY_LATIN_S)


def resolve(doc_url: str | None, target: str) -> str:
    return urljoin(doc_url or "", target.strip())


def _loops(el: ET.Element) -> int:
    try:
        n = int(el.get("loop", "1"))
    except ValueError:
        n = 1
    return FOREVER if n == 0 else max(1, n)


# -- documents ---------------------------------------------------------------------------------
def run_call(sim: Simulator, leg: Leg, doc: Doc | None, twiml: str | None = None) -> Flow:
    """A leg's whole call flow, from its first document until it runs out."""
    text, url = twiml, (doc.url if doc and twiml is None else leg.doc_url)
    instant, count = sim.now, 0
    while True:
        if text is None:
            assert doc is not None
            text = yield from fetch_twiml(sim, leg, doc)
            if text is None:
                return None
            url = doc.url
        root = parse(sim, leg, text)
        if root is None:
            yield from app_error(sim, leg)
            return None
        leg.doc_url = url
        nxt = yield from run_verbs(sim, leg, list(root), url)
        if not isinstance(nxt, Doc):
            return None
        doc, text = nxt, None
        count = count + 1 if sim.now == instant else 0
        instant = sim.now
        if count > MAX_DOCS_PER_INSTANT:
            sim.record(leg, "error", code=12100, message="redirect loop without any time passing")
            return None


def fetch_twiml(sim: Simulator, leg: Leg, doc: Doc, extra: dict[str, str] | None = None) -> Any:
    """Request a TwiML document; on a non-2xx answer record error 11200, play Twilio's
    application-error message and return None (the caller ends the call)."""
    params = sim.base_params(leg)
    params.update(doc.params)
    params.update(extra or {})
    response = yield Fetch(doc.url, doc.method.upper(), params)
    if not 200 <= response.status < 300:
        sim.record(leg, "error", code=11200, url=doc.url, status=response.status,
                   message="HTTP retrieval failure")
        yield from app_error(sim, leg)
        return None
    return response.text


def app_error(sim: Simulator, leg: Leg) -> Any:
    """What the caller hears when the application fails (Twilio's fallback URL is unset)."""
    _answer_if_ringing(sim, leg)
    sim.record(leg, "say", text=APP_ERROR_TEXT, language="en-US", system=True)
    yield Sleep(speaking_time(APP_ERROR_TEXT))


def parse(sim: Simulator, leg: Leg, text: str) -> ET.Element | None:
    """Parse and check a document like Twilio does before running it (error 12100)."""
    try:
        root = ET.fromstring(text.strip())  # noqa: S314 - TwiML from our own app under test
    except ET.ParseError as exc:
        sim.record(leg, "error", code=12100, message=f"Document parse failure: {exc}")
        return None
    problem = None
    if root.tag != "Response":
        problem = f"root element is <{root.tag}>, not <Response>"
    for el in root:
        if el.tag not in TOP_VERBS:
            problem = problem or f"<{el.tag}> is not a TwiML verb the simulator knows"
        allowed = NESTING.get(el.tag)
        for child in el if allowed is not None else ():
            if child.tag not in allowed:
                problem = problem or f"<{child.tag}> cannot be nested in <{el.tag}>"
    if problem:
        sim.record(leg, "error", code=12100, message=problem)
        return None
    return root


def run_verbs(sim: Simulator, leg: Leg, verbs: list[ET.Element], url: str | None,
              handlers: dict[str, Any] | None = None) -> Flow:
    for el in verbs:
        if el.tag != "Reject":
            _answer_if_ringing(sim, leg)
        handler = (handlers or sim.verbs).get(el.tag)
        if handler is None:
            sim.record(leg, "error", code=12100, message=f"<{el.tag}> not allowed here")
            continue
        result = yield from handler(sim, leg, el, url)
        if result is not None:
            return result
    return None


def _answer_if_ringing(sim: Simulator, leg: Leg) -> None:
    """Twilio answers an inbound call once it gets TwiML whose first verb is not <Reject>."""
    if leg.direction == "inbound" and not leg.answered and not leg.ended:
        leg.answered_t = sim.now
        set_status(sim, leg, "in-progress")


# -- audio -----------------------------------------------------------------------------------
def say(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    text = "".join(el.itertext()).strip()
    loops = _loops(el)
    sim.record(leg, "say", text=text, language=el.get("language"), voice=el.get("voice"),
               loop=el.get("loop"))
    for _ in range(loops):
        yield Sleep(speaking_time(text))
    return None


def play(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    digits = el.get("digits")
    if digits:
        sim.record(leg, "play", digits=digits)
        yield Sleep(len(digits) * DTMF_S)
        return None
    src = resolve(url, el.text or "")
    seconds = sim.media_seconds.get(src)
    if seconds is None:
        response = yield Fetch(src, "GET", {}, kind="media")
        if not 200 <= response.status < 300:
            sim.record(leg, "error", code=11200, url=src, status=response.status,
                       message="<Play> media could not be fetched; verb skipped")
            return None
        seconds = wav_seconds(response.content) or PLAY_DEFAULT_S
        sim.media_seconds[src] = seconds
    sim.record(leg, "play", url=src, seconds=round(seconds, 2), loop=el.get("loop"))
    for _ in range(_loops(el)):
        yield Sleep(seconds)
    return None


def pause(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    length = float(el.get("length", "1"))
    sim.record(leg, "pause", length=length)
    yield Sleep(length)
    return None


AUDIO = {"Say": say, "Play": play, "Pause": pause}


# -- flow ------------------------------------------------------------------------------------
def redirect(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    target = resolve(url, el.text or "")
    method = (el.get("method") or "POST").upper()
    sim.record(leg, "redirect", url=target, method=method)
    return Doc(target, method)
    yield  # pragma: no cover - makes this a generator


def hangup_verb(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    sim.record(leg, "hangup", by="twiml")
    return END
    yield  # pragma: no cover


def reject(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    reason = el.get("reason") or "rejected"
    sim.record(leg, "reject", reason=reason)
    if not leg.answered:
        leg.end_status = "busy" if reason == "busy" else "no-answer"
    return END
    yield  # pragma: no cover


def leave_outside_queue(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    sim.record(leg, "leave", ignored=True)
    return None
    yield  # pragma: no cover


def start(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    for child in el:
        attrs = dict(child.attrib)
        if el.tag == "Start":
            if attrs.get("statusCallbackUrl"):
                attrs["statusCallbackUrl"] = resolve(url, attrs["statusCallbackUrl"])
            start_transcription(sim, leg, attrs)
        else:
            stop_transcription(sim, leg, attrs.get("name"))
    return None
    yield  # pragma: no cover


# The verbs this module runs; Gather, Record, Enqueue and Dial live in the modules above
# it, and the simulator's table of every verb (``sim.verbs``) is put together in wiring.py.
VERBS: dict[str, Any] = {
    **AUDIO, "Redirect": redirect, "Hangup": hangup_verb, "Reject": reject, "Leave": leave_outside_queue,
    "Start": start, "Stop": start,
}


def in_input(leg: Leg, kinds: set[str] | None) -> None:
    """Which inputs the party's key presses / speech reach right now (None: nothing)."""
    leg.accepting = set(kinds) if kinds else None


@contextmanager
def accepting(leg: Leg, kinds: set[str]) -> Iterator[None]:
    """``in_input`` for a block, cleared however the block is left (input, dequeue…)."""
    epoch = leg.epoch
    in_input(leg, kinds)
    try:
        yield
    finally:
        if leg.epoch == epoch:
            in_input(leg, None)


__all__ = ["InputArrived", "run_call", "speaking_time"]
