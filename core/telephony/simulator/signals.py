"""What a leg's program yields to the engine, and what the engine throws back into it.

A leg's call flow is a generator (see ``twiml.py``). It yields ``Fetch`` (an HTTP request
the engine makes outside its lock, sending back a ``TransportResponse``) or ``Sleep``
(virtual time passes; ``seconds=None`` waits until a signal). Things that happen *to*
the call — a key press, being dequeued, bridged, unbridged — are thrown into the
generator at its current ``yield`` as ``Signal`` exceptions, so each verb handles the
interruptions it expects with ``try``/``except`` and everything else stays sequential.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fetch:
    url: str
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)
    kind: str = "twiml"  # twiml | media


@dataclass
class Sleep:
    seconds: float | None


@dataclass
class Doc:
    """Go on with the TwiML at ``url`` (an action, a redirect)."""

    url: str
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)
    ignore_response: bool = False


class End:
    """The call ends here (``<Hangup>``, ``<Reject>``, an application error)."""


END = End()


class Signal(Exception):  # noqa: N818 - a signal, not an error
    pass


class InputArrived(Signal):
    def __init__(self, kind: str, value: str) -> None:
        super().__init__(kind, value)
        self.kind = kind  # dtmf | speech
        self.value = value


class Dequeued(Signal):
    """A caller in a queue is taken by ``dequeuer`` (an agent's ``<Dial><Queue>``)."""

    def __init__(self, dequeuer: str, url: str | None, method: str) -> None:
        super().__init__(dequeuer)
        self.dequeuer = dequeuer
        self.url = url
        self.method = method


class Connecting(Signal):
    """An agent waiting in ``<Dial><Queue>`` got a caller; the bridge comes next."""


class Bridged(Signal):
    def __init__(self, peer: str) -> None:
        super().__init__(peer)
        self.peer = peer


class Unbridged(Signal):
    def __init__(self, peer: str, reason: str) -> None:
        super().__init__(peer, reason)
        self.peer = peer
        self.reason = reason  # hangup | time-limit | hangup-on-star | redirected


class ChildAnswered(Signal):
    def __init__(self, child: str) -> None:
        super().__init__(child)
        self.child = child


class ChildEnded(Signal):
    """A dialed leg ended without being answered (busy, failed, no-answer…)."""

    def __init__(self, child: str, status: str) -> None:
        super().__init__(child, status)
        self.child = child
        self.status = status


class ConnectFailed(Signal):
    """The caller an agent was connecting to hung up before the bridge."""


class ConferenceChanged(Signal):
    """The leg's conference started, or its participant was put on / taken off hold."""


class ConferenceLeft(Signal):
    """The leg is out of its conference (it ended, or the participant was removed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Announce(Signal):
    """Play the TwiML at ``url`` to a conference participant (``AnnounceUrl``)."""

    def __init__(self, url: str, method: str) -> None:
        super().__init__(url, method)
        self.url = url
        self.method = method


class LeaveQueue(Exception):  # noqa: N818 - control flow inside a program, never thrown in
    """``<Leave>`` ran in a wait document."""


class HangupCall(Exception):  # noqa: N818
    """``<Hangup>`` ran in a document nested in another verb (wait URL, Queue url)."""


@contextmanager
def expecting(leg: Any, *kinds: type[Signal]) -> Iterator[None]:
    """While inside, the leg's program accepts these signals; others are dropped (a stale
    key press, a dialed leg answering after the Dial gave up…)."""
    epoch = leg.epoch
    for kind in kinds:
        leg.expect[kind] = leg.expect.get(kind, 0) + 1
    try:
        yield
    finally:
        if leg.epoch == epoch:
            for kind in kinds:
                leg.expect[kind] -= 1


def expected(leg: Any, signal: Signal) -> bool:
    return any(count > 0 and isinstance(signal, kind) for kind, count in leg.expect.items())
