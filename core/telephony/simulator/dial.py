"""``<Dial>``: ring ``Number``/``Client`` legs (``outbound-dial``) or take a caller from a
``Queue``, bridge, and report ``DialCallStatus``/``DialCallSid``/``DialCallDuration``/
``DialBridged`` to ``action`` (without ``action``: the next verb). ``<Conference>`` is run by
``conference.py``.

Documented behaviour followed: ``timeout`` default 30 s, ``timeLimit`` default 4 h,
``hangupOnStar``; several nouns ring at once and the first to answer wins; an empty
queue makes Dial wait for a caller until ``timeout``; a queue that does not exist fails
at once. Assumptions: a Dial to an empty queue that times out reports ``no-answer``; a
nonexistent queue reports ``failed``; when the calling party hangs up during the Dial,
``action`` is still requested (``completed`` after a bridge, else ``canceled``) and its
answer ignored; ``record`` other than ``do-not-record`` adds ``RecordingUrl``,
``RecordingSid``, ``RecordingDuration`` (the bridged time) to the action request. The
``url`` attribute of Number/Client (whisper) is not simulated.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from .bridge import bridge, unbridge
from .conference import join
from .legs import ring
from .lifecycle import finish, hangup, new_leg, status_callback
from .queues import connect, find_queue
from .records import Behaviour, Party, new_sid, wall
from .signals import (
    Bridged,
    ChildAnswered,
    ChildEnded,
    ConnectFailed,
    Connecting,
    Doc,
    InputArrived,
    Sleep,
    Unbridged,
    expecting,
)
from .twiml import in_input, resolve

if TYPE_CHECKING:
    from .engine import Simulator
    from .records import Leg, QueueState
    from .twiml import Flow


def _targets(el: ET.Element) -> list[tuple[str, str, dict[str, str]]]:
    targets = []
    if (el.text or "").strip():
        targets.append(("number", (el.text or "").strip(), {}))
    for child in el:
        value = "".join(child.itertext()).strip()
        targets.append((child.tag.lower(), value, dict(child.attrib)))
    return targets


def dial(sim: Simulator, leg: Leg, el: ET.Element, url: str | None) -> Flow:
    targets = _targets(el)
    timeout = float(el.get("timeout") or 30)
    time_limit = float(el.get("timeLimit") or 14400)
    ctx: dict[str, Any] = {
        "action": resolve(url, el.get("action")) if el.get("action") else None,
        "method": (el.get("method") or "POST").upper(), "children": [], "peer": None,
        "record": el.get("record") or "do-not-record", "star": (el.get("hangupOnStar") or "").lower() == "true"}
    entry = sim.record(leg, "dial", **{kind: value for kind, value, _ in targets}, timeout=timeout,
                       action=ctx["action"])
    leg.dial_ctx = ctx
    queue = next(((v, a) for k, v, a in targets if k == "queue"), None)
    conference = next(((v, a) for k, v, a in targets if k == "conference"), None)
    if conference is not None:
        status = yield from join(sim, leg, conference[0], conference[1], url, ctx)
    elif queue is not None:
        ctx["queue_url"] = resolve(url, queue[1]["url"]) if queue[1].get("url") else None
        ctx["queue_method"] = (queue[1].get("method") or "POST").upper()
        status = yield from _dial_queue(sim, leg, ctx, queue[0], timeout, time_limit)
    else:
        status = yield from _dial_legs(sim, leg, ctx, targets, el.get("callerId"), url, timeout, time_limit)
    leg.dial_ctx = None
    in_input(leg, None)
    _cleanup_children(sim, ctx)
    params = _result(sim, leg, ctx, status)
    entry.update({"result": status, "dial_call_sid": params.get("DialCallSid")})
    if ctx["action"]:
        return Doc(ctx["action"], ctx["method"], params)
    return None


def _result(sim: Simulator, leg: Leg, ctx: dict[str, Any], status: str) -> dict[str, str]:
    params = {"DialCallStatus": status, "DialBridged": "true" if ctx.get("bridged_t") is not None else "false"}
    peer = ctx.get("peer") or (ctx["children"][0] if ctx["children"] else None)
    if peer:
        params["DialCallSid"] = peer
    if ctx.get("bridged_t") is not None:
        duration = int(round(ctx.get("unbridged_t", sim.now) - ctx["bridged_t"]))
        params["DialCallDuration"] = str(duration)
        if ctx["record"] != "do-not-record" and duration > 0:
            sid = new_sid("RE")
            sim.recordings[sid] = {"sid": sid, "call_sid": leg.sid, "duration": duration, "text": "",
                                   "created_at": wall(sim.start_time, sim.now)}
            params.update({"RecordingUrl": f"{sim.recording_base(leg)}/recordings/{sid}",
                           "RecordingSid": sid, "RecordingDuration": str(duration)})
    return params


def _ring_targets(sim: Simulator, leg: Leg, ctx: dict[str, Any], targets: list[tuple[str, str, dict[str, str]]],
                  caller_id: str | None, url: str | None, timeout: float) -> None:
    """One child leg a ``<Number>``/``<Client>``, each ringing (with its own status callbacks)."""
    for kind, value, attrs in targets:
        to = value if kind == "number" else f"client:{value}"
        child = new_leg(sim, caller_id or leg.from_, to, "outbound-dial",
                        Party(sim.behaviours.get(to) or Behaviour()), parent=leg)
        if attrs.get("statusCallback"):
            child.status_callback = resolve(url, attrs["statusCallback"])
            child.status_events = set((attrs.get("statusCallbackEvent") or "").split())
            child.status_method = (attrs.get("statusCallbackMethod") or "POST").upper()
        child.initiated_t = sim.now
        ctx["children"].append(child.sid)
        status_callback(sim, child, "initiated")
        ring(sim, child, timeout)


def _dial_legs(sim: Simulator, leg: Leg, ctx: dict[str, Any], targets: list[tuple[str, str, dict[str, str]]],
               caller_id: str | None, url: str | None, timeout: float, time_limit: float) -> Flow:
    _ring_targets(sim, leg, ctx, targets, caller_id, url, timeout)
    deadline, ended = sim.now + timeout, {}
    with expecting(leg, ChildAnswered, ChildEnded, Bridged, Unbridged, InputArrived):
        while True:
            try:
                if ctx["peer"] is None:
                    yield Sleep(max(0.0, deadline - sim.now))
                    return "no-answer"
                yield Sleep(max(0.0, ctx["bridged_t"] + time_limit - sim.now))
                _end_bridge(sim, leg, ctx, "time-limit")
                return "completed"
            except ChildAnswered as answered:
                if ctx["peer"] is None and answered.child in ctx["children"]:
                    ctx["peer"] = answered.child
                    ctx["bridged_t"] = sim.now
                    _cleanup_children(sim, ctx, keep=answered.child)
                    bridge(sim, leg, sim.legs[answered.child])
                    if ctx["star"]:
                        in_input(leg, {"star"})
            except ChildEnded as gone:
                if gone.child in ctx["children"] and ctx["peer"] is None:
                    ended[gone.child] = gone.status
                    if len(ended) == len(ctx["children"]):
                        return ended[ctx["children"][0]]
            except Bridged:
                continue
            except Unbridged:
                ctx["unbridged_t"] = sim.now
                return "completed"
            except InputArrived as pressed:
                if ctx["peer"] is not None and "*" in pressed.value:
                    _end_bridge(sim, leg, ctx, "hangup-on-star")
                    return "completed"


def _dial_queue(sim: Simulator, leg: Leg, ctx: dict[str, Any], name: str, timeout: float,
                time_limit: float) -> Flow:
    q = find_queue(sim, name)
    if q is None:
        return "failed"
    deadline = sim.now + timeout
    state = "waiting"

    with expecting(leg, Connecting, ConnectFailed, Bridged, Unbridged, InputArrived):
        state = _take_next_member(sim, q, leg)
        while True:
            try:
                if state == "waiting":
                    yield Sleep(max(0.0, deadline - sim.now))
                    if leg.sid in q.dialers:
                        q.dialers.remove(leg.sid)
                    return "no-answer"
                if state == "connecting":
                    yield Sleep(None)
                    continue
                yield Sleep(max(0.0, ctx["bridged_t"] + time_limit - sim.now))
                _end_bridge(sim, leg, ctx, "time-limit")
                return "completed"
            except Connecting:
                state = "connecting"
            except ConnectFailed:
                ctx.pop("connecting", None)
                state = _take_next_member(sim, q, leg)
            except Bridged as bridged:
                state, ctx["peer"], ctx["bridged_t"] = "bridged", bridged.peer, sim.now
                if ctx["star"]:
                    in_input(leg, {"star"})
            except Unbridged:
                ctx["unbridged_t"] = sim.now
                return "completed"
            except InputArrived as pressed:
                if state == "bridged" and "*" in pressed.value:
                    _end_bridge(sim, leg, ctx, "hangup-on-star")
                    return "completed"


def _take_next_member(sim: Simulator, q: QueueState, leg: Leg) -> str:
    """``<Dial><Queue>``: connect the queue's first caller, or wait to be given the next one."""
    if q.members:
        connect(sim, q, leg, sim.legs[q.members[0].call_sid], notify_agent=False)
        return "connecting"
    q.dialers.append(leg.sid)
    return "waiting"


