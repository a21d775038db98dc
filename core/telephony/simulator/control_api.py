"""What tests, the CLI and the console use to watch and steer simulated calls.

Like the REST handlers, these only change state and schedule events: the people on the
line act "now" on the virtual clock, and the webhooks that follow run in clock events.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from . import bridge
from .conf_records import hears
from .legs import picked_up
from .lifecycle import hangup
from .signals import InputArrived

if TYPE_CHECKING:
    from .records import Leg


class ControlApi:
    # provided by Simulator
    lock: Any
    legs: dict[str, Leg]
    creates: list[dict[str, Any]]

    # -- watching -----------------------------------------------------------------------
    def timeline(self, call_sid: str) -> list[dict[str, Any]]:
        """What the party on this leg heard and did, in order (``t`` = seconds since it began)."""
        with self.lock:
            return copy.deepcopy(self.leg(call_sid).timeline)  # type: ignore[attr-defined]

    def requests(self, call_sid: str) -> list[dict[str, Any]]:
        """Every request made for this leg: TwiML fetches, media, callbacks (with answers)."""
        with self.lock:
            return copy.deepcopy(self.leg(call_sid).requests)  # type: ignore[attr-defined]

    def call(self, call_sid: str) -> dict[str, Any]:
        with self.lock:
            return self.snapshot(self.leg(call_sid))  # type: ignore[attr-defined]

    def calls(self) -> list[dict[str, Any]]:
        with self.lock:
            return [self.snapshot(leg) for leg in self.legs.values()]

    def created_calls(self) -> list[dict[str, Any]]:
        """Each REST create with its virtual time and when pacing let it start dialing."""
        with self.lock:
            out = []
            for item in self.creates:
                leg = self.legs[item["sid"]]
                out.append({**item, "initiated_at": leg.initiated_t})  # exact, for pacing checks
            return out

    def snapshot(self, leg: Leg) -> dict[str, Any]:
        now: float = self.now  # type: ignore[attr-defined]
        queue = self.queues.get(leg.queue_sid) if leg.queue_sid else None  # type: ignore[attr-defined]

        def r(t: float | None) -> float | None:
            return None if t is None else round(t, 1)

        return {
            "sid": leg.sid, "status": leg.status, "direction": leg.direction,
            "from": leg.from_, "to": leg.to, "parent_call_sid": leg.parent_sid,
            "created_at": r(leg.created_t), "start": r(leg.answered_t), "end": r(leg.end_t),
            "initiated_at": r(leg.initiated_t), "duration": leg.duration(now),
            "answered_by": leg.answered_by, "bridged_with": leg.bridged_with or self._talking_with(leg),
            "queue": queue.friendly_name if queue else (leg.enqueue_ctx or {}).get("queue_name"),
            "queue_position": queue.position(leg.sid) if queue else None,
            "queue_result": leg.queue_result, "ended": leg.ended,
            "conference_sid": leg.conference_sid,
        }

    def hears(self, call_sid: str) -> set[str]:
        """The CallSids whose voice reaches ``call_sid`` now (its conference's audio rules)."""
        with self.lock:
            leg = self.leg(call_sid)  # type: ignore[attr-defined]
            conf = self.conferences.get(leg.conference_sid or "")  # type: ignore[attr-defined]
            return hears(conf, call_sid) if conf is not None else set()

    def conference(self, name_or_sid: str) -> dict[str, Any]:
        """The latest conference with this friendly name (or SID): status, participants, events."""
        with self.lock:
            confs = [c for c in self.conferences.values()  # type: ignore[attr-defined]
                     if name_or_sid in (c.sid, c.friendly_name)]
            if not confs:
                raise KeyError(f"unknown conference {name_or_sid}")
            conf = confs[-1]
            return {"sid": conf.sid, "friendly_name": conf.friendly_name, "status": conf.status,
                    "reason_ended": conf.reason_ended, "call_sid_ending": conf.call_sid_ending,
                    "participants": {sid: copy.copy(vars(p)) for sid, p in conf.participants.items()},
                    "events": copy.deepcopy(conf.events)}

    def _talking_with(self, leg: Leg) -> str | None:
        """In a started conference: the party of the first other participant (else None)."""
        conf = self.conferences.get(leg.conference_sid or "")  # type: ignore[attr-defined]
        if conf is None or not conf.started:
            return None
        other = next((sid for sid in conf.participants if sid != leg.sid), None)
        return self.legs[other].who if other else None

    # -- steering -----------------------------------------------------------------------
    def press(self, call_sid: str, digits: str) -> bool:
        """The party presses keys. Heard only by a Gather/Record waiting on this leg (or a
        ``hangupOnStar`` Dial); otherwise the tones are lost, as on a real line."""
        with self.lock:
            leg = self.leg(call_sid)  # type: ignore[attr-defined]
            accepting = leg.accepting or set()
            if not leg.ended and ("dtmf" in accepting or ("star" in accepting and "*" in digits)):
                self.interrupt(leg, InputArrived("dtmf", digits))  # type: ignore[attr-defined]
                return True
            self.record(leg, "press", digits=digits, ignored=True)  # type: ignore[attr-defined]
            return False

    def say(self, call_sid: str, text: str) -> bool:
        """The party speaks to a Gather accepting speech (or into a ``<Record>``)."""
        with self.lock:
            leg = self.leg(call_sid)  # type: ignore[attr-defined]
            if not leg.ended and "speech" in (leg.accepting or set()):
                self.interrupt(leg, InputArrived("speech", text))  # type: ignore[attr-defined]
                return True
            self.record(leg, "speech", speech=text, ignored=True)  # type: ignore[attr-defined]
            return False

    def hangup(self, call_sid: str) -> bool:
        """The party hangs up."""
        with self.lock:
            leg = self.leg(call_sid)  # type: ignore[attr-defined]
            if leg.ended:
                return False
            hangup(self, leg, by="party")
            return True

    def answer(self, call_sid: str) -> bool:
        """Answer a ringing leg whose behaviour is ``manual`` (the console's agent phone)."""
        with self.lock:
            leg = self.leg(call_sid)  # type: ignore[attr-defined]
            if leg.status != "ringing" or leg.answered:
                return False
            picked_up(self, leg)
            return True

    def speak(self, call_sid: str, text: str, track: str = "inbound_track") -> bool:
        """Emit a real-time transcription line as if spoken on ``call_sid``'s ``track``
        (``inbound_track`` = that leg's own party). True if some transcription heard it."""
        with self.lock:
            leg = self.leg(call_sid)  # type: ignore[attr-defined]
            return bridge.speak(self, leg, text, track)
