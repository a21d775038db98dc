"""Plain data of the simulator: scripts for the people on the line, call legs, queues.

``CallerScript`` drives a simulated inbound caller; ``Behaviour`` is what a called number
or client does when the simulator rings it. Both become a ``Party`` on the leg, which
hands out scripted key presses and speech one Gather at a time.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, Literal

import phonenumbers

from .clock import Event

API_VERSION = "2010-04-01"

AnswerMode = Literal["human", "machine", "busy", "no-answer", "failed", "manual"]
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def rfc2822(dt: datetime) -> str:
    """Twilio's REST and status-callback date format: ``Tue, 31 Aug 2010 20:36:28 +0000``."""
    return format_datetime(dt.astimezone(UTC).replace(microsecond=0))


def iso8601(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class CallerScript:
    """A simulated inbound caller.

    ``press``: DTMF groups, each consumed by the next Gather that accepts dtmf (a group
    longer than ``numDigits`` is cut). ``say``: phrases, each consumed by the next Gather
    that accepts speech (``Confidence`` 0.9) or by a ``<Record>`` (the message left).
    A Gather accepting both takes a pending press first. ``answer_delay_s``: virtual
    seconds before the call reaches Twilio (the voice URL request). ``hangup_after_s``:
    the caller hangs up that long after the call starts (None: stays until the call ends,
    at most ``max_call_s``). ``talk_s``: how long the caller talks once bridged to an agent
    before hanging up (None: until the other side hangs up). ``utterances``: ``(seconds
    after the bridge, text)`` lines for real-time transcription.
    """

    press: list[str] = field(default_factory=list)
    say: list[str] = field(default_factory=list)
    answer_delay_s: float = 0.0
    hangup_after_s: float | None = None
    talk_s: float | None = 30.0
    utterances: list[tuple[float, str]] = field(default_factory=list)
    max_call_s: float = 3600.0

    @classmethod
    def from_cli(cls, press: str | None = None, say: list[str] | None = None, **kwargs: Any) -> CallerScript:
        """``press`` as typed on a command line: ``"1"`` or comma-separated groups ``"1,1"``."""
        groups = [g.strip() for g in (press or "").split(",") if g.strip()]
        return cls(press=groups, say=list(say or []), **kwargs)


@dataclass
class Behaviour:
    """What a called number or ``client:name`` does when the simulator rings it.

    ``answer``: ``human`` | ``machine`` (answering machine) | ``busy`` | ``no-answer`` |
    ``failed`` | ``manual`` (rings until ``sim.answer(call_sid)``, the console's agent
    legs). ``answer_after_s``: ring time before answering. ``press``/``say``: consumed by
    successive Gathers as for ``CallerScript``. ``hangup_after_s``: hangs up that long after
    answering (None: stays until the call ends, at most ``max_call_s``). ``talk_s``: hangs
    up that long after being bridged (None: never on its own). ``utterances``: ``(seconds
    after bridge/answer, text)`` for real-time transcription. ``machine_greeting_s``: length
    of a machine's greeting (AMD ``DetectMessageEnd``); ``machine_end``: ``beep`` |
    ``silence`` | ``other`` — how that greeting ends.
    """

    answer: AnswerMode = "human"
    answer_after_s: float = 5.0
    press: list[str] = field(default_factory=list)
    say: list[str] = field(default_factory=list)
    hangup_after_s: float | None = None
    talk_s: float | None = None
    utterances: list[tuple[float, str]] = field(default_factory=list)
    machine_greeting_s: float = 10.0
    machine_end: Literal["beep", "silence", "other"] = "beep"
    max_call_s: float = 600.0


class Party:
    """The person (or machine) on one leg, with the scripted inputs not yet used."""

    def __init__(self, script: CallerScript | Behaviour) -> None:
        self.press = list(script.press)
        self.say = list(script.say)
        self.talk_s = script.talk_s
        self.hangup_after_s = script.hangup_after_s
        self.utterances = list(script.utterances)
        self.max_call_s = script.max_call_s
        self.utterances_scheduled = False
        self.answer: str = getattr(script, "answer", "human")
        self.answer_after_s: float = getattr(script, "answer_after_s", 0.0)
        self.machine_greeting_s: float = getattr(script, "machine_greeting_s", 10.0)
        self.machine_end: str = getattr(script, "machine_end", "beep")

    def next_input(self, kinds: set[str]) -> tuple[str, str] | None:
        if "dtmf" in kinds and self.press:
            return "dtmf", self.press.pop(0)
        if "speech" in kinds and self.say:
            return "speech", self.say.pop(0)
        return None


@dataclass
class Leg:
    """One call leg (a Twilio Call resource) and everything the simulator tracks about it."""

    sid: str
    account_sid: str
    from_: str
    to: str
    direction: str  # inbound | outbound-api | outbound-dial
    created_t: float
    created_at: datetime
    party: Party
    parent_sid: str | None = None
    status: str = "queued"
    forwarded_from: str | None = None
    caller_name: str | None = None
    # where the call's TwiML comes from
    url: str | None = None
    method: str = "POST"
    twiml: str | None = None
    doc_url: str | None = None
    # outbound options (REST create)
    timeout_s: float = 60.0
    status_callback: str | None = None
    status_events: set[str] = field(default_factory=set)
    status_method: str = "POST"
    amd: dict[str, str] = field(default_factory=dict)
    sequence: int = 0
    # lifecycle (virtual seconds since the simulator started)
    initiated_t: float | None = None
    answered_t: float | None = None
    end_t: float | None = None
    answered_by: str | None = None
    # program driving (see engine.Simulator._drive)
    epoch: int = 0
    gen: Any = None
    wake: Event | None = None
    busy: bool = False
    signal_scheduled: bool = False
    pending: list[Exception] = field(default_factory=list)
    accepting: set[str] | None = None
    expect: dict[type, int] = field(default_factory=dict)
    sleep_due: float | None = None
    timers: list[Event] = field(default_factory=list)
    bridge_timers: list[Event] = field(default_factory=list)
    end_status: str | None = None  # set by <Reject>
    # queue / bridge / dial / record context
    queue_sid: str | None = None
    enqueue_ctx: dict[str, Any] | None = None
    queue_result: str | None = None
    bridged_with: str | None = None
    bridged_t: float | None = None
    dial_ctx: dict[str, Any] | None = None
    conference_sid: str | None = None
    record_ctx: dict[str, Any] | None = None
    transcriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # what happened
    timeline: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def answered(self) -> bool:
        return self.answered_t is not None

    @property
    def who(self) -> str:
        """The party's own address: the caller for inbound legs, the called side otherwise."""
        return self.from_ if self.direction == "inbound" else self.to

    def duration(self, now: float) -> int:
        if self.answered_t is None:
            return 0
        end = self.end_t if self.end_t is not None else now
        return int(round(end - self.answered_t))


@dataclass
class Member:
    call_sid: str
    enqueued_t: float
    enqueued_at: datetime


@dataclass
class QueueState:
    sid: str
    friendly_name: str
    max_size: int
    created_at: datetime
    members: list[Member] = field(default_factory=list)
    dialers: list[str] = field(default_factory=list)  # agent legs waiting in <Dial><Queue>

    def position(self, call_sid: str) -> int | None:
        for i, m in enumerate(self.members):
            if m.call_sid == call_sid:
                return i + 1
        return None

    def member(self, call_sid: str) -> Member | None:
        return next((m for m in self.members if m.call_sid == call_sid), None)

    def average_wait(self, now: float) -> int:
        if not self.members:
            return 0
        return int(round(sum(now - m.enqueued_t for m in self.members) / len(self.members)))


def wall(start: datetime, t: float) -> datetime:
    return start + timedelta(seconds=t)


@functools.lru_cache(maxsize=4096)
def _country(number: str) -> str:
    if not number.startswith("+"):
        return ""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except Exception:  # noqa: BLE001 - best effort, like Twilio's geo lookup
        return ""


def voice_params(leg: Leg) -> dict[str, str]:
    """Twilio's standard voice request parameters for ``leg`` as it is now."""
    params = {
        "AccountSid": leg.account_sid, "ApiVersion": API_VERSION, "CallSid": leg.sid,
        "CallStatus": leg.status, "Called": leg.to, "Caller": leg.from_,
        "Direction": leg.direction, "From": leg.from_, "To": leg.to,
        "FromCountry": _country(leg.from_), "ToCountry": _country(leg.to),
        "FromCity": "", "FromState": "", "FromZip": "", "ToCity": "", "ToState": "", "ToZip": "",
        "CalledCountry": _country(leg.to), "CallerCountry": _country(leg.from_),
    }
    if leg.parent_sid:
        params["ParentCallSid"] = leg.parent_sid
    if leg.forwarded_from:
        params["ForwardedFrom"] = leg.forwarded_from
    if leg.caller_name:
        params["CallerName"] = leg.caller_name
    if leg.amd and leg.answered_by:
        params["AnsweredBy"] = leg.answered_by
    return params
