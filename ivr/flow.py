"""The caller's path, one function per webhook: read the (validated) request values, apply
the services, choose the texts (``ivr.prompts``) and build the TwiML (``ivr.twiml``).

Each function takes a ``Step`` (session, settings, the Call, its locale, now) and returns a
``VoiceResponse``; work that must follow the commit (dispatch, placing calls) is queued on
``step.after``. The menu is a dict from digit / spoken option to handler (no if/elif ladder).
The bridge to an agent is ``ivr.bridge``; call-backs after the caller asked are ``ivr.callback_flow``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from core.cases import open_case
from core.config import Settings
from core.events import CallQueued, publish
from core.models import (
    Call,
    Case,
    CaseKind,
    QueueEntry,
    QueueStatus,
)
from core.phone import mask
from core.telephony.gateway import GatewayError, get_gateway
from core.twiml import absolute_url
from ivr import hours, prompts, queue, routing, twiml
from ivr.calls import add_event
from ivr.models import Offer

#: H13: the menu keys, as the library's ``menu`` prompt reads them: 0 is urgent (H5),
#: 9 switches language (zh-CN ↔ en).
DIGITS: dict[str, str] = {"1": "repair", "2": "complaint", "3": "inquiry", "4": "fees",
                          "0": "emergency", "9": "language"}
AFTER_MENU_FAILURES = "inquiry"  # no match twice → an agent (general line)
MACHINE_ANSWERS = {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"}
MAX_MESSAGE_S = 120


@dataclass
class Step:
    s: Session
    settings: Settings
    call: Call | None
    locale: str
    now: datetime
    after: list[Callable[[Flask], None]] = field(default_factory=list)
    #: the call's latest queue entry when the webhook loaded it with the call (one SELECT)
    entry: QueueEntry | None = None
    entry_loaded: bool = False
    #: read with the call: is an agent free (or due back from wrap-up)? None = not known
    anyone_free: bool | None = None

    def url(self, path: str, **params: object) -> str:
        return absolute_url(self.settings, path, **params)

    def text(self, prompt_id: str, **context: object) -> str:
        return prompts.text(self.settings, prompt_id, self.locale, **context)

    def event(self, kind: str, **detail: object) -> None:
        if self.call is not None:
            add_event(self.s, self.call, kind, **detail)

    def active_entry(self) -> QueueEntry | None:
        """The call's current place in line (loaded with the call when the view asked for it)."""
        if self.entry_loaded:
            return self.entry
        return queue.active_entry(self.s, self.call)

    def dispatch_after(self) -> None:
        """Dispatch after the response — unless this webhook read that nobody can take a call
        (dispatch would find nobody either; an agent becoming free starts one itself)."""
        if self.anyone_free is not False and routing.dispatch not in self.after:
            self.after.append(routing.dispatch)


# -- answering (H1, H4) ----------------------------------------------------------------------

def voice(step: Step) -> VoiceResponse:
    """The number's voice URL: after hours → message (H4); else greet (H1) and the menu."""
    if not hours.is_open(step.settings, step.now):
        return after_hours(step)
    greeting = step.text("greeting")
    step.event("greeted", locale=step.locale, text=greeting)
    return _menu(step, [greeting], tries=0)


def after_hours(step: Step) -> VoiceResponse:
    """H4: the after-hours message, then leave a message that becomes a case."""
    text = step.text("after_hours")
    step.event("after_hours", locale=step.locale, text=text)
    return to_voicemail(step, [text], reason="after_hours")


def to_voicemail(step: Step, lines: list[str], reason: str) -> VoiceResponse:
    step.event("voicemail_offered", reason=reason)
    transcribe = step.url("/ivr/voicemail/transcript") if step.locale == "en" else None  # Twilio: English only
    return twiml.voicemail(step.settings, step.locale, lines, action=step.url("/ivr/voicemail", reason=reason),
                           max_length=MAX_MESSAGE_S, transcribe_callback=transcribe)


# -- the menu (H13, H5) ------------------------------------------------------------------------

def _menu(step: Step, lines: list[str], tries: int) -> VoiceResponse:
    menu_text = step.text("menu")
    step.event("menu", tries=tries, text=menu_text)
    action = step.url("/ivr/menu", tries=tries)
    return twiml.menu(step.settings, step.locale, lines, menu_text, action=action,
                      no_input_url=step.url("/ivr/menu", tries=tries, silent=1),
                      hints=prompts.hints(step.locale))


