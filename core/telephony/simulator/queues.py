"""Queues: ``<Enqueue>`` with its ``waitUrl`` loop, ``<Leave>``, dequeuing and the REST side.

The wait loop follows Twilio's documentation: ``waitUrl`` is requested with
``QueuePosition``, ``QueueSid``, ``QueueTime``, ``AvgQueueTime``, ``CurrentQueueSize``,
``MaxQueueSize``; its TwiML may use Play, Say, Pause, Gather, Redirect, Leave, Hangup;
when it runs out of verbs (also at the end of a Redirect chain) ``waitUrl`` is requested
again, forever. A Gather with input requests its action and runs the answer as the new
wait document. ``action`` gets ``QueueResult``, ``QueueSid``, ``QueueTime``.

Assumptions: ``AvgQueueTime`` (and the queue's ``average_wait_time``) is the mean wait of
the callers in the queue now. Without ``waitUrl`` the caller hears Twilio's hold music,
recorded as a ``play`` of ``HOLD_MUSIC_URL`` every ``HOLD_MUSIC_S`` (nothing is fetched).
A wait document in which no time passes is requested again after 1 s (Twilio's own
pacing is undocumented). When the caller hangs up, or is redirected, the ``action`` is
still requested (``QueueResult`` ``hangup`` / ``redirected`` /
``redirected-from-bridged``; after a bridge ``bridged``) and its answer is ignored.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from .bridge import bridge
from .gather import gather
from .records import Member, QueueState, new_sid, wall
from .signals import (
    END,
    Bridged,
    ConnectFailed,
    Connecting,
    Dequeued,
    Doc,
    HangupCall,
    LeaveQueue,
    Sleep,
    Unbridged,
    expecting,
)
from .twiml import AUDIO, fetch_twiml, parse, redirect, resolve, run_verbs

if TYPE_CHECKING:
    from .engine import Simulator
    from .records import Leg
    from .twiml import Flow

HOLD_MUSIC_URL = "http://twimlets.com/holdmusic?Bucket=com.twilio.music.classical"
HOLD_MUSIC_S = 30.0


def find_queue(sim: Simulator, name: str) -> QueueState | None:
    return next((q for q in sim.queues.values() if q.friendly_name == name), None)


def create_queue(sim: Simulator, name: str, max_size: int | None = None) -> QueueState:
    q = QueueState(sid=new_sid("QU"), friendly_name=name, max_size=max_size or sim.max_queue_size,
                   created_at=wall(sim.start_time, sim.now))
    sim.queues[q.sid] = q
    return q


def queue_params(sim: Simulator, q: QueueState, leg: Leg) -> dict[str, str]:
    member = q.member(leg.sid)
    waited = int(sim.now - member.enqueued_t) if member else 0
    return {"QueueSid": q.sid, "QueuePosition": str(q.position(leg.sid) or 0), "QueueTime": str(waited),
            "AvgQueueTime": str(q.average_wait(sim.now)), "CurrentQueueSize": str(len(q.members)),
            "MaxQueueSize": str(q.max_size)}


def _remove(q: QueueState, leg: Leg) -> None:
    q.members[:] = [m for m in q.members if m.call_sid != leg.sid]
    leg.queue_sid = None


def _result_params(sim: Simulator, ctx: dict[str, Any], result: str) -> dict[str, str]:
    return {"QueueResult": result, "QueueSid": ctx["queue_sid"],
            "QueueTime": str(int(ctx.get("left_t", sim.now) - ctx["enqueued_t"]))}


def _finish(sim: Simulator, leg: Leg, result: str) -> Doc | None:
    """The caller's Enqueue is over: its action (or the next verb) continues the call."""
    ctx, leg.enqueue_ctx = leg.enqueue_ctx or {}, None
    leg.queue_result = result
    sim.record(leg, "queue_result", queue=ctx.get("queue_name"), result=result)
    if ctx.get("action"):
        return Doc(ctx["action"], ctx["method"], _result_params(sim, ctx, result))
    return None


