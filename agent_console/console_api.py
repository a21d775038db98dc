"""JSON endpoints behind the agent's page (``/console/api/…``; session + CSRF header).

Thin: each reads and bounds its input, calls a service, commits, answers JSON. Errors are
``{"error": "field: reason"}`` with 4xx, in the page's language where a person reads them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import current_app, jsonify, request

from agent_console import case_service, desk, guidance, lookups, simphone, transcripts, transfer, transfer_api
from agent_console.blueprint import bp
from core.db import session
from core.models import Call, Caller, Case, Presence, User
from core.ops import defer
from core.presence import announce, set_presence
from core.telephony.gateway import GatewayError, get_gateway
from core.web.auth import LEAD_ROLES, audit, current_console_user, login_required
from core.web.i18n import current_lang, t
from ivr.bridge_control import ControlRefused, apply_control, plan_control
from ivr.wrapup import DispositionRefused, awaiting_disposition, set_disposition

SELF_STATES = (Presence.AVAILABLE, Presence.BUSY, Presence.WRAP_UP, Presence.AWAY)


def _err(message: str, status: int = 400, **extra: Any):
    return jsonify(error=message, **extra), status


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _me() -> User:
    user = current_console_user()
    assert user is not None
    return user


def _text(data: dict[str, Any], field: str, limit: int) -> str | None:
    value = data.get(field)
    if not isinstance(value, str):
        return None
    return value.strip()[:limit]


@bp.get("/api/desk")
@login_required()
def api_desk():
    return jsonify(desk.desk_state(session(), current_app.config["HOTLINE"], _me()))


@bp.post("/api/presence")
@login_required()
def api_presence():
    state = _body().get("state")
    if state not in SELF_STATES:
        return _err(t("状态:应为 available、busy、wrap_up 或 away", "state: must be one of available, busy, "
                      "wrap_up, away"))
    s, user = session(), _me()
    waiting = awaiting_disposition(s, current_app.config["HOTLINE"], user) if state == Presence.AVAILABLE else None
    if waiting is not None:
        return _err(t("状态:请先为上一通电话选择话后结果", "state: choose a wrap-up result for your last call first"),
                    409, field="disposition")
    changed = set_presence(s, user, state)
    s.commit()
    if changed:
        simphone.register_endpoint(current_app._get_current_object(), user)
        announce(current_app._get_current_object(), user.id, state)  # routing connects the next caller
    return jsonify(desk.desk_state(s, current_app.config["HOTLINE"], user))


def _my_leg(ringing_only: bool = False) -> tuple[Call | None, Call | None]:
    leg, call, ringing = lookups.current_conversation(session(), _me())
    if ringing_only and not ringing:
        return None, call
    return leg, call


@bp.post("/api/answer")
@login_required()
def api_answer():
    leg, _call = _my_leg(ringing_only=True)
    wanted = _text(_body(), "leg_sid", 64)
    if leg is None or (wanted and wanted != leg.call_sid):
        return _err(t("来电:没有正在振铃的电话", "call: nothing is ringing for you"), 409)
    if simphone.simulator(current_app._get_current_object()) is None:
        return _err(t("来电:请在您的电话上接听", "call: answer it on your phone"), 409)
    if not simphone.answer(current_app._get_current_object(), leg.call_sid):
        return _err(t("来电:已无法接听", "call: it can no longer be answered"), 409)
    return jsonify(answered=leg.call_sid)


@bp.post("/api/hangup")
@login_required()
def api_hangup():
    """End the agent's leg; the agent goes to wrap-up (routing.wrap_up_s) at once."""
    s, user = session(), _me()
    leg, call, _ringing = lookups.current_conversation(s, user)
    target = leg if leg is not None and leg.status not in lookups.FINAL else None
    if target is None and call is not None and call.status not in lookups.FINAL and call.agent_id == user.id:
        target = call
    if target is None:
        return _err(t("通话:没有可挂断的电话", "call: there is no live call to hang up"), 409)
    try:
        get_gateway().end_call(target.call_sid)
    except GatewayError as exc:
        return _err(f"call: {exc}", 502)
    if user.presence == Presence.BUSY and set_presence(s, user, Presence.WRAP_UP):
        s.commit()
        announce(current_app._get_current_object(), user.id, Presence.WRAP_UP)
    return jsonify(desk.desk_state(s, current_app.config["HOTLINE"], user))


@bp.post("/api/control")
@login_required()
def api_control():
    """Hold / resume the caller, mute / unmute the agent, keypad digits to the caller on the agent's
    current call (audited); Twilio is asked right after the answer (``ivr.bridge_control``)."""
    data = _body()
    action = _text(data, "action", 10) or ""
    s, user = session(), _me()
    _leg, call, _ringing = lookups.current_conversation(s, user)
    if call is None:
        return _err(t("通话:没有进行中的电话", "call: you are not on a call"), 409)
    try:
        control = plan_control(s, current_app.config["HOTLINE"], user, call.call_sid, action, data.get("digits"))
    except ControlRefused as exc:
        return _err(exc.message, exc.status, **({"field": "digits"} if exc.message.startswith("digits") else {}))
    s.commit()
    defer(current_app._get_current_object(), partial(apply_control, control=control))  # type: ignore[attr-defined]
    return jsonify(action=control.action, call_sid=control.call_sid)


