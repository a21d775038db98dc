"""The preview-dialing page (``/console/campaigns/preview``) for agents: pick a running preview
campaign, see the next contact (name, number masked per ``core.disclosure``, note, case, the
attempts so far and why it is due) and click "Dial" — or "Skip" with a reason.

Thin views over ``scheduler.preview`` (the same service as the bearer-token API in
``preview_api``), with the console's session and CSRF token: ``GET <id>/preview.json``,
``POST <id>/contacts/<contact_id>/dial`` and ``…/skip`` (``{"reason", "note"}``); errors are
``{"error": "field: reason"}`` with 400/404/409/503. ``static/preview.js`` drives the page."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, render_template, request

from core.db import session
from core.disclosure import with_phones
from core.web.auth import current_console_user, login_required
from core.web.nav import register_nav
from scheduler import preview
from scheduler.console import _campaign, _settings, bp

DIALERS = {"agent", "lead", "admin"}
NOTE_MAX = 200


def _failed(exc: preview.PreviewError) -> Any:
    session().rollback()
    return jsonify(error=str(exc)), exc.status


@bp.get("/preview")
@login_required(DIALERS)
def preview_desk():
    campaigns = preview.running_preview_campaigns(session())
    return render_template("campaigns/preview.html", campaigns=campaigns, reasons=preview.SKIP_REASONS)


@bp.get("/<int:campaign_id>/preview.json")
@login_required(DIALERS)
def preview_next_json(campaign_id: int):
    try:
        contact = preview.next_contact(session(), _settings(), _campaign(campaign_id))
    except preview.PreviewError as exc:
        return _failed(exc)
    return jsonify(contact=with_phones(current_console_user(), contact, "phone") if contact else None)


@bp.post("/<int:campaign_id>/contacts/<int:contact_id>/dial")
@login_required(DIALERS)
def preview_dial_now(campaign_id: int, contact_id: int):
    try:
        attempt_id = preview.dial_for_agent(current_app._get_current_object(), _settings(), campaign_id,
                                            contact_id, current_console_user())
    except preview.PreviewError as exc:
        return _failed(exc)
    return jsonify(attempt_id=attempt_id, campaign_id=campaign_id, contact_id=contact_id), 201


@bp.post("/<int:campaign_id>/contacts/<int:contact_id>/skip")
@login_required(DIALERS)
def preview_skip_contact(campaign_id: int, contact_id: int):
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    reason, note = body.get("reason"), body.get("note", "")
    if reason not in preview.SKIP_REASONS:
        return jsonify(error=f"reason: must be one of {', '.join(preview.SKIP_REASONS)}"), 400
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        return jsonify(error=f"note: text of at most {NOTE_MAX} characters"), 400
    s = session()
    try:
        contact = preview.skip_contact(s, _settings(), _campaign(campaign_id), contact_id,
                                       current_console_user(), reason, note.strip())
    except preview.PreviewError as exc:
        return _failed(exc)
    s.commit()
    return jsonify(contact_id=contact.id, why=contact.reason)


def init_app(app: Flask) -> None:
    register_nav(app, "预览外呼", "Preview dialing", "campaigns.preview_desk", roles=DIALERS, order=15, group="desk")
