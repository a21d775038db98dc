"""Team-lead live view endpoints: state, setting an agent's state, alerts, supervising a call."""

from __future__ import annotations

from functools import partial

from flask import current_app, jsonify, request

from agent_console import alerts, lead, supervise
from agent_console.blueprint import bp
from core.alerts import Alert, alert_dict
from core.db import session
from core.events import Notice, publish
from core.models import User
from core.ops import defer
from core.presence import PresenceError, announce
from core.web.auth import LEAD_ROLES, current_console_user, login_required
from core.web.i18n import t

LEADS = set(LEAD_ROLES)


@bp.get("/api/lead/state")
@login_required(LEADS)
def api_lead_state():
    app = current_app._get_current_object()
    alerts.sweep(app)  # long calls (H7) and waits past the service level (H2) are due now
    s, settings = session(), app.config["HOTLINE"]
    return jsonify(queue=lead.queue_snapshot(s, settings), agents=lead.agents_snapshot(s, settings),
                   alerts=[alert_dict(s, a) for a in alerts.open_alerts(s)])


@bp.post("/api/lead/agents/<int:user_id>/presence")
@login_required(LEADS)
def api_lead_set_presence(user_id: int):
    s = session()
    target = s.get(User, user_id)
    if target is None or not target.active:
        return jsonify(error="agent: not found"), 404
    data = request.get_json(silent=True) or {}
    lead_user = current_console_user()
    assert lead_user is not None
    try:
        changed = lead.set_agent_state(s, lead_user, target, data.get("state") if isinstance(data, dict) else None)
    except PresenceError:
        return jsonify(error=t("状态:应为 available、busy、wrap_up 或 away",
                               "state: must be one of available, busy, wrap_up, away")), 400
    s.commit()
    if changed:
        announce(current_app._get_current_object(), target.id, target.presence)
    return jsonify(id=target.id, presence=target.presence)


@bp.post("/api/lead/alerts/<int:alert_id>/ack")
@login_required(LEADS)
def api_lead_ack(alert_id: int):
    s = session()
    alert = s.get(Alert, alert_id)
    if alert is None:
        return jsonify(error="alert: not found"), 404
    lead_user = current_console_user()
    assert lead_user is not None
    alerts.acknowledge(s, alert, lead_user)
    publish(s, Notice(topic="alert_ack", payload={"id": alert.id}, roles=tuple(LEAD_ROLES)))
    s.commit()
    return jsonify(id=alert.id, acknowledged=True)


@bp.post("/api/lead/calls/<call_sid>/supervise")
@login_required(LEADS)
def api_lead_supervise(call_sid: str):
    """Listen, whisper, barge or leave an agent's call (audited); Twilio is asked after the answer."""
    data = request.get_json(silent=True)
    mode = data.get("mode") if isinstance(data, dict) else None
    if not isinstance(mode, str) or not mode:
        return jsonify(error="mode: required (listen, whisper, barge or leave)"), 400
    s = session()
    lead_user = current_console_user()
    assert lead_user is not None
    try:
        plan = supervise.plan(s, current_app.config["HOTLINE"], lead_user, call_sid[:64], mode[:20])
    except supervise.SuperviseRefused as exc:
        return jsonify(error=exc.message), exc.status
    s.commit()
    defer(current_app._get_current_object(), partial(supervise.apply, supervision=plan))  # type: ignore[attr-defined]
    return jsonify(call_sid=plan.call_sid, mode=plan.mode, action=plan.action)
