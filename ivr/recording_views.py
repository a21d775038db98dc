"""Twilio's recording status callback (signature-checked like every ``/ivr/`` route): one
upsert, one timeline line, one commit; nothing else runs in the request."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from core.db import session
from core.webhooks import safe_webhook
from ivr import recording

bp = Blueprint("ivr_recording", __name__, url_prefix="/ivr/recording")


@bp.record_once
def _register_replay(state: Any) -> None:
    """A status callback kept in the fault spool during a database outage is stored the same way."""
    state.app.extensions["ops_spool_recording_status"] = recording.apply_status


def _empty() -> tuple[str, int]:
    return "", 204


@bp.post("/status")
@safe_webhook(_empty)
def status():
    s = session()
    recording.apply_status(s, request.form)
    s.commit()
    return "", 204
