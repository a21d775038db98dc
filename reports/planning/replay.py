"""What-if replay: play a day's callers through the real webhooks and the simulator on its
virtual clock, under changed staffing, routing strategy, reassurance interval, call-back offer
or opening hours, into a throw-away database.

A replay builds a second Hotline app (``app.create_app``) on a fresh SQLite database in a
temporary directory, its simulator on the manual clock, and its clock following the virtual
time from the replayed day's local midnight (so opening hours, waits and timestamps are those
of that day). Simulated agents ``replay-agent-N`` answer after ``planning.replay_agent_answer_s``;
the staffing plan signs them in and out at each interval boundary (an agent on a call signs off
when the call and its wrap-up end). Between events the clock moves in steps of
``planning.replay_step_s`` while anyone is waiting (in line, for a call-back, or an agent
signing off), running the periodic dispatch job as ``python app.py`` would, but only when it
can do something (an agent may be free: ``replay_agents``); when nobody is waiting it jumps
from event to event until someone is.

Replay-only savings that change nothing measured: no live transcription of the agents' calls
(transcripts are not part of service level or abandonment; ``<Start><Transcription>`` is
skipped by the replay's simulator), and no learned layer of the library (the replay never
checks what an agent says). The rest is how the replay runs, not what it plays
(``replay_app``): a webhook's follow-up work runs in the replay's thread before the next
event, webhooks and REST calls go straight into the app's and the simulator's WSGI entries,
and the database starts as a copy of a migrated one.

The replay's app has its own clock (``core.clock``, on the app), so the app that started it
keeps its time; it still runs in its own process (the CLI does; the lead's page starts the CLI)
to keep a long replay's CPU and memory away from the serving process.
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from core import clock
from core.config import Settings
from core.db import session_scope
from core.models import Call, CallbackRequest, CallbackStatus, Presence, Role, User
from core.presence import announce, set_presence
from core.telephony.simulator import Behaviour, CallerScript
from ivr.routing import dispatch_due
from reports import data, kpis
from reports.planning import replay_app
from reports.planning.arrivals import Arrival
from reports.planning.days import interval_s, intervals_per_day
from reports.planning.replay_agents import AgentBoard

AGENT_PREFIX = "replay-agent-"
DRAIN_S = 4 * 3600  # after the last caller: at most this long for the line and call-backs to empty
CALLBACK_PRESS_TRIES = 600  # seconds a caller keeps trying to press 1 for a call-back
CALLBACK_JOB_EVERY = 6  # steps between looks for due call-backs while nobody is in line
OPEN_CALLBACKS = select(CallbackRequest.status, CallbackRequest.due_at).where(CallbackRequest.status.in_(
    (CallbackStatus.PENDING, CallbackStatus.DIALING, CallbackStatus.CONNECTED)))


@dataclass(frozen=True)
class Scenario:
    """What changes. ``staffing``: agents signed in per interval (None: unchanged)."""

    staffing: list[int]
    strategy: str | None = None
    reassure_every_s: float | None = None
    callback_offer: bool | None = None
    open_hours: str | None = None

    def overrides(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.strategy:
            out.setdefault("routing", {})["strategy"] = self.strategy
        if self.reassure_every_s:
            out.setdefault("queue", {})["reassure_every_s"] = self.reassure_every_s
        if self.callback_offer is not None:
            out.setdefault("queue", {})["callback_offer"] = self.callback_offer
        if self.open_hours:
            out.setdefault("hours", {})["open"] = self.open_hours
        return out


@dataclass
class ReplayResult:
    rows: list[kpis.CallRow]
    busy_s: list[float]  # agent seconds on calls and wrap-up per interval
    staffed_s: list[float]  # agent seconds signed in per interval
    wall_s: float = 0.0
    requests: int = 0
    requests_by_path: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    settings: Settings | None = None
    cpu_s: dict[str, float] = field(default_factory=dict)  # the replay thread's: webhooks, follow_up, total


def run(base: Settings, start: datetime, arrivals: list[Arrival], scenario: Scenario, seed: int = 1,
        workdir: Path | None = None) -> ReplayResult:
    """Replay ``arrivals`` (offsets from ``start``, naive UTC local midnight) under ``scenario``."""
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="hotline-replay-") as tmp:
            return run(base, start, arrivals, scenario, seed, Path(tmp))
    from app import create_app  # the replay builds a whole app: the factory (app.py imports this package)

    logging.getLogger().setLevel(logging.WARNING)
    started, cpu0 = time.perf_counter(), time.thread_time()
    replay_app.fresh_database(workdir)
    app = create_app(overrides=replay_app.replay_settings(base, scenario.overrides(), workdir), environ={})
    replay_app.throwaway_pragmas(app.extensions["db_engine"])
    replay_app.no_live_transcription(app.extensions["simulator"])
    replay_app.inline_deferred(app)
    replay_app.direct_webhooks(app)
    try:
        player = _Player(app, start, arrivals, scenario, seed)
        player.play()
        result = player.result()
        result.cpu_s = {**replay_app.cpu_split(app), "total": time.thread_time() - cpu0}
    finally:
        replay_app.stop(app)
    result.wall_s = time.perf_counter() - started
    return result


class _Player:
    """Drives one replay: callers in, agents on and off, the clock forward."""

    def __init__(self, app: Any, start: datetime, arrivals: list[Arrival], scenario: Scenario, seed: int) -> None:
        self.app, self.start, self.scenario = app, start, scenario
        self.settings: Settings = app.config["HOTLINE"]
        self.sim = app.extensions["simulator"]
        self.arrivals = sorted(arrivals, key=lambda a: a.offset_s)
        self.rng = random.Random(seed)
        self.width = interval_s(self.settings)
        self.step = self.settings.planning.replay_step_s
        self.t0 = self.sim.now
        clock.follow(lambda: self.sim.now - self.t0, start=start, app=app)
        self.active: list[str] = []
        self.signing_off: set[int] = set()
        self.agent_ids = self._make_agents(max(scenario.staffing, default=0))
        self.sids: list[str] = []
        self.steps = 0
        self.wanted = 0  # agents the staffing plan wants on the phones now
        routing = self.settings.routing
        self.board = AgentBoard(self.sim, routing.wrap_up_s,
                                max(routing.agent_answer_timeout_s, self.settings.callbacks.ring_timeout_s))

    # -- set-up ---------------------------------------------------------------------------
    def _make_agents(self, count: int) -> list[int]:
        ids = []
        behaviour = Behaviour(answer="human", answer_after_s=self.settings.planning.replay_agent_answer_s,
                              max_call_s=DRAIN_S)
        with session_scope(self.app) as s:
            last = s.scalar(select(func.max(User.id))) or 0
            for i in range(1, count + 1):
                # Simulated agents never sign in: no password (hashing one costs 0.1 s of CPU)
                # nor API token; the agent code is the one ``create_user`` would give.
                name = f"{AGENT_PREFIX}{i}"
                user = User(name=name, role=Role.AGENT, display_name=name, agent_code=str(1000 + last + i),
                            endpoint=f"client:{name}", skills=[], districts=[])
                s.add(user)
                s.flush()
                ids.append(user.id)
                self.sim.set_behaviour(f"client:{name}", behaviour)
        return ids

    # -- the clock ------------------------------------------------------------------------
    @property
    def offset(self) -> float:
        return self.sim.now - self.t0

    def play(self) -> None:
        boundaries = [i * self.width for i in range(len(self.scenario.staffing))]
        queue = list(self.arrivals)
        next_arrival = 0
        next_boundary = 0
        end_of_day = max([a.offset_s for a in queue] + [len(boundaries) * self.width])
        while next_arrival < len(queue) or next_boundary < len(boundaries):
            due = min(queue[next_arrival].offset_s if next_arrival < len(queue) else float("inf"),
                      boundaries[next_boundary] if next_boundary < len(boundaries) else float("inf"))
            self._move_to(due)
            while next_boundary < len(boundaries) and boundaries[next_boundary] <= self.offset + 1e-6:
                self._staff(self.scenario.staffing[next_boundary])
                next_boundary += 1
            while next_arrival < len(queue) and queue[next_arrival].offset_s <= self.offset + 1e-6:
                self._place(queue[next_arrival], next_arrival)
                next_arrival += 1
        self._drain(end_of_day + DRAIN_S)

    def _calls_live(self) -> bool:
        legs = self.sim.legs
        self.active = [sid for sid in self.active if not legs[sid].ended]
        return bool(self.active)

    def _callbacks(self) -> tuple[bool, bool]:
        """(is a call-back still to be made or under way, is one due now)."""
        with self.app.extensions["db_engine"].connect() as connection:  # a read: no session needed
            rows = connection.execute(OPEN_CALLBACKS).all()
        now = clock.utcnow(self.app)
        due = any(status == CallbackStatus.PENDING and (due_at is None or due_at <= now) for status, due_at in rows)
        return bool(rows), due

    def _quiet(self) -> bool:
        """Nobody waiting: not in line, not for a call-back, no agent signing off."""
        return not (self._line_waiting() or self.signing_off or self._callbacks()[0])

    def _move_to(self, target: float, until_idle: bool = False) -> None:
        """Run the day up to ``target`` (offset s): tick while someone waits, else jump from
        event to event until someone does. ``until_idle``: stop early once nothing is left."""
        while self.offset < target - 1e-6:
            if not self._quiet():
                self.sim.advance(min(self.step, target - self.offset))
                self._periodic()
                continue
            if until_idle and not self._calls_live():
                return
            if self.sim.run_until(self._line_waiting, max_seconds=target - self.offset):
                continue
            if until_idle and self.sim.clock.next_due() is None:
                return
            self.sim.advance(target - self.offset)

    def _drain(self, limit: float) -> None:
        self._move_to(limit, until_idle=True)
        self.sim.run_until_idle(max_seconds=600)

    def _signed_in(self) -> list[int]:
        """Agent numbers on the phones now (not those signing off)."""
        off = self.signing_off
        return [n + 1 for n, user_id in enumerate(self.agent_ids[:self.wanted]) if user_id not in off]

    def _periodic(self) -> None:
        """The dispatch job, when it can do something: an agent may be free and someone is in
        line, or (every ``CALLBACK_JOB_EVERY`` steps) a call-back is due; or an offer's status
        never came (never in the simulator)."""
        self.steps += 1
        free = self.board.may_be_free(self._signed_in())
        callbacks_turn = self.steps % CALLBACK_JOB_EVERY == 0
        if (free and (self._line_waiting() or (callbacks_turn and self._callbacks()[1]))) \
                or self.board.offer_may_be_stale():
            with self.app.app_context():
                dispatch_due(self.app)
        self._sign_off_finished()

    def _line_waiting(self) -> bool:
        name = self.settings.queue.name
        return any(q.members for q in self.sim.queues.values() if q.friendly_name == name)

    # -- people -----------------------------------------------------------------------------
    def _place(self, arrival: Arrival, index: int) -> None:
        number = f"+86139{index:08d}"
        press = (["9"] if arrival.english else []) + ([arrival.press] if arrival.press else [])
        script = CallerScript(press=press, talk_s=arrival.talk_s, max_call_s=DRAIN_S)
        # A call-back (H9) reaches the same person: answers after a few rings, talks as long.
        self.sim.set_behaviour(number, Behaviour(answer="human", answer_after_s=5, talk_s=arrival.talk_s))
        sid = self.sim.place_inbound_call(number, self.settings.telephony.caller_id, caller=script)
        self.sids.append(sid)
        self.active.append(sid)
        if arrival.callback_after_s is not None:
            self._ask_callback_later(sid, arrival, CALLBACK_PRESS_TRIES)
        if arrival.patience_s is not None:
            self.sim.schedule(arrival.patience_s, lambda: self._give_up(sid), "replay patience")

    def _give_up(self, sid: str) -> None:
        """Patience runs out only while waiting: a caller already talking to an agent stays."""
        leg = self.sim.legs[sid]
        if not leg.ended and not leg.bridged_with and not any(e["verb"] == "bridged" for e in leg.timeline):
            self.sim.hangup(sid)

    def _ask_callback_later(self, sid: str, arrival: Arrival, tries: int) -> None:
        """Press 1 at the first wait-loop prompt after ``callback_after_s`` in line."""
        def attempt(left: int = tries) -> None:
            leg = self.sim.legs[sid]
            if leg.ended or left <= 0 or leg.bridged_with:
                return
            if leg.queue_sid and "dtmf" in (leg.accepting or set()):
                self.sim.press(sid, "1")
                return
            self.sim.schedule(1.0, lambda: attempt(left - 1), "replay callback press")

        self.sim.schedule(arrival.callback_after_s or 0.0, attempt, "replay callback press")

    def _staff(self, wanted: int) -> None:
        self.wanted = wanted
        changed = []
        with session_scope(self.app) as s:
            for position, user_id in enumerate(self.agent_ids):
                user = s.get(User, user_id)
                assert user is not None
                if position < wanted:
                    self.signing_off.discard(user_id)
                    if user.presence == Presence.OFFLINE:
                        set_presence(s, user, Presence.AVAILABLE)
                        changed.append(user_id)
                elif user.presence in (Presence.AVAILABLE, Presence.AWAY, Presence.WRAP_UP):
                    set_presence(s, user, Presence.OFFLINE)
                elif user.presence == Presence.BUSY:
                    self.signing_off.add(user_id)
        for user_id in changed:
            announce(self.app, user_id, Presence.AVAILABLE)

    def _sign_off_finished(self) -> None:
        if not self.signing_off:
            return

        done = [user_id for user_id in self.signing_off
                if self.board.may_be_free([self.agent_ids.index(user_id) + 1])]
        if not done:
            return
        wrap = timedelta(seconds=self.settings.routing.wrap_up_s)
        with session_scope(self.app) as s:
            for user_id in done:
                user = s.get(User, user_id)
                assert user is not None
                ended = user.presence == Presence.WRAP_UP and user.presence_since + wrap <= clock.utcnow(self.app)
                if user.presence in (Presence.AVAILABLE, Presence.AWAY, Presence.OFFLINE) or ended:
                    set_presence(s, user, Presence.OFFLINE)
                    self.signing_off.discard(user_id)

    # -- results ------------------------------------------------------------------------------
    def result(self) -> ReplayResult:
        end = self.start + timedelta(days=2)
        with session_scope(self.app) as s:
            rows = data.call_rows(s, self.start, end)
            busy = busy_seconds(s, self.settings, self.start)
        staffed = [float(n * self.width) for n in self.scenario.staffing]
        staffed += [0.0] * (intervals_per_day(self.settings) - len(staffed))
        by_path: Counter[str] = Counter()
        for url, count in self.sim.request_counts.items():
            by_path[urlsplit(url).path] += count
        return ReplayResult(rows=rows, busy_s=busy, staffed_s=staffed, requests=sum(by_path.values()),
                            requests_by_path=dict(by_path.most_common()),
                            errors=list(self.sim.errors), settings=self.settings)


def busy_seconds(s: Any, settings: Settings, start: datetime) -> list[float]:
    """Agent seconds on calls (connected to ended) plus wrap-up, per interval of the day."""
    width = interval_s(settings)
    out = [0.0] * intervals_per_day(settings)
    day_end = start + timedelta(days=1)
    wrap = settings.routing.wrap_up_s
    calls = s.execute(select(Call.answered_at, Call.ended_at).where(
        Call.answered_at.is_not(None), Call.ended_at.is_not(None), Call.started_at >= start - timedelta(hours=2),
        Call.started_at < day_end, Call.purpose.in_(data.CUSTOMER_PURPOSES))).all()
    for answered, ended in calls:
        a = (answered - start).total_seconds()
        b = (ended - start).total_seconds() + wrap
        for index in range(max(0, int(a // width)), min(len(out), int(b // width) + 1)):
            lo, hi = index * width, (index + 1) * width
            out[index] += max(0.0, min(b, hi) - max(a, lo))
    return out
