"""Twilio's recording status callback (signature-checked like every ``/ivr/`` route): one
upsert, one timeline line, one commit; nothing else runs in the request."""

from __future__ import annotations

from flask import Blueprint, request

from core.db import session
from core.webhooks import safe_webhook
from ivr import recording

bp = Blueprint("ivr_recording", __name__, url_prefix="/ivr/recording")


def _empty() -> tuple[str, int]:
    return "", 204


@bp.post("/status")
@safe_webhook(_empty)
def status():
    s = session()
    recording.apply_status(s, request.form)
    s.commit()
    return "", 204
