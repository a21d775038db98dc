"""Plain data of conferences, and who hears whom in one.

Twilio's documented audio rules: a participant hears the others only once the conference
has started (a participant with ``startConferenceOnEnter`` is in); a ``muted`` participant
is heard by nobody; a participant on ``hold`` hears its hold audio, is not heard and hears
nobody; a ``coaching`` participant hears everyone but is heard only by the call it coaches
(``callSidToCoach``). ``hears``/``listeners`` apply exactly these rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Twilio's conference states (``Status`` of the Conferences resource).
INIT, IN_PROGRESS, COMPLETED = "init", "in-progress", "completed"


@dataclass
class Participant:
    call_sid: str
    joined_t: float
    joined_at: datetime
    label: str | None = None
    muted: bool = False
    hold: bool = False
    hold_url: str | None = None
    hold_method: str = "GET"
    coaching: bool = False
    call_sid_to_coach: str | None = None
    start_on_enter: bool = True
    end_on_exit: bool = False
    beep: str = "true"
    wait_url: str | None = None
    wait_method: str = "POST"
    talking: bool = False  # the party's talk timer and utterances started


@dataclass
class Subscription:
    """A ``statusCallback`` given by a participant: where conference events go."""

    url: str
    events: set[str]
    method: str
    owner_sid: str  # the leg whose request log records the callbacks


@dataclass
class ConferenceState:
    sid: str
    friendly_name: str
    created_t: float
    created_at: datetime
    status: str = INIT
    participants: dict[str, Participant] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)
    sequence: int = 0
    record: str = "do-not-record"
    recording_status_callback: str | None = None
    started_t: float | None = None
    ended_t: float | None = None
    reason_ended: str | None = None
    call_sid_ending: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)  # every event, sent or not
    met: set[frozenset[str]] = field(default_factory=set)  # pairs of legs that have talked

    @property
    def started(self) -> bool:
        return self.status == IN_PROGRESS

    def find(self, key: str) -> Participant | None:
        """A participant by CallSid or by label (the REST resource accepts both)."""
        if key in self.participants:
            return self.participants[key]
        return next((p for p in self.participants.values() if p.label and p.label == key), None)


def heard_by(conf: ConferenceState, speaker: Participant, listener: Participant) -> bool:
    """Does ``listener`` hear ``speaker`` right now?"""
    if speaker is listener or not conf.started:
        return False
    if speaker.muted or speaker.hold or listener.hold:
        return False
    if speaker.coaching:
        return listener.call_sid == speaker.call_sid_to_coach
    return True


def hears(conf: ConferenceState, call_sid: str) -> set[str]:
    """The CallSids of the participants ``call_sid`` hears."""
    listener = conf.participants.get(call_sid)
    if listener is None:
        return set()
    return {p.call_sid for p in conf.participants.values() if heard_by(conf, p, listener)}


def listeners(conf: ConferenceState, call_sid: str) -> list[str]:
    """The CallSids of the participants who hear ``call_sid``, in joining order."""
    speaker = conf.participants.get(call_sid)
    if speaker is None:
        return []
    return [p.call_sid for p in conf.participants.values() if heard_by(conf, speaker, p)]


def flag(value: Any, default: bool = False) -> bool:
    """Twilio's booleans: ``true``/``false`` (anything else is ``false``); missing → default."""
    if value is None or value == "":
        return default
    return str(value).strip().lower() == "true"