def menu_choice(step: Step, digits: str, speech: str, tries: int) -> VoiceResponse:
    """A menu answer (key or speech, rapidfuzz against the library's synonyms) → its handler;
    no match / silence → reprompt ``routing.menu_reprompts`` times, then an agent."""
    option, how, score = None, None, None
    if digits:
        option, how = DIGITS.get(digits[:1]), "pressed"
    elif speech:
        found = prompts.match_menu(speech, step.locale, step.settings.routing.speech_min_score)
        how = "said"
        if found:
            option, score = found
    if option is not None and option in HANDLERS:
        step.event("menu_choice", how=how, digits=digits[:8] or None, speech=speech[:200] or None,
                   option=option, score=score)
        return HANDLERS[option](step)
    failures = tries + 1
    step.event("menu_no_match", digits=digits[:8] or None, speech=speech[:200] or None, failures=failures)
    if failures > step.settings.routing.menu_reprompts:
        return _join(step, AFTER_MENU_FAILURES, [step.text("menu_to_agent")])
    return _menu(step, [step.text("menu_reprompt")], tries=failures)


def _switch_language(step: Step) -> VoiceResponse:
    """Menu key 9: the other language, remembered for the caller's next call."""
    new = "en" if step.locale == "zh-CN" else "zh-CN"
    step.locale = new
    if step.call is not None:
        step.call.locale = new
        if step.call.caller is not None:
            step.call.caller.locale = new
    step.event("locale", locale=new)
    return _menu(step, [step.text("greeting")], tries=0)


def _emergency(step: Step) -> VoiceResponse:
    """H5: urgent matters first — the front of the queue, and the emergency numbers."""
    lines = []
    numbers = step.settings.emergency_numbers
    if numbers:
        listed = ", ".join(f"{n.label} {n.number}" for n in numbers)
        lines.append(step.text("emergency_numbers", numbers=listed))
    lines.append(step.text("emergency_queue"))
    return _join(step, "emergency", lines, priority=step.settings.routing.emergency_priority)


def _option(option: str) -> Callable[[Step], VoiceResponse]:
    return partial(_join_option, option=option)


def _join_option(step: Step, option: str) -> VoiceResponse:
    return _join(step, option, [step.text("enqueue")])


HANDLERS: dict[str, Callable[[Step], VoiceResponse]] = {
    "repair": _option("repair"),
    "complaint": _option("complaint"),
    "inquiry": _option("inquiry"),
    "fees": _option("fees"),
    "emergency": _emergency,
    "language": _switch_language,
}


# -- joining the queue -------------------------------------------------------------------------

def _join(step: Step, option: str, lines: list[str], priority: int = 0) -> VoiceResponse:
    """Wait in line — or, when the line is full or nobody is logged in, not endlessly."""
    call = step.call
    if call is None:
        return to_voicemail(step, [step.text("error")], reason="error")
    call.menu_option = option
    call.priority = priority
    s, settings = step.s, step.settings
    in_line, logged_in, step.anyone_free = queue.line_and_agents(s, settings, step.now)
    if in_line >= settings.queue.max_size:
        entry = queue.join(s, settings, call, skill=option, priority=priority, now=step.now)
        queue.end_entry(entry, QueueStatus.OVERFLOW, step.now)
        call.queue_result = "queue-full"
        return to_voicemail(step, [step.text("overflow")], reason="overflow")
    if logged_in == 0:
        step.event("no_agents", option=option)
        return twiml.offer_then_voicemail(
            settings, step.locale, step.text("no_agents"), action=step.url("/ivr/no-agents", option=option),
            voicemail_action=step.url("/ivr/voicemail", reason="no_agents"), max_length=MAX_MESSAGE_S)
    entry = queue.join(s, settings, call, skill=option, priority=priority, now=step.now)
    step.event("enqueued", option=option, priority=priority, entry=entry.id)
    step.dispatch_after()
    return twiml.enqueue(settings, step.locale, lines, settings.queue.name,
                         wait_url=step.url("/ivr/queue/wait"), action=step.url("/ivr/queue/done"))


