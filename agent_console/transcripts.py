"""The live transcript: Twilio's real-time transcription events
(``<Start><Transcription>``, Twilio's documentation) stored as ``Utterance`` rows; each final utterance of
the agent is checked against the library and a forbidden phrase raises a lead alert.

Who is speaking: on an agent's (or lead's transfer) leg ``inbound_track`` is the agent —
what Twilio hears from that leg's own party — and ``outbound_track`` the caller; on the
caller's own call it is the other way round.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console import guidance, lookups
from agent_console.desk import iso
from agent_console.models import Utterance
from core.alerts import Alert, AlertKind, alert_dict, create_alert
from core.config import Settings
from core.db import utcnow
from core.events import AlertRaised, Notice, publish
from core.models import User

TRACKS = ("inbound_track", "outbound_track")
AGENT_LEGS = ("agent_leg", "transfer")


class BadEvent(ValueError):
    """The event lacks a field or has a malformed one (answered 200, nothing stored)."""


@dataclass
class Heard:
    utterance: Utterance
    conversation_id: int | None
    audience: list[int]
    alert: Alert | None
    #: replies the library suggests for what the caller just said (caller utterances only)
    suggestions: list[dict[str, Any]] = field(default_factory=list)


def speaker_of(purpose: str, track: str) -> str:
    agent_side = purpose in AGENT_LEGS
    if track == "inbound_track":
        return "agent" if agent_side else "caller"
    return "caller" if agent_side else "agent"


def parse(form: Mapping[str, str]) -> dict[str, Any]:
    """The fields of a ``transcription-content`` event, validated."""
    call_sid = (form.get("CallSid") or "").strip()
    if not call_sid or len(call_sid) > 64:
        raise BadEvent("CallSid")
    track = (form.get("Track") or "").strip()
    if track not in TRACKS:
        raise BadEvent("Track")
    sequence = (form.get("SequenceId") or "").strip()
    if not sequence.isdigit() or len(sequence) > 9:
        raise BadEvent("SequenceId")
    final = (form.get("Final") or "").strip().lower()
    if final not in ("true", "false"):
        raise BadEvent("Final")
    try:
        data = json.loads(form.get("TranscriptionData") or "")
    except ValueError as exc:
        raise BadEvent("TranscriptionData") from exc
    if not isinstance(data, dict) or not isinstance(data.get("transcript"), str):
        raise BadEvent("TranscriptionData")
    text = data["transcript"].strip()
    if not text:
        raise BadEvent("TranscriptionData")
    confidence = data.get("confidence")
    confidence = float(confidence) if isinstance(confidence, int | float) else None
    return {"call_sid": call_sid, "track": track, "sequence": int(sequence), "final": final == "true",
            "text": text[:5000], "confidence": confidence,
            "language": (form.get("LanguageCode") or "")[:16] or None}


def locale_of(language: str | None, fallback: str) -> str:
    if language and language.lower().startswith(("cmn", "zh")):
        return "zh-CN"
    if language and language.lower().startswith("en"):
        return "en"
    return fallback


def record(s: Session, settings: Settings, form: Mapping[str, str]) -> Heard | None:
    """Store a content event; None for other events, unknown calls and repeats (Twilio retries)."""
    if (form.get("TranscriptionEvent") or "") != "transcription-content":
        return None
    fields = parse(form)
    leg = lookups.call_by_sid(s, fields["call_sid"])
    if leg is None:
        return None
    if s.scalar(select(Utterance.id).where(Utterance.call_id == leg.id, Utterance.track == fields["track"],
                                           Utterance.sequence == fields["sequence"])) is not None:
        return None
    conversation = lookups.conversation_call(s, leg)
    speaker = speaker_of(leg.purpose, fields["track"])
    agent_id = leg.agent_id or (conversation.agent_id if conversation else None)
    locale = locale_of(fields["language"], (conversation.locale if conversation else None)
                       or settings.company.default_locale)
    flags: list[dict[str, Any]] = []
    suggestions: list[dict[str, Any]] = []
    if fields["final"]:
        agent = s.get(User, agent_id) if agent_id else None
        context = guidance.context_for(settings, agent, conversation, locale)
        if speaker == "agent":
            flags = guidance.check(fields["text"], locale, context)
        else:  # the agent's card shows replies for what the caller said, without typing it
            suggestions = guidance.suggest(fields["text"], locale, context)
    utterance = Utterance(call_id=leg.id, conversation_call_id=conversation.id if conversation else None,
                          agent_id=agent_id, track=fields["track"], speaker=speaker, text=fields["text"],
                          final=fields["final"], sequence=fields["sequence"], confidence=fields["confidence"],
                          language=fields["language"], flags=flags, at=utcnow())
    s.add(utterance)
    s.flush()
    alert = None
    if flags:
        worst = flags[0]
        alert = create_alert(s, AlertKind.FORBIDDEN_PHRASE, f"forbidden:{utterance.id}",
                             call_id=conversation.id if conversation else leg.id, agent_id=agent_id,
                             text=fields["text"], matched=worst.get("matched"), situation=worst.get("situation"),
                             alternatives=worst.get("alternatives", [])[:2])
    audience = lookups.agents_of_call(s, conversation.call_sid) if conversation else []
    if agent_id and agent_id not in audience:
        audience.append(agent_id)
    return Heard(utterance, conversation.id if conversation else None, audience, alert, suggestions)


def utterance_dict(u: Utterance) -> dict[str, Any]:
    return {"id": u.id, "call_id": u.conversation_call_id or u.call_id, "speaker": u.speaker,
            "track": u.track, "text": u.text, "final": u.final, "sequence": u.sequence,
            "flags": [{k: f.get(k) for k in ("start", "end", "js_start", "js_end", "matched", "situation",
                                              "alternatives", "score")} for f in (u.flags or [])],
            "at": iso(u.at)}


def transcript(s: Session, conversation_id: int, limit: int = 200) -> list[dict[str, Any]]:
    rows = s.scalars(select(Utterance).where(Utterance.conversation_call_id == conversation_id,
                                             Utterance.final.is_(True))
                     .order_by(Utterance.at, Utterance.id).limit(limit))
    return [utterance_dict(u) for u in rows]


def publish_heard(s: Session, heard: Heard) -> None:
    """Announce the utterance (and its alert) when ``s`` commits."""
    payload = utterance_dict(heard.utterance)
    if heard.suggestions:
        payload["suggestions"] = heard.suggestions
    # The agent(s) on the call and every lead (the lead's "listen in" is this transcript).
    publish(s, Notice(topic="transcript", payload=payload, users=tuple(heard.audience), roles=("lead", "admin")))
    if heard.alert is not None:
        publish(s, AlertRaised(payload=alert_dict(s, heard.alert)))
