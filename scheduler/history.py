"""Per-contact attempt history and dispositions, contact search, and the attempts CSV.

Every attempt keeps its time, status, duration, AMD result (``answered_by``), CallSid, the agent
who took it and the disposition code of that agent's wrap-up (``wrapup.dispositions``). The
code ``do_not_call`` also puts the number on the do-not-call list at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.csvsafe import csv_text
from core.db import utcnow
from core.models import User
from scheduler.dnc import add_dnc
from scheduler.models import Attempt, Campaign, Contact

CSV_COLUMNS = ["campaign_id", "contact_id", "phone", "name", "round", "seq", "created_at", "dialed_at",
               "answered_at", "ended_at", "status", "duration_s", "answered_by", "call_sid", "result", "agent",
               "disposition", "disposition_note", "error"]


class HistoryError(ValueError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if value else None


def _agents(s: Session, attempts: list[Attempt]) -> dict[int, str]:
    ids = {a.agent_id for a in attempts if a.agent_id}
    if not ids:
        return {}
    return dict(s.execute(select(User.id, User.name).where(User.id.in_(ids))).all())  # type: ignore[arg-type]


def attempt_json(a: Attempt, agents: dict[int, str]) -> dict[str, Any]:
    return {"id": a.id, "round": a.round, "seq": a.seq, "created_at": _iso(a.created_at),
            "dialed_at": _iso(a.dialed_at), "answered_at": _iso(a.answered_at), "ended_at": _iso(a.ended_at),
            "status": a.status, "duration_s": a.duration_s, "answered_by": a.answered_by, "call_sid": a.call_sid,
            "result": a.result, "agent": agents.get(a.agent_id) if a.agent_id else None,
            "disposition": a.disposition, "disposition_note": a.disposition_note, "error": a.error}


def contact_history(s: Session, campaign: Campaign, contact_id: Any) -> tuple[Contact, list[dict[str, Any]]]:
    """The contact and every attempt made to it, oldest first."""
    try:
        contact = s.get(Contact, int(contact_id))
    except (TypeError, ValueError):
        contact = None
    if contact is None or contact.campaign_id != campaign.id:
        raise HistoryError("contact: not found in this campaign", 404)
    attempts = list(s.scalars(select(Attempt).where(Attempt.contact_id == contact.id).order_by(Attempt.id)))
    agents = _agents(s, attempts)
    return contact, [attempt_json(a, agents) for a in attempts]


def search_filter(query: str | None) -> Any:
    """Contacts whose number contains the digits of ``query`` or whose name/title/case contains it."""
    text = (query or "").strip()[:60]
    if not text:
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    like = f"%{text}%"
    clauses = [Contact.name.ilike(like), Contact.title.ilike(like), Contact.case_ref.ilike(like)]
    if len(digits) >= 3:
        clauses.append(Contact.phone.like(f"%{digits}%"))
    return or_(*clauses)


def attempts_csv(s: Session, campaign: Campaign, show_phone: Callable[[str], str | None]) -> str:
    """Every attempt of the campaign, one row each, through the one formula-safe CSV writer (UTF-8
    with a BOM so spreadsheets read 中文). ``show_phone``: each number as the reader may see it (H25)."""
    rows = s.execute(select(Attempt, Contact.phone, Contact.name).join(Contact, Attempt.contact_id == Contact.id)
                     .where(Attempt.campaign_id == campaign.id).order_by(Attempt.contact_id, Attempt.id)).all()
    agents = _agents(s, [r[0] for r in rows])

    def lines() -> Iterator[list[Any]]:
        for attempt, phone, name in rows:
            data = attempt_json(attempt, agents)
            data.update({"campaign_id": campaign.id, "contact_id": attempt.contact_id,
                         "phone": show_phone(phone), "name": name})
            yield ["" if data.get(k) is None else data[k] for k in CSV_COLUMNS]

    return csv_text(CSV_COLUMNS, lines())


def record_disposition(s: Session, settings: Settings, attempt: Attempt, code: Any, user_id: int | None,
                       note: Any = None) -> Attempt:
    """The agent's wrap-up for a campaign call: a code ``wrapup.dispositions`` offers campaigns."""
    allowed = [d.code for d in settings.wrapup.codes_for("campaigns")]
    if not isinstance(code, str) or code not in allowed:
        raise HistoryError(f"code: must be one of {', '.join(allowed)}")
    if note is not None and (not isinstance(note, str) or len(note) > 200):
        raise HistoryError("note: text of at most 200 characters")
    attempt.disposition = code
    attempt.disposition_note = note.strip() if isinstance(note, str) and note.strip() else None
    attempt.disposed_at = utcnow()
    if user_id and attempt.agent_id is None:
        attempt.agent_id = user_id
    if code == "do_not_call":
        add_dnc(s, settings, attempt.number, f"asked on a campaign call (attempt {attempt.id})", user_id,
                source="disposition")
    return attempt


def copy_call_disposition(s: Session, settings: Settings, call: Any, user: User) -> None:
    """A campaign call's disposition given on the call card (``ivr.wrapup``) is its attempt's
    too: one wrap-up, one list (``do_not_call`` adds the number to the DNC list)."""
    attempt = s.scalar(select(Attempt).where(Attempt.call_sid == call.call_sid)) if call.call_sid else None
    if attempt is not None and attempt.disposition != call.disposition:
        record_disposition(s, settings, attempt, call.disposition, user.id, call.disposition_note)
