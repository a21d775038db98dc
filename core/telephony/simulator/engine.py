"""The simulator's core: state, the lock, the clock, and the driver of each leg's program.

Locking: one ``threading.RLock`` (``sim.lock``) guards every leg, queue and record. REST
and control handlers take it, mutate state and schedule events — they never make a
webhook request, because the app calls the REST API from inside its own webhook handlers
(with its database transaction open). Webhook requests happen only in clock events, in
``_perform``, with the lock released; a leg whose program was replaced meanwhile (its
``epoch`` moved on) ignores the answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from . import control_api, wiring
from .clock import Clock
from .conf_records import ConferenceState
from .legs import place_inbound
from .lifecycle import program_finished
from .records import Behaviour, CallerScript, Leg, QueueState, voice_params
from .signals import Fetch, Signal, Sleep, expected
from .transport import Transport, TransportResponse, with_query

RESPONSE_LIMIT_S = 15.0  # Twilio's limit for a whole webhook response (recorded as a warning)
_START, _TIMER, _SIGNAL = "start", "timer", "signal"


class Simulator(control_api.ControlApi):
    """A small fake Twilio. See ``core/telephony/simulator/__init__.py`` for the tour."""

    def __init__(self, account_sid: str, auth_token: str, transport: Transport, clock: str = "manual",
                 calls_per_second: float = 1.0, max_queue_size: int = 1000, *,
                 public_url: str | None = None, start_time: datetime | None = None) -> None:
        if clock not in ("manual", "auto", "realtime"):
            raise ValueError(f"clock must be manual, auto or realtime, not {clock!r}")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.transport = transport
        self.clock_mode = clock
        self.calls_per_second = calls_per_second
        self.max_queue_size = max_queue_size
        self.public_url = public_url.rstrip("/") if public_url else None
        self.start_time = start_time or datetime.now(UTC)
        self.lock = threading.RLock()
        self.clock = Clock()
        self._token = auth_token.encode("utf-8")
        self.legs: dict[str, Leg] = {}
        self.queues: dict[str, QueueState] = {}
        self.conferences: dict[str, ConferenceState] = {}
        self.conferences_by_name: dict[str, list[ConferenceState]] = {}  # friendly name → oldest first
        self.numbers: dict[str, dict[str, str | None]] = {}
        self.behaviours: dict[str, Behaviour] = {}
        self.recordings: dict[str, dict[str, Any]] = {}
        self.creates: list[dict[str, Any]] = []
        self.media_seconds: dict[str, float] = {}
        self.rest_failures: list[tuple[int, int]] = []
        self.next_start_t = 0.0
        self.verbs = wiring.VERBS  # looked up by twiml.run_verbs
        self.leg_end_hooks = wiring.LEG_END_HOOKS  # run by lifecycle.finish
        self.create_latency_s = 0.0  # how long ``calls.create`` takes to answer (see rest_latency)
        # Keep each webhook response's body in ``requests(sid)`` (what tests read); a long-running
        # load test turns it off so the log of Twilio's side does not count as the app's memory.
        self.keep_responses = True
        # Keep each webhook request on its leg at all (``requests(sid)``); off, only
        # ``request_counts`` (requests per URL without its query string) is kept.
        self.keep_requests = True
        self.request_counts: Counter[str] = Counter()
        self._tokens = random.Random()  # idempotency tokens: unique, no entropy needed

    # -- time ---------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.clock.now

    @property
    def errors(self) -> list[str]:
        """Internal errors caught while running events (should stay empty)."""
        return self.clock.errors

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def run_until_idle(self, max_seconds: float = 3600.0) -> bool:
        return self.clock.run_until_idle(max_seconds)

    def run_until(self, predicate: Callable[[], bool], max_seconds: float = 3600.0) -> bool:
        return self.clock.run_until(predicate, max_seconds)

    def start(self) -> None:
        """Background clock thread for the ``auto`` (jumping) or ``realtime`` clock."""
        if self.clock_mode != "manual":
            self.clock.start(realtime=self.clock_mode == "realtime")

    def start_realtime(self) -> None:
        self.clock_mode = "realtime"
        self.clock.start(realtime=True)

    def stop(self) -> None:
        self.clock.stop()

    def schedule(self, delay: float, fn: Callable[[], None], label: str = "") -> Any:
        return self.clock.schedule(delay, fn, label)

    # -- records ------------------------------------------------------------------------
    def t(self, leg: Leg) -> float:
        return round(self.now - leg.created_t, 1)

    def record(self, leg: Leg, verb: str, **details: Any) -> dict[str, Any]:
        entry = {"t": self.t(leg), "verb": verb, **{k: v for k, v in details.items() if v is not None}}
        leg.timeline.append(entry)
        return entry

    def leg(self, call_sid: str) -> Leg:
        try:
            return self.legs[call_sid]
        except KeyError:
            raise KeyError(f"unknown call {call_sid}") from None

    def base_params(self, leg: Leg) -> dict[str, str]:
        """Twilio's standard voice request parameters for ``leg`` as it is now."""
        return voice_params(leg)

    def recording_base(self, leg: Leg) -> str:
        """Where the app mounted the simulator: ``public_url`` or the leg's webhook host.

        Assumption: the simulator is mounted at ``/simulator`` on the host serving the
        call's TwiML (how ``core/telephony/setup.py`` mounts it)."""
        if self.public_url:
            return self.public_url
        parts = urlsplit(leg.doc_url or leg.url or "http://localhost/")
        return f"{parts.scheme}://{parts.netloc}/simulator"

    # -- driving a leg's program ----------------------------------------------------------
    def start_program(self, leg: Leg, program: Any) -> None:
        """Replace whatever ``leg`` was doing with ``program`` (a generator), from now."""
        self.stop_program(leg)
        leg.gen = program
        epoch = leg.epoch
        self.schedule(0, lambda: self._drive(leg, epoch, _START), f"{leg.sid} start")

    def stop_program(self, leg: Leg) -> None:
        leg.epoch += 1
        old, leg.gen = leg.gen, None
        if old is not None and not old.gi_running:
            old.close()
        if leg.wake is not None:
            leg.wake.cancel()
        leg.wake, leg.busy, leg.signal_scheduled, leg.accepting = None, False, False, None
        leg.pending.clear()
        leg.expect.clear()
        leg.sleep_due = None

    def interrupt(self, leg: Leg, signal: Signal) -> None:
        """Throw ``signal`` into the leg's program at its current ``yield`` (soon, in an event),
        if the program is where it expects such a signal; otherwise drop it."""
        if leg.gen is None or not expected(leg, signal):
            return
        leg.pending.append(signal)
        if leg.busy or leg.signal_scheduled:
            return
        if leg.wake is not None:
            leg.wake.cancel()
            leg.wake = None
        leg.signal_scheduled = True
        epoch = leg.epoch
        self.schedule(0, lambda: self._drive(leg, epoch, _SIGNAL), f"{leg.sid} signal")

    def _drive(self, leg: Leg, epoch: int, how: str) -> None:
        """Step ``leg``'s program: resume it (timer ran out / fetched answer) or throw it the
        pending signals, make the requests it yields, until it sleeps or ends."""
        fetched: TransportResponse | None = None
        sleeping = how == _SIGNAL  # the program sits at a Sleep; only a signal may move it
        while True:
            with self.lock:
                if leg.epoch != epoch or leg.gen is None:
                    return
                if how == _SIGNAL:
                    leg.signal_scheduled = False
                    how = _START
                # a signal the program stopped expecting since it was sent is dropped
                leg.pending[:] = [s for s in leg.pending if expected(leg, s)]
                if sleeping and not leg.pending:
                    self._resume_sleep(leg, epoch)
                    return
                leg.busy, leg.sleep_due = True, None
                try:
                    if leg.pending:
                        cmd = leg.gen.throw(leg.pending.pop(0))
                    else:
                        cmd = leg.gen.send(fetched)
                except StopIteration:
                    leg.busy, leg.gen = False, None
                    program_finished(self, leg)
                    return
                except Exception as exc:  # noqa: BLE001 - a simulator bug must not kill the clock
                    leg.busy, leg.gen = False, None
                    self.clock.errors.append(f"{leg.sid}: {exc!r}")
                    self.record(leg, "error", code=0, message=f"simulator: {exc!r}")
                    program_finished(self, leg)
                    if not isinstance(exc, Signal):
                        raise
                    return
                fetched = None
                if isinstance(cmd, Sleep):
                    leg.busy = False
                    leg.sleep_due = None if cmd.seconds is None else self.now + cmd.seconds
                    sleeping = True
                    continue
                sleeping = False
            fetched = self.perform(leg, cmd)

    def _resume_sleep(self, leg: Leg, epoch: int) -> None:
        """(Re)arm the timer of the Sleep the program is in."""
        if leg.wake is not None:
            leg.wake.cancel()
        leg.wake = None
        if leg.sleep_due is not None:
            leg.wake = self.schedule(leg.sleep_due - self.now, lambda: self._drive(leg, epoch, _TIMER),
                                     f"{leg.sid} timer")

    # -- webhook requests ---------------------------------------------------------------
    def perform(self, leg: Leg, fetch: Fetch) -> TransportResponse:
        """Make one signed request (call without the lock) and record it on ``leg``."""
        method = fetch.method.upper()
        if method == "GET":
            signature = self.signature(with_query(fetch.url, fetch.params), {})
        else:
            signature = self.signature(fetch.url, fetch.params)
        token = uuid.UUID(int=self._tokens.getrandbits(128), version=4)
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1",
                   "I-Twilio-Idempotency-Token": str(token)}
        with self.lock:
            entry: dict[str, Any] = {"t": self.t(leg), "kind": fetch.kind, "method": method, "url": fetch.url}
            if self.keep_requests:
                entry["params"] = dict(fetch.params)
                leg.requests.append(entry)
            self.request_counts[fetch.url.partition("?")[0]] += 1
        began = time.monotonic()
        try:
            response = self.transport.request(method, fetch.url, dict(fetch.params), headers)
        except Exception as exc:  # noqa: BLE001 - a connection failure is Twilio error 11200 too
            response = TransportResponse(0, f"{type(exc).__name__}: {exc}", "", b"")
        took = time.monotonic() - began
        with self.lock:
            entry["status"] = response.status
            entry["content_type"] = response.content_type
            if not self.keep_responses:
                entry["response"] = f"<{len(response.content)} bytes>"
            else:
                entry["response"] = response.text if fetch.kind != "media" else f"<{len(response.content)} bytes>"
            if took > RESPONSE_LIMIT_S:
                entry["warning"] = f"took {took:.1f} s; Twilio gives up after {RESPONSE_LIMIT_S:.0f} s"
                self.record(leg, "warning", code=11205, url=fetch.url, message=entry["warning"])
        return response

    def signature(self, url: str, params: dict[str, str]) -> str:
        """``X-Twilio-Signature``: HMAC-SHA1 with the auth token over the URL followed by each
        POST parameter's name and value, sorted by name, base64-encoded (as
        ``twilio.request_validator.RequestValidator.compute_signature`` for single values)."""
        data = url + "".join(name + params[name] for name in sorted(params))
        return base64.b64encode(hmac.new(self._token, data.encode("utf-8"), hashlib.sha1).digest()).decode("ascii")

    def fire(self, leg: Leg, url: str, params: dict[str, str], method: str = "POST",
             kind: str = "callback") -> None:
        """A request whose answer is ignored (status callback, ignored action…), sent soon."""
        fetch = Fetch(url, method, dict(params), kind)
        self.schedule(0, lambda: self.perform(leg, fetch), f"{leg.sid} {kind}")

    # -- registry (like IncomingPhoneNumbers / endpoints) ---------------------------------
    def register_number(self, phone_number: str, voice_url: str, status_callback: str | None = None,
                        voice_method: str = "POST") -> None:
        with self.lock:
            self.numbers[phone_number] = {"voice_url": voice_url, "voice_method": voice_method.upper(),
                                          "status_callback": status_callback}

    def set_behaviour(self, number_or_client: str, behaviour: Behaviour) -> None:
        with self.lock:
            self.behaviours[number_or_client] = behaviour

    def place_inbound_call(self, from_: str, to: str, caller: CallerScript | None = None, *,
                           forwarded_from: str | None = None, caller_name: str | None = None) -> str:
        with self.lock:
            return place_inbound(self, from_, to, caller or CallerScript(),
                                 forwarded_from=forwarded_from, caller_name=caller_name)

    def rest_latency(self) -> None:
        """Twilio taking ``create_latency_s`` to answer ``calls.create``: the real clock sleeps; a
        manual/auto clock moves on that far (running what falls due meanwhile, such as status
        callbacks of earlier calls), unless it is already being advanced (a webhook's REST call)."""
        wait = self.create_latency_s
        if wait <= 0:
            return
        if self.clock_mode == "realtime":
            time.sleep(wait)
        else:
            self.clock.try_advance(wait)

    def inject_rest_failures(self, count: int, status: int = 429, code: int = 20429) -> None:
        """The next ``count`` Twilio REST requests fail with ``status``/``code``."""
        with self.lock:
            self.rest_failures.extend([(status, code)] * count)
