"""Every line a caller (or an agent's whisper) hears comes from the scripted-response library,
and moving the wording there changed no word: each prompt, the outage fallback's TwiML and the
hold line of a transfer say exactly what ``caller_wording.json`` (recorded before the move)
says."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from agent_console import transfer
from core.ops import fallback
from ivr import bridge_control, prompts
from tests.twiml import parse, texts

EXPECTED = Path(__file__).with_name("caller_wording.json")

#: one value for every placeholder a line may have
CONTEXT: dict[str, Any] = {"position": 3, "wait_minutes": 2, "numbers": "119, 110, 120", "agent_code": "007",
                           "last_digits": "5678", "option": "Repair", "wait_s": 42, "apology": "Sorry."}

PROMPT_IDS = (
    "greeting", "apology_opener", "reassurance", "callback_offer", "after_hours", "closing", "manager_transfer",
    "menu", "reassurance_plain", "connecting_now", "menu_reprompt", "menu_to_agent", "emergency_numbers",
    "emergency_queue", "enqueue", "connecting", "no_agents", "overflow", "leave_message", "message_saved", "error",
    "callback_confirm", "callback_enter_number", "callback_bad_number", "callback_saved", "callback_exists",
    "callback_intro", "recovery_intro", "agent_whisper", "agent_whisper_callback", "agent_apology_hint",
    "agent_caller_gone",
)
OPTIONS = ("repair", "complaint", "inquiry", "fees", "emergency")


def said(twiml: Any) -> list[str]:
    return texts(parse(str(twiml)))


def wording(settings: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for locale in ("zh-CN", "en"):
        out[locale] = {
            "prompts": {pid: prompts.text(settings, pid, locale, **CONTEXT) for pid in PROMPT_IDS},
            "options": {o: prompts.option_label(settings, o, locale) for o in OPTIONS},
            "fallback_apology": said(fallback.apology_and_record(settings, locale)),
            "fallback_saved": said(fallback.thanks_and_hangup(settings, locale)),
            "fallback_closing": said(fallback.thanks_and_hangup(settings, locale, "closing")),
            "fallback_agent": said(fallback.thanks_and_hangup(settings, locale, "agent")),
            "fallback_hold": said(fallback.hold_in_line(settings, locale, 4)),
            "transfer_hold": said(bridge_control.hold_twiml(settings, locale, None, None)),  # held for a transfer
            "transfer_no_lead": said(transfer.fallback_twiml(settings, locale)),
        }
    return out


def test_callers_hear_the_words_they_heard_before(app):
    with app.app_context():
        now = wording(app.config["HOTLINE"])
    if os.environ.get("HOTLINE_RECORD_WORDING"):
        EXPECTED.write_text(json.dumps(now, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert now == json.loads(EXPECTED.read_text(encoding="utf-8"))