def no_agents_choice(step: Step, digits: str, option: str) -> VoiceResponse:
    """Nobody logged in: 1 = a call-back (keeps this moment as the place in line)."""
    if digits[:1] == "1" and step.call is not None:
        entry = queue.join(step.s, step.settings, step.call, skill=option if option in HANDLERS else None,
                           priority=step.call.priority or 0, now=step.now, status=QueueStatus.CALLBACK)
        entry.ended_at = step.now
        return callback_offer(step, entry)
    return to_voicemail(step, [step.text("leave_message")], reason="no_agents")


# -- the wait loop (H3, H9): ``ivr.hotpath`` (without the ORM) ------------------------------

def bring_caller(app: Flask, *, caller_sid: str, agent_sid: str | None, url: str) -> None:
    """Take the caller out of the line into the agent's room (``url``: ``bridge.handoff``); if
    that fails, end the agent's leg (its status callback puts the caller back in line)."""
    try:
        get_gateway(app).redirect_call(caller_sid, url)
    except GatewayError as exc:
        app.logger.info("caller %s could not be brought to the agent: %s", caller_sid, exc)
        if agent_sid:
            end_call_quietly(app, agent_sid)


def queue_option(step: Step, digits: str, speech: str) -> VoiceResponse:
    """Input during the wait: "1" / "回电" / "call me back" → leave the line as a call-back (H9)."""
    entry = step.active_entry()
    wants = digits[:1] == "1" or (bool(speech) and prompts.wants_callback(
        speech, step.locale, step.settings.routing.speech_min_score))
    if entry is None or entry.status != QueueStatus.WAITING or not wants:
        return twiml.empty()  # back to the wait loop
    entry.status = QueueStatus.CALLBACK
    publish(step.s, CallQueued(call_sid=entry.call.call_sid, callback=True))
    step.event("callback_requested", how="pressed" if digits else "said", speech=speech[:200] or None)
    return twiml.leave()


def queue_done(step: Step, result: str, queue_time: float) -> VoiceResponse:
    """Enqueue's action on the main line: record QueueResult and the wait."""
    call = step.call
    entry = step.active_entry()
    if result == "redirected" or call is None:
        return twiml.empty()  # dequeued to an agent's offer queue (or unknown call)
    call.queue_result = result
    call.wait_s = queue_time
    step.event("queue_result", result=result, queue_time_s=round(queue_time))
    if entry is not None and entry.status == QueueStatus.CALLBACK:
        entry.ended_at = entry.ended_at or step.now
        return callback_offer(step, entry)
    if result == "hangup":
        caller_hung_up(step, entry)
        return twiml.empty()
    if entry is not None and entry.status in queue.IN_LINE:
        cancel_offer_of(step, entry)
        queue.end_entry(entry, QueueStatus.OVERFLOW if result == "queue-full" else QueueStatus.ERROR
                        if result in ("error", "system-error") else QueueStatus.LEFT, step.now)
    reason_text = step.text("overflow") if result == "queue-full" else step.text("error")
    return to_voicemail(step, [reason_text], reason="overflow" if result == "queue-full" else "error")


def caller_hung_up(step: Step, entry: QueueEntry | None) -> None:
    if entry is None or entry.status not in queue.IN_LINE:
        return
    cancel_offer_of(step, entry)
    queue.abandon(step.s, step.settings, entry, step.now)
    step.dispatch_after()


def cancel_offer_of(step: Step, entry: QueueEntry) -> None:
    """The caller is gone: stop the agent's ringing leg, free the agent."""
    with step.s.no_autoflush:  # the webhook's changes are written once, at its commit
        offer = routing.active_offer_for_entry(step.s, entry)
    if offer is None:
        return
    routing.caller_gone(step.s, offer, step.now)
    if offer.agent_call_sid and offer.agent_call_sid != "placing" and offer.bridged_at is None:
        sid = offer.agent_call_sid
        step.after.append(lambda app: end_call_quietly(app, sid))
    step.dispatch_after()


def end_call_quietly(app: Flask, call_sid: str) -> None:
    try:
        get_gateway(app).end_call(call_sid)
    except GatewayError:
        app.logger.info("agent leg %s already ended", call_sid)


# -- hand-off to the agent ---------------------------------------------------------------------

def find_offer(step: Step, offer_id: int) -> Offer | None:
    return step.s.get(Offer, offer_id) if offer_id > 0 else None