def _end_bridge(sim: Simulator, leg: Leg, ctx: dict[str, Any], reason: str) -> None:
    """The Dial side ends the bridge (timeLimit, hangupOnStar): the other side goes on."""
    peer = sim.legs[ctx["peer"]]
    ctx["unbridged_t"] = sim.now
    unbridge(sim, leg, peer, reason, notify=(peer,))


def _cleanup_children(sim: Simulator, ctx: dict[str, Any], keep: str | None = None,
                      status: str = "no-answer") -> None:
    """Dialed legs that did not win are canceled (ringing) or hung up (answered late)."""
    for sid in ctx["children"]:
        child = sim.legs[sid]
        if sid == keep or child.ended or child.bridged_with:
            continue
        if child.answered:
            hangup(sim, child, by="api")
        else:
            finish(sim, child, "canceled" if keep else status)


def leg_gone(sim: Simulator, leg: Leg) -> None:
    """The dialing leg ended during its Dial (hung up, redirected away)."""
    for q in sim.queues.values():
        if leg.sid in q.dialers:
            q.dialers.remove(leg.sid)
    ctx = leg.dial_ctx
    if ctx is None:
        return
    leg.dial_ctx = None
    _cleanup_children(sim, ctx, status="canceled")
    connecting = sim.legs.get(ctx.get("connecting") or "")
    if connecting is not None and not connecting.bridged_with:
        sim.interrupt(connecting, Unbridged(leg.sid, "hangup"))
    if ctx["action"] and leg.ended:
        if ctx.get("bridged_t") is not None:
            ctx.setdefault("unbridged_t", sim.now)
        status = "completed" if ctx.get("bridged_t") is not None else "canceled"
        sim.fire(leg, ctx["action"], {**sim.base_params(leg), **_result(sim, leg, ctx, status)},
                 ctx["method"], kind="action")


def abandon(sim: Simulator, leg: Leg) -> None:
    """The leg is redirected away from its Dial: no action request."""
    ctx = leg.dial_ctx
    if ctx is not None:
        ctx["action"] = None
        leg_gone(sim, leg)
