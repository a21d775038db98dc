"""Console pages: the agent's desk and the team lead's live view (thin views; data by JSON)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, current_app, render_template, url_for

from agent_console.blueprint import bp
from agent_console.case_service import FORM_KINDS
from agent_console.ring import ring_wav
from core.db import utcnow
from core.web.auth import LEAD_ROLES, current_console_user, login_required
from core.web.i18n import current_lang


def page_config() -> dict[str, Any]:
    """What the page scripts need, rendered into the page (thresholds come from settings)."""
    settings = current_app.config["HOTLINE"]
    user = current_console_user()
    return {
        "lang": current_lang(),
        "user": {"id": user.id, "role": user.role, "agent_code": user.agent_code} if user else None,
        "simulator": current_app.extensions.get("simulator") is not None,
        "timezone": settings.hours.timezone,
        "answer_threshold_s": settings.answer.threshold_s,  # H2: three rings
        "call_target_s": settings.calls.target_s,  # H7: amber
        "call_max_s": settings.calls.max_s,  # H7: red
        "wrap_up_s": settings.routing.wrap_up_s,
        "reply_within_h": settings.cases.reply_within_h,  # H14
        "departments": settings.cases.departments,
        "is_lead": bool(user and user.role in LEAD_ROLES),
        "ring_url": url_for("console.ring_sound"),
        "ring_volume": settings.console.ring_volume,
        "ring_notification": settings.console.ring_notification,
        "recording": settings.recording.enabled,  # the call card's pause/resume button
    }


@bp.get("/")
@login_required()
def home():
    settings = current_app.config["HOTLINE"]
    default_due = utcnow() + timedelta(hours=settings.cases.reply_within_h)
    return render_template("console/agent.html", config=page_config(), kinds=FORM_KINDS,
                           departments=settings.cases.departments, default_due=default_due)


@bp.get("/lead")
@login_required(set(LEAD_ROLES))
def lead():
    return render_template("console/lead.html", config=page_config())


@bp.get("/ring.wav")
@login_required()
def ring_sound():
    """The ring the desk loops while a call rings for the agent (``console.ring_volume``)."""
    response = Response(ring_wav(), mimetype="audio/wav")
    response.cache_control.private = True
    response.cache_control.max_age = 86400
    return response
