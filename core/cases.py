"""Opening cases (H12–H14): every part that logs a contact goes through ``open_case``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import utcnow
from core.models import Case, CaseKind, CaseStatus

KINDS = {k.value for k in CaseKind}
SOURCES = {"call", "visit", "letter", "online", "voicemail", "campaign"}
CASE_REF_LOCK = 0x48_4C_43  # "HLC": the advisory lock key for case references


class CaseError(ValueError):
    """Bad case input; the message names the field."""


def next_ref(s: Session, day: date) -> str:
    """C20261124-0007: the local day's running number (unique index guards races)."""
    prefix = f"C{day:%Y%m%d}-"
    last = s.scalar(select(Case.ref).where(Case.ref.like(prefix + "%"))  # longest, then highest:
                    .order_by(func.length(Case.ref).desc(), Case.ref.desc()).limit(1))  # 9999 < 10000
    number = int(last.rsplit("-", 1)[1]) if last and last.rsplit("-", 1)[1].isdigit() else 0
    return f"{prefix}{number + 1:04d}"


def open_case(s: Session, settings: Settings, *, kind: str, description: str = "", source: str = "call",
              caller_id: int | None = None, call_id: int | None = None, caller_name: str | None = None,
              contact_number: str | None = None, place: str | None = None, district: str | None = None,
              department: str | None = None, urgent: bool = False, created_by_id: int | None = None,
              parent_case_id: int | None = None, reply_due_at: datetime | None = None,
              recording_url: str | None = None, transcript: str | None = None) -> Case:
    """Create a case with its reply deadline (H14: within ``cases.reply_within_h``)."""
    if kind not in KINDS:
        raise CaseError(f"kind: must be one of {', '.join(sorted(KINDS))}")
    if source not in SOURCES:
        raise CaseError(f"source: must be one of {', '.join(sorted(SOURCES))}")
    if len(description) > 10_000:
        raise CaseError("description: at most 10,000 characters")
    now = utcnow()
    case = Case(ref="", kind=kind, status=CaseStatus.OPEN, source=source,
                description=description, caller_id=caller_id, call_id=call_id, caller_name=caller_name,
                contact_number=contact_number, place=place, district=district, department=department,
                urgent=urgent, created_by_id=created_by_id, parent_case_id=parent_case_id,
                recording_url=recording_url, transcript=transcript, created_at=now,
                reply_due_at=reply_due_at or now + timedelta(hours=settings.cases.reply_within_h))
    return _insert_with_ref(s, case, local_day(settings, now))


def local_day(settings: Settings, now_utc: datetime) -> date:
    """The date in ``hours.timezone``: a case opened at 02:52 Shanghai on 1 December is of the 1st."""
    return now_utc.replace(tzinfo=UTC).astimezone(settings.hours.zone).date()


def _insert_with_ref(s: Session, case: Case, day: date, tries: int = 10) -> Case:
    """Insert ``case`` with the local day's next reference. Two webhooks opening cases at the same
    moment can pick the same number; the loser retries under a savepoint with the next one."""
    if s.get_bind().dialect.name == "postgresql":
        # Case openers take turns until commit (SQLite serialises writers already); the
        # savepoint retry below stays as the backstop.
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CASE_REF_LOCK})
    for _attempt in range(tries):
        case.ref = next_ref(s, day)
        try:
            with s.begin_nested():
                s.add(case)
                s.flush()
            return case
        except IntegrityError as exc:
            if "ref" not in str(exc.orig):
                raise
    raise CaseError(f"ref: no free case reference after {tries} tries")
