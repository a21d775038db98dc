"""The one telephony gateway, on the ``twilio`` client.

In production the client talks to api.twilio.com; in simulator mode the same client's
``api.base_url`` points at the simulator, so the code that places, moves and ends calls
is the code every test runs. REST 429 (and 5xx on requests that are safe to repeat) are
retried with bounded back-off; other errors surface as ``GatewayError``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from flask import Flask, current_app
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

T = TypeVar("T")

RETRYABLE_STATUS = {429, 500, 502, 503, 504}
INVALID_NUMBER_CODES = {21211, 21214, 21217, 21210, 13224}


class GatewayError(Exception):
    """A REST request failed for good; ``code`` is Twilio's error code when known."""

    def __init__(self, message: str, code: int | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status

    @property
    def invalid_number(self) -> bool:
        return self.code in INVALID_NUMBER_CODES


@dataclass(frozen=True)
class CallInfo:
    sid: str
    status: str
    direction: str | None
    to: str | None
    from_: str | None
    duration: int | None
    answered_by: str | None
    date_created: datetime | None = None  # naive UTC


class TelephonyGateway:
    def __init__(self, client: Client, caller_id: str, retries: int = 3, backoff_s: float = 0.2,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.caller_id = caller_id
        self.retries = retries
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._queue_sids: dict[str, str] = {}

    # -- calls -------------------------------------------------------------------------------
    def place_call(self, to: str, url: str, *, status_callback: str | None = None,
                   status_events: Iterable[str] = ("initiated", "ringing", "answered", "completed"),
                   timeout_s: int | None = None, from_: str | None = None,
                   machine_detection: str | None = None, async_amd_callback: str | None = None) -> str:
        """Start an outbound call; returns its CallSid. Only 429 is retried (nothing was dialed)."""
        kwargs: dict[str, Any] = {"to": to, "from_": from_ or self.caller_id, "url": url, "method": "POST"}
        if status_callback:
            kwargs.update(status_callback=status_callback, status_callback_method="POST",
                          status_callback_event=list(status_events))
        if timeout_s is not None:
            kwargs["timeout"] = timeout_s
        if machine_detection:
            kwargs["machine_detection"] = machine_detection
            if async_amd_callback:
                kwargs.update(async_amd="true", async_amd_status_callback=async_amd_callback,
                              async_amd_status_callback_method="POST")
        call = self._call(lambda: self.client.calls.create(**kwargs), retry_5xx=False)
        return call.sid

    def redirect_call(self, call_sid: str, url: str) -> None:
        self._call(lambda: self.client.calls(call_sid).update(url=url, method="POST"))

    def end_call(self, call_sid: str) -> None:
        self._call(lambda: self.client.calls(call_sid).update(status="completed"))

    def fetch_call(self, call_sid: str) -> CallInfo:
        call = self._call(lambda: self.client.calls(call_sid).fetch())
        return CallInfo(sid=call.sid, status=call.status, direction=call.direction, to=call.to,
                        from_=call._from, duration=int(call.duration) if call.duration else None,
                        answered_by=call.answered_by)

    def find_calls(self, to: str, created_after: datetime, limit: int = 50) -> list[CallInfo]:
        """Calls to ``to`` created at or after ``created_after`` (naive UTC), newest first.

        Reconciles an outbound attempt whose REST answer was lost (crash, 5xx): was it placed?
        """
        calls = self._call(lambda: self.client.calls.list(to=to, limit=limit))
        found = []
        for call in calls:
            created = call.date_created
            if created is not None and created.tzinfo is not None:
                created = created.astimezone(UTC).replace(tzinfo=None)
            if created is not None and created < created_after:
                continue
            found.append(CallInfo(sid=call.sid, status=call.status, direction=call.direction, to=call.to,
                                  from_=call._from, duration=int(call.duration) if call.duration else None,
                                  answered_by=call.answered_by, date_created=created))
        return found

    def start_transcription(self, call_sid: str, status_callback_url: str, *, track: str = "both_tracks",
                            language_code: str | None = None) -> str:
        """Start real-time transcription of a call in progress (what ``<Start><Transcription>``
        does, for a call whose TwiML we do not write: a participant dialed by REST); its SID."""
        kwargs: dict[str, Any] = {"status_callback_url": status_callback_url, "status_callback_method": "POST",
                                  "track": track}
        if language_code:
            kwargs["language_code"] = language_code
        return self._call(lambda: self.client.calls(call_sid).transcriptions.create(**kwargs), retry_5xx=False).sid

    # -- queues ------------------------------------------------------------------------------
    def queue_sid(self, name: str, max_size: int | None = None) -> str:
        """The SID of the queue called ``name``, creating it on first use."""
        if name in self._queue_sids:
            return self._queue_sids[name]
        for queue in self._call(lambda: self.client.queues.list(limit=1000)):
            if queue.friendly_name == name:
                self._queue_sids[name] = queue.sid
                break
        else:
            kwargs: dict[str, Any] = {"friendly_name": name}
            if max_size:
                kwargs["max_size"] = max_size
            self._queue_sids[name] = self._call(functools.partial(self.client.queues.create, **kwargs)).sid
        return self._queue_sids[name]

    def queue_members(self, queue_name: str) -> list[tuple[str, int, int]]:
        """(call_sid, position, wait_time) of each member, in queue order."""
        sid = self.queue_sid(queue_name)
        members = self._call(lambda: self.client.queues(sid).members.list(limit=1000))
        return [(m.call_sid, int(m.position), int(m.wait_time)) for m in members]

    # -- conferences -------------------------------------------------------------------------
    def end_conference(self, name: str) -> int:
        """End the conferences called ``name`` that are still on; how many were ended."""
        ended = 0
        for status in ("in-progress", "init"):
            for conf in self._call(lambda st=status: self.client.conferences.list(friendly_name=name, status=st,
                                                                                  limit=20)):
                self._call(lambda sid=conf.sid: self.client.conferences(sid).update(status="completed"))
                ended += 1
        return ended

    def update_participant(self, conference_sid: str, participant: str, **changes: Any) -> None:
        """Change a participant (by CallSid or label): ``hold``/``hold_url``, ``muted``, ``coaching``…"""
        self._call(lambda: self.client.conferences(conference_sid).participants(participant).update(**changes))

    def add_participant(self, conference: str, to: str, *, label: str, status_callback: str | None = None,
                        status_events: Iterable[str] = ("initiated", "ringing", "answered", "completed"),
                        **options: Any) -> str:
        """Dial ``to`` into a conference (its SID, or its friendly name); the new leg's CallSid.

        ``options`` are the Participants resource's own (``muted``, ``coaching``,
        ``call_sid_to_coach``, ``beep``, ``early_media``, ``end_conference_on_exit``,
        ``start_conference_on_enter``, ``timeout``, ``conference_status_callback``…). Like
        ``place_call``, only 429 is retried: Twilio may already have dialed.
        """
        kwargs: dict[str, Any] = {"from_": self.caller_id, "to": to, "label": label, **options}
        if status_callback:
            kwargs.update(status_callback=status_callback, status_callback_method="POST",
                          status_callback_event=list(status_events))
        participant = self._call(lambda: self.client.conferences(conference).participants.create(**kwargs),
                                 retry_5xx=False)
        return participant.call_sid

    def remove_participant(self, conference_sid: str, participant: str) -> None:
        """Take a participant (by CallSid or label) out of the conference: its leg hangs up."""
        self._call(lambda: self.client.conferences(conference_sid).participants(participant).delete())

    # -- retries -----------------------------------------------------------------------------
    def _call(self, request: Callable[[], T], retry_5xx: bool = True) -> T:
        attempt = 0
        while True:
            try:
                return request()
            except TwilioRestException as exc:
                retryable = exc.status == 429 or (retry_5xx and exc.status in RETRYABLE_STATUS)
                if not retryable or attempt >= self.retries:
                    raise GatewayError(exc.msg or str(exc), code=exc.code, status=exc.status) from exc
            except requests.exceptions.RequestException as exc:
                # Timeout or broken connection: the outcome is unknown. Retried only when safe to
                # repeat (never calls.create: Twilio may have dialed); else a GatewayError.
                if not retry_5xx or attempt >= self.retries:
                    raise GatewayError(f"Twilio REST request failed: {exc}") from exc
            attempt += 1
            self._sleep(self.backoff_s * (2 ** (attempt - 1)))


def get_gateway(app: Flask | None = None) -> TelephonyGateway:
    return (app or current_app).extensions["gateway"]
