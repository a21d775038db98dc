"""Simulator mode only: "Simulate a caller" — place a call into the hotline from the browser,
act as the caller (keys, speech, talk, hang up) and watch the call's simulator timeline live,
so one person can be both caller and agent. Registered only when the simulator runs.

Agents steer and watch only the simulated callers they placed themselves; leads and admins
any call (the same rule as the simulator's control API, H25).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from core.clock import utcnow
from core.phone import InvalidNumber, to_e164
from core.telephony.simulator import CallerScript
from core.web.auth import LEAD_ROLES, current_console_user, login_required
from core.web.i18n import t
from ivr.hours import closed_reason, hours_status

bp = Blueprint("console_sim", __name__, url_prefix="/console/simulate")
ACTIONS = ("press", "say", "speak", "hangup")


def _sim() -> Any:
    return current_app.extensions["simulator"]


def _err(message: str, status: int = 400):
    return jsonify(error=message), status


def closed_note() -> str | None:
    """One line when the hotline is closed now (H4): why, when it opens, the setting to change."""
    settings = current_app.config["HOTLINE"]
    now = utcnow()
    if closed_reason(settings, now) is None:
        return None
    return hours_status(settings, now) + " Callers hear the after-hours message; set HOTLINE_OPEN_HOURS=00:00-24:00 to try the menu now."


def _placers() -> dict[str, int]:
    """Who placed each simulated call from this page: call sid → user id."""
    return current_app.extensions.setdefault("console_sim_placed_by", {})


def _may_steer(sid: str) -> bool:
    user = current_console_user()
    return user is not None and (user.role in LEAD_ROLES or _placers().get(sid) == user.id)


@bp.get("/")
@login_required()
def page():
    settings = current_app.config["HOTLINE"]
    return render_template("console/simulate.html", hotline=settings.telephony.caller_id, closed=closed_note())


def parse_utterances(lines: Any) -> list[tuple[float, str]]:
    """``"5 我家水管坏了"`` → (5.0, "我家水管坏了"): what the caller says after the bridge."""
    out: list[tuple[float, str]] = []
    if not isinstance(lines, list):
        return out
    for line in lines[:50]:
        if not isinstance(line, str) or not line.strip():
            continue
        head, _, rest = line.strip().partition(" ")
        try:
            out.append((max(0.0, min(float(head), 3600.0)), rest.strip()[:500]))
        except ValueError:
            out.append((5.0 * (len(out) + 1), line.strip()[:500]))
    return out


@bp.post("/calls")
@login_required()
def place():
    settings = current_app.config["HOTLINE"]
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        return _err("body: must be a JSON object")
    try:
        from_ = to_e164(str(data.get("from") or ""), settings.campaigns.default_region)
    except InvalidNumber as exc:
        return _err(t(f"来电号码:{exc}", f"from: {exc}"))
    press = [g.strip() for g in str(data.get("press") or "").split(",") if g.strip()][:10]
    said = data.get("say") if isinstance(data.get("say"), list) else []
    say = [x.strip()[:500] for x in said if isinstance(x, str) and x.strip()][:10]
    script = CallerScript(press=press, say=say, talk_s=None, hangup_after_s=None, max_call_s=3600.0,
                          utterances=parse_utterances(data.get("utterances")))
    note = closed_note()
    sid = _sim().place_inbound_call(from_, settings.telephony.caller_id, script)
    user = current_console_user()
    if user is not None:
        _placers()[sid] = user.id
    return jsonify(call_sid=sid, note=note), 201


@bp.post("/calls/<sid>/<action>")
@login_required()
def act(sid: str, action: str):
    if action not in ACTIONS:
        return _err("action: must be press, say, speak or hangup", 404)
    if sid not in _sim().legs:
        return _err("call: not found", 404)
    if not _may_steer(sid):
        return _err(t("通话:只能操作您自己模拟的来电", "call: you may only steer calls you placed"), 403)
    data = request.get_json(silent=True) or {}
    value = str(data.get("value") or "").strip()[:500] if isinstance(data, dict) else ""
    if action != "hangup" and not value:
        return _err(t("内容:必填", "value: required"))
    sim = _sim()
    try:
        if action == "press":
            done = sim.press(sid, value)
        elif action == "say":
            done = sim.say(sid, value)
        elif action == "speak":
            done = sim.speak(sid, value, "inbound_track")
        else:
            done = sim.hangup(sid)
    except KeyError:
        return _err("call: not found", 404)
    return jsonify(done=bool(done))


def timeline_stream(sim: Any, sid: str, every_s: float = 0.3, max_s: float = 3600.0) -> Iterator[str]:
    sent, quiet, deadline = 0, 0, time.monotonic() + max_s
    while time.monotonic() < deadline:
        entries = sim.timeline(sid)
        for entry in entries[sent:]:
            yield f"event: entry\ndata: {json.dumps(entry, ensure_ascii=False, default=str)}\n\n"
        quiet = quiet + 1 if len(entries) == sent else 0
        sent = len(entries)
        snapshot = sim.call(sid)
        if snapshot.get("ended") and quiet >= 3:
            yield f"event: end\ndata: {json.dumps({'status': snapshot.get('status')})}\n\n"
            return
        if quiet and quiet % 30 == 0:
            yield ": heartbeat\n\n"
        time.sleep(every_s)


@bp.get("/calls/<sid>/stream")
@login_required()
def stream(sid: str):
    sim = _sim()
    if sid not in sim.legs:
        return _err("call: not found", 404)
    if not _may_steer(sid):
        return _err(t("通话:只能查看您自己模拟的来电", "call: you may only watch calls you placed"), 403)
    response = Response(timeline_stream(sim, sid), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    return response