@bp.post("/api/disposition")
@login_required()
def api_disposition():
    """The card's wrap-up: a disposition code (and note) for the agent's finished call."""
    data = _body()
    call_sid = _text(data, "call_sid", 64)
    if not call_sid:
        return _err("call_sid: required", field="call_sid")
    s, user = session(), _me()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        set_disposition(s, app.config["HOTLINE"], user, call_sid, data.get("code"), data.get("note") or None, app)
    except DispositionRefused as exc:
        wording = {403: t("通话:不是您的电话", "call: not your call"),
                   409: t("通话:通话结束后才能选择结果", "call: choose the result once the call is over"),
                   422: t("结果:请从列表中选择(备注不超过200字)", "result: choose one from the list (note: at most "
                                                                  "200 characters)")}
        return _err(wording.get(exc.status, exc.message), exc.status, field=exc.field)
    s.commit()
    return jsonify(desk.desk_state(s, app.config["HOTLINE"], user))


@bp.post("/api/speak")
@login_required()
def api_speak():
    """Simulator only: say ``text`` on the agent's leg (it reaches the live transcript)."""
    text = _text(_body(), "text", 2000)
    if not text:
        return _err(t("内容:必填", "text: required"))
    leg, call = _my_leg()
    if leg is None or leg.status in lookups.FINAL:
        return _err(t("通话:没有进行中的电话", "call: you are not on a call"), 409)
    if not simphone.speak(current_app._get_current_object(), leg.call_sid, text):
        return _err(t("通话:模拟器未听到(转写未开始)", "call: the simulator did not hear it (no transcription)"),
                    409)
    return jsonify(spoken=text)


@bp.post("/api/guide")
@login_required()
def api_guide():
    data = _body()
    text = data.get("text")
    if not isinstance(text, str):
        return _err(t("内容:应为文字", "text: must be text"))
    settings = current_app.config["HOTLINE"]
    _leg, call = _my_leg()
    locale = data.get("locale") if data.get("locale") in ("zh-CN", "en") else (
        (call.locale if call else None) or current_lang())
    return jsonify(guidance.guide(settings, _me(), call, text, locale))


@bp.get("/api/calls/<int:call_id>/transcript")
@login_required()
def api_transcript(call_id: int):
    s, user = session(), _me()
    call = s.get(Call, call_id)
    if call is None:
        return _err("call: not found", 404)
    if user.role not in LEAD_ROLES and user.id not in lookups.agents_of_call(s, call.call_sid):
        return _err(t("通话:不是您的电话", "call: not your call"), 403)
    return jsonify(call_id=call_id, utterances=transcripts.transcript(s, call_id))


@bp.post("/api/manager")
@login_required()
def api_manager():
    """H11: one click — a lead now, or a manager call-back case. Never a dead end."""
    try:
        outcome = transfer_api.request_manager(current_app._get_current_object(), _me().id)
    except transfer.TransferError:
        return _err(t("通话:工作台上没有电话", "call: there is no call on your desk"), 409)
    return jsonify(outcome.as_dict())


@bp.post("/api/cases")
@login_required()
def api_case():
    """The case form (H12-H14): linked to the desk's call when it belongs to this agent."""
    s, user, settings = session(), _me(), current_app.config["HOTLINE"]
    data = _body()
    call = None
    if data.get("call_id") not in (None, ""):
        call_id = data.get("call_id")
        call = s.get(Call, call_id) if isinstance(call_id, int) else None
        if call is None:
            return _err("call_id: no such call", field="call_id")
        if user.role not in LEAD_ROLES and user.id not in lookups.agents_of_call(s, call.call_sid):
            return _err(t("通话:不是您的电话", "call_id: not your call"), 403, field="call_id")
    try:
        clean = case_service.validate(data, settings, form_kinds_only=True)
        case = case_service.create(s, settings, user, clean, call=call,
                                   use_caller_number=bool(data.get("use_caller_number")))
    except case_service.FieldError as exc:
        return _err(exc.message(current_lang()), field=exc.field)
    s.commit()
    return jsonify(case_service.case_dict(case)), 201


@bp.post("/api/callers/<int:caller_id>")
@login_required()
def api_caller(caller_id: int):
    """H6: correct the caller's surname, title and district from the card."""
    s, user = session(), _me()
    caller = s.get(Caller, caller_id)
    if caller is None:
        return _err("caller: not found", 404)
    _leg, call = _my_leg()
    if user.role not in LEAD_ROLES and (call is None or call.caller_id != caller_id):
        return _err(t("来电人:不在您的电话上", "caller: not on your call"), 403)
    data = _body()
    for field, limit in (("surname", 40), ("title", 20), ("district", 60)):
        if field in data:
            value = data[field]
            if value is not None and not isinstance(value, str):
                return _err(f"{field}: must be text", field=field)
            if value and len(value.strip()) > limit:
                return _err(f"{field}: at most {limit} characters", field=field)
            setattr(caller, field, (value or "").strip() or None)
    s.commit()
    return jsonify(id=caller.id, surname=caller.surname, title=caller.title, district=caller.district)


@bp.post("/api/reveal")
@login_required(set(LEAD_ROLES))
def api_reveal():
    """H25: a supervisor reveals a number; every reveal is audited."""
    s, data = session(), _body()
    number, target = None, None
    if isinstance(data.get("caller_id"), int):
        caller = s.get(Caller, data["caller_id"])
        number, target = (caller.phone if caller else None), f"caller:{data['caller_id']}"
    elif isinstance(data.get("case_id"), int):
        case = s.get(Case, data["case_id"])
        number, target = (case.contact_number if case else None), f"case:{data['case_id']}"
    elif isinstance(data.get("call_id"), int):
        call = s.get(Call, data["call_id"])
        caller = call.caller if call else None
        number, target = (caller.phone if caller else None), f"call:{data['call_id']}"
    if target is None:
        return _err("caller_id: give caller_id, case_id or call_id", field="caller_id")
    if number is None:
        return _err(t("号码:没有可显示的号码", "number: there is no number to reveal"), 404)
    audit(s, _me().id, "reveal_number", target=target)
    s.commit()
    return jsonify(number=number)

