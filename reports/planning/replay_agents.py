"""Which replay agents could take a call now, read from the simulator's legs (no database).

The replay runs the periodic dispatch job (``ivr.routing.dispatch_due``) only when it can
do something: someone is waiting and an agent may be free. An agent may be free when they
are signed in, no leg of theirs is live, and their wrap-up (``routing.wrap_up_s``, which
follows a call that was bridged) is over. The estimate errs towards "may be free": the job
itself decides from the database, so a wrong "may be free" only costs one look.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

AGENT_CLIENT = "client:replay-agent-"
MARGIN_S = 1.0  # the app starts the wrap-up at the bridge's end, a moment before the leg ends
STALE_AFTER_S = 120  # ivr.routing.stale_offers: an offer ringing this long past every timeout


class AgentBoard:
    def __init__(self, sim: Any, wrap_up_s: float, ring_limit_s: float) -> None:
        self.sim = sim
        self.wrap_up_s = wrap_up_s
        self.stale_s = ring_limit_s + STALE_AFTER_S
        self.seen = 0  # legs of the simulator looked at so far (insertion order)
        self.live: dict[int, list[Any]] = {}  # agent number → their legs not known to have ended
        self.free_from: dict[int, float] = {}  # agent number → when their last call's wrap-up ends
        self.outbound: list[Any] = []  # legs the app placed that were not answered yet

    def _look_at_new_legs(self) -> None:
        legs = self.sim.legs
        new = len(legs) - self.seen
        if new <= 0:
            return
        for leg in islice(reversed(legs.values()), new):
            if leg.to.startswith(AGENT_CLIENT):
                self.live.setdefault(int(leg.to[len(AGENT_CLIENT):]), []).append(leg)
            if leg.direction == "outbound-api":
                self.outbound.append(leg)
        self.seen = len(legs)

    def _settle(self, number: int) -> bool:
        """Forget ended legs of agent ``number``; True while a leg of theirs is live."""
        legs = self.live.get(number)
        if not legs:
            return False
        still = []
        for leg in legs:
            if leg.end_t is None:
                still.append(leg)
                continue
            bridged = any(e["verb"] == "bridged" for e in leg.timeline)
            ends = leg.end_t + (self.wrap_up_s - MARGIN_S if bridged else 0.0)
            self.free_from[number] = max(self.free_from.get(number, 0.0), ends)
        self.live[number] = still
        return bool(still)

    def may_be_free(self, numbers: list[int]) -> bool:
        """Could one of the agents ``numbers`` (signed in) take a call now?"""
        self._look_at_new_legs()
        now = self.sim.now
        return any(not self._settle(n) and self.free_from.get(n, 0.0) <= now for n in numbers)

    def offer_may_be_stale(self) -> bool:
        """Is a leg the app placed still unanswered after every ring timeout (a lost status
        callback the job would clear)? Never in the simulator, which always calls back."""
        self._look_at_new_legs()
        now = self.sim.now
        self.outbound = [leg for leg in self.outbound if leg.end_t is None and leg.answered_t is None]
        return any(now - leg.created_t > self.stale_s for leg in self.outbound)
