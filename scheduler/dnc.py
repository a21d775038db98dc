"""The do-not-call list: one entry per number, with where it came from (``source``: manual,
import, opt_out_key, disposition), why (``reason``), its scope (every campaign, or only
``campaign_id``) and an optional expiry. An expired entry no longer blocks; a number added again
for another campaign is widened to every campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from core.clock import parse_instant
from core.config import Settings
from core.db import utcnow
from core.phone import to_e164
from scheduler.models import Campaign, DncNumber

SOURCES = ("manual", "import", "opt_out_key", "disposition", "api")


class DncError(ValueError):
    """A bad do-not-call field (the message names it)."""


@dataclass
class Scope:
    source: str = "manual"
    campaign_id: int | None = None
    expires_at: datetime | None = None


def scope_from(s: Session, data: dict[str, Any], default_source: str = "api") -> Scope:
    """``source``, ``campaign_id`` (omitted: every campaign) and ``expires_at`` (ISO 8601; without
    an offset UTC; in the future) from an API body or form."""
    source = str(data.get("source") or default_source).strip()[:40]
    if source not in SOURCES:
        raise DncError(f"source: one of {', '.join(SOURCES)}")
    campaign_id = data.get("campaign_id")
    if campaign_id in (None, ""):
        campaign_id = None
    else:
        try:
            campaign_id = int(campaign_id)
        except (TypeError, ValueError):
            raise DncError("campaign_id: a campaign id, or omitted for every campaign") from None
        if s.get(Campaign, campaign_id) is None:
            raise DncError("campaign_id: no such campaign")
    return Scope(source, campaign_id, _expiry(data.get("expires_at")))


def _expiry(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = parse_instant(str(value), UTC)  # no offset: UTC
    except ValueError:
        raise DncError("expires_at: an ISO 8601 date-time such as 2027-06-30T00:00Z") from None
    if moment <= utcnow():
        raise DncError("expires_at: must be in the future")
    return moment


def in_force(campaign_id: int | None, now: datetime) -> ColumnElement[bool]:
    """Entries that block ``campaign_id`` now (None: entries that block every campaign)."""
    scope = DncNumber.campaign_id.is_(None) if campaign_id is None else \
        or_(DncNumber.campaign_id.is_(None), DncNumber.campaign_id == campaign_id)
    return and_(scope, or_(DncNumber.expires_at.is_(None), DncNumber.expires_at > now))


def blocked_numbers(s: Session, phones: list[str] | None, campaign_id: int | None,
                    now: datetime | None = None) -> set[str]:
    """The numbers among ``phones`` (None: all) a campaign must not dial now."""
    query = select(DncNumber.phone).where(in_force(campaign_id, now or utcnow()))
    if phones is not None:
        if not phones:
            return set()
        query = query.where(DncNumber.phone.in_(phones))
    return set(s.scalars(query))


def is_blocked(s: Session, phone: str, campaign_id: int | None, now: datetime | None = None) -> bool:
    return bool(blocked_numbers(s, [phone], campaign_id, now))


def add_dnc(s: Session, settings: Settings, phone: str, reason: str | None = None,
            user_id: int | None = None, *, source: str = "manual", campaign_id: int | None = None,
            expires_at: datetime | None = None) -> tuple[DncNumber, bool]:
    """Add a number (E.164-normalised) or renew its entry. Returns (row, created). Raises InvalidNumber."""
    e164 = to_e164(phone, settings.campaigns.default_region)
    row = s.scalar(select(DncNumber).where(DncNumber.phone == e164))
    if row is not None:
        _renew(row, campaign_id, expires_at, reason, source)
        return row, False
    row = DncNumber(phone=e164, reason=(reason or None) and reason[:200], added_by_id=user_id,
                    source=source[:40], campaign_id=campaign_id, expires_at=expires_at, created_at=utcnow())
    s.add(row)
    s.flush()
    return row, True


def _renew(row: DncNumber, campaign_id: int | None, expires_at: datetime | None, reason: str | None,
           source: str) -> None:
    """A number asked again: the wider scope and the later expiry win; an expired entry restarts."""
    now = utcnow()
    expired = row.expires_at is not None and row.expires_at <= now
    if expired:
        row.campaign_id, row.expires_at, row.source = campaign_id, expires_at, source[:40]
        row.reason = (reason or None) and reason[:200]
        return
    if row.campaign_id != campaign_id:
        row.campaign_id = None
    if row.expires_at is not None and (expires_at is None or expires_at > row.expires_at):
        row.expires_at = expires_at


def remove_dnc(s: Session, settings: Settings, phone: str) -> bool:
    e164 = to_e164(phone, settings.campaigns.default_region)
    row = s.scalar(select(DncNumber).where(DncNumber.phone == e164))
    if row is None:
        return False
    s.delete(row)
    return True


def list_dnc(s: Session, limit: int = 1000) -> list[DncNumber]:
    return list(s.scalars(select(DncNumber).order_by(DncNumber.id.desc()).limit(limit)))


def dnc_dict(row: DncNumber) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() + "Z" if value else None

    return {"phone": row.phone, "reason": row.reason, "source": row.source, "campaign_id": row.campaign_id,
            "expires_at": iso(row.expires_at), "created_at": iso(row.created_at)}