# -- <Enqueue> --------------------------------------------------------------------------------
def enqueue(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    name = (el.text or "").strip()
    wait_url = resolve(url, el.get("waitUrl")) if el.get("waitUrl") else None
    q = find_queue(sim, name) or create_queue(sim, name)
    ctx = {"queue_sid": q.sid, "queue_name": name, "enqueued_t": sim.now,
           "action": resolve(url, el.get("action")) if el.get("action") else None,
           "method": (el.get("method") or "POST").upper()}
    entry = sim.record(leg, "enqueue", queue=name, wait_url=wait_url, action=ctx["action"])
    leg.enqueue_ctx = ctx
    if len(q.members) >= q.max_size:
        entry["result"] = "queue-full"
        return _finish(sim, leg, "queue-full")
    q.members.append(Member(leg.sid, sim.now, wall(sim.start_time, sim.now)))
    leg.queue_sid, leg.queue_result = q.sid, None
    entry["position"] = q.position(leg.sid)
    with expecting(leg, Dequeued):
        if q.dialers:  # an agent is already waiting in <Dial><Queue>
            connect(sim, q, sim.legs[q.dialers.pop(0)], leg, notify_agent=True)
        try:
            yield from _wait_loop(sim, leg, q, wait_url, (el.get("waitUrlMethod") or "POST").upper())
        except LeaveQueue:
            _remove(q, leg)
            return _finish(sim, leg, "leave")
        except HangupCall:
            _remove(q, leg)
            leg.enqueue_ctx = None
            if ctx["action"]:
                sim.fire(leg, ctx["action"], {**sim.base_params(leg), **_result_params(sim, ctx, "hangup")},
                         ctx["method"], kind="action")
            return END
        except Dequeued as dequeued:
            result = yield from _dequeued(sim, leg, ctx, dequeued)
            return _finish(sim, leg, result)
    return None  # pragma: no cover - the wait loop only ends by an exception


def _wait_loop(sim: Simulator, leg: Leg, q: QueueState, wait_url: str | None, method: str) -> Flow:
    while True:
        if wait_url is None:
            sim.record(leg, "play", url=HOLD_MUSIC_URL, seconds=HOLD_MUSIC_S, hold_music=True)
            yield Sleep(HOLD_MUSIC_S)
            continue
        params = queue_params(sim, q, leg)
        sim.record(leg, "wait", url=wait_url, queue=q.friendly_name, position=int(params["QueuePosition"]),
                   queue_time=int(params["QueueTime"]), queue_size=int(params["CurrentQueueSize"]),
                   avg_queue_time=int(params["AvgQueueTime"]))
        began = sim.now
        doc: Doc | None = Doc(wait_url, method, params)
        while doc is not None:
            text = yield from fetch_twiml(sim, leg, doc)
            root = parse(sim, leg, text) if text is not None else None
            if root is None:
                raise HangupCall
            nxt = yield from run_verbs(sim, leg, list(root), doc.url, handlers=WAIT_VERBS)
            doc = Doc(nxt.url, nxt.method, {**queue_params(sim, q, leg), **nxt.params}) if nxt else None
        if sim.now == began:
            yield Sleep(1.0)


def _leave(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    sim.record(leg, "leave")
    raise LeaveQueue
    yield  # pragma: no cover


def _hangup(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    sim.record(leg, "hangup", by="twiml")
    raise HangupCall
    yield  # pragma: no cover


WAIT_VERBS = {**AUDIO, "Redirect": redirect, "Leave": _leave, "Hangup": _hangup, "Gather": gather}
QUEUE_URL_VERBS = {**AUDIO, "Redirect": redirect}


# -- being dequeued ---------------------------------------------------------------------------
def connect(sim: Simulator, q: QueueState, agent: Leg, caller: Leg, notify_agent: bool) -> None:
    """``agent``'s ``<Dial><Queue>`` takes ``caller`` out of ``q``."""
    ctx = caller.enqueue_ctx or {}
    ctx["left_t"], ctx["dequeued_by"] = sim.now, agent.sid
    _remove(q, caller)
    dial_ctx = agent.dial_ctx or {}
    dial_ctx["connecting"] = caller.sid
    sim.interrupt(caller, Dequeued(agent.sid, dial_ctx.get("queue_url"), dial_ctx.get("queue_method", "POST")))
    if notify_agent:
        sim.interrupt(agent, Connecting())


def _dequeued(sim: Simulator, leg: Leg, ctx: dict[str, Any], dequeued: Dequeued) -> Flow:
    """Play the ``<Queue url>`` document to the caller, bridge, wait for the bridge to end."""
    sim.record(leg, "dequeued", by=dequeued.dequeuer, queue=ctx["queue_name"])
    bridged = False
    with expecting(leg, Bridged, Unbridged):
        try:
            doc: Doc | None = None
            if dequeued.url:
                doc = Doc(dequeued.url, dequeued.method,
                          {"QueueSid": ctx["queue_sid"], "QueueTime": str(int(sim.now - ctx["enqueued_t"])),
                           "DequeingCallSid": dequeued.dequeuer})
            while doc is not None:
                text = yield from fetch_twiml(sim, leg, doc)
                root = parse(sim, leg, text) if text is not None else None
                if root is None:
                    break
                doc = yield from run_verbs(sim, leg, list(root), doc.url, handlers=QUEUE_URL_VERBS)
            agent = sim.legs.get(dequeued.dequeuer)
            if agent is None or agent.ended:
                return "error"
            bridge(sim, leg, agent)
            bridged = True
            while True:
                try:
                    yield Sleep(None)
                except Bridged:
                    continue
        except Unbridged:
            # Assumption: the dequeuing leg leaving before the bridge is QueueResult=error.
            return "bridged" if bridged else "error"


# -- the leg goes away / is redirected --------------------------------------------------------
def _abandon(sim: Simulator, leg: Leg, in_queue: str, after_dequeue: str) -> None:
    ctx = leg.enqueue_ctx
    if ctx is None:
        return
    q = sim.queues.get(leg.queue_sid or "")
    if q is not None:
        _remove(q, leg)
        ctx["left_t"] = sim.now
        result = in_queue
    elif leg.bridged_with:
        result = after_dequeue
    else:  # taken by an agent, not bridged yet (hearing the <Queue url> document)
        result = in_queue
        agent = sim.legs.get(ctx.get("dequeued_by") or "")
        if agent is not None:
            sim.interrupt(agent, ConnectFailed())
    leg.enqueue_ctx, leg.queue_result = None, result
    sim.record(leg, "queue_result", queue=ctx["queue_name"], result=result)
    if ctx.get("action"):
        sim.fire(leg, ctx["action"], {**sim.base_params(leg), **_result_params(sim, ctx, result)},
                 ctx["method"], kind="action")


def leg_gone(sim: Simulator, leg: Leg) -> None:
    _abandon(sim, leg, "hangup", "bridged")
    for q in sim.queues.values():
        if leg.sid in q.dialers:
            q.dialers.remove(leg.sid)


def redirected(sim: Simulator, leg: Leg) -> None:
    _abandon(sim, leg, "redirected", "redirected-from-bridged")