def rejoin(step: Step, offer: Offer | None) -> VoiceResponse:
    """The agent went away before the bridge: back in the main line at the same place."""
    entry = offer.queue_entry if offer is not None else queue.active_entry(step.s, step.call)
    if entry is None or step.call is None or entry.call_id != step.call.id:
        return to_voicemail(step, [step.text("error")], reason="error")
    if entry.status == QueueStatus.BRIDGED:  # the agent left before a word was said: not answered
        step.call.answered_at, step.call.agent_id, step.call.queue_result = None, None, None
    entry.status = QueueStatus.WAITING
    entry.agent_id = None
    entry.ended_at = None
    publish(step.s, CallQueued(call_sid=step.call.call_sid))
    step.event("rejoined", entry=entry.id)
    step.dispatch_after()
    return twiml.enqueue(step.settings, step.locale, [], step.settings.queue.name,
                         wait_url=step.url("/ivr/queue/wait"), action=step.url("/ivr/queue/done"))


# -- call-backs (H9) ---------------------------------------------------------------------------

def callback_offer(step: Step, entry: QueueEntry) -> VoiceResponse:
    """After ``<Leave>``: the request keeps the caller's place; confirm the number or take another."""
    call = entry.call
    phone = call.caller.phone if call.caller else None
    if phone is None:
        return ask_number(step, entry_id=entry.id, callback_id=0)
    request, created = queue.request_callback(step.s, phone=phone, reason="queue", entry=entry,
                                              caller_id=call.caller_id, now=step.now)
    step.event("callback_created" if created else "callback_exists", callback_id=request.id,
               phone=mask(phone))
    if not created:
        return twiml.say_and_hangup(step.settings, step.locale,
                                    [step.text("callback_exists"), step.text("closing")])
    confirm = step.url("/ivr/callback/confirm", cb=request.id)
    return twiml.ask_digits(step.settings, step.locale, [step.text("callback_confirm", last_digits=phone[-4:])],
                            action=confirm, no_input_url=step.url("/ivr/callback/confirm", cb=request.id,
                                                                  silent=1))


def ask_number(step: Step, entry_id: int, callback_id: int, lines: list[str] | None = None,
                tries: int = 0) -> VoiceResponse:
    action = step.url("/ivr/callback/number", entry=entry_id, cb=callback_id, tries=tries)
    return twiml.ask_digits(step.settings, step.locale, [*(lines or []), step.text("callback_enter_number")],
                            action=action, no_input_url=action + "&silent=1", num_digits=None,
                            finish_on_key="#", timeout=8)


# -- messages (H4) -----------------------------------------------------------------------------

def voicemail_done(step: Step, reason: str, recording_url: str, duration: int) -> VoiceResponse:
    """A message becomes a case with the time noted for the next shift (H4, H12)."""
    s, settings = step.s, step.settings
    call = step.call
    local = hours.local_time(settings, step.now)
    opening = hours.next_opening(settings, step.now)
    existing = s.scalar(select(Case).where(Case.call_id == call.id, Case.kind == CaseKind.MESSAGE)) \
        if call is not None else None
    if existing is None:
        note = f"Message left {local:%Y-%m-%d %H:%M} ({settings.hours.timezone}), reason {reason}"
        if opening is not None:
            note += f"; for the shift opening {opening:%Y-%m-%d %H:%M}"
        case = open_case(s, settings, kind=CaseKind.MESSAGE, source="voicemail",
                         caller_id=call.caller_id if call else None, call_id=call.id if call else None,
                         contact_number=call.caller.phone if call and call.caller else None,
                         description=note + ".", recording_url=recording_url or None)
        case.outcome = {"left_at_local": local.isoformat(), "reason": reason,
                        "recording_duration_s": duration,
                        "next_shift_local": opening.isoformat() if opening else None}
        step.event("message", case=case.ref, reason=reason, recording_url=recording_url or None,
                   duration_s=duration)
    return twiml.say_and_hangup(settings, step.locale, [step.text("message_saved"), step.text("closing")])


def voicemail_transcript(step: Step, transcript: str) -> None:
    call = step.call
    if call is None or not transcript:
        return
    case = step.s.scalar(select(Case).where(Case.call_id == call.id, Case.kind == CaseKind.MESSAGE))
    if case is not None:
        case.transcript = transcript[:10_000]
