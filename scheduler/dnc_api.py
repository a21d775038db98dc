"""Do-not-call list API (on the campaign API's blueprint):

- ``GET /api/dnc`` — every entry: number (masked for agents, H25), reason, source, scope
  (``campaign_id``, null = every campaign), expiry and when it was added;
- ``POST /api/dnc`` ``{"phone", "reason", "source", "campaign_id", "expires_at"}`` — add a number
  (lead/admin); a number already listed keeps the wider scope and the later expiry.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.api import (
    MAX_DB_ID,
    ApiError,
    Body,
    LocalDateTime,
    Reply,
    api_auth,
    current_user,
    reply,
    responses,
    whole_number,
)
from core.db import session
from core.disclosure import phone_for
from core.phone import InvalidNumber
from scheduler import dnc
from scheduler.api import WRITERS, _settings, bp


class DncInput(Body):
    phone: str = Field(min_length=1, max_length=40, description="any dialable form; stored as E.164")
    reason: str | None = Field(default=None, max_length=200)
    source: Literal[dnc.SOURCES] | None = Field(  # type: ignore[valid-type]
        default=None, description="where the request came from (default api)")
    campaign_id: whole_number(0, MAX_DB_ID) | None = Field(  # type: ignore[valid-type]
        default=None, description="only this campaign; omitted: every campaign")
    expires_at: LocalDateTime | None = Field(default=None, description="in the future; no offset = UTC")


class DncEntry(Reply):
    phone: str
    reason: str | None = None
    source: str | None = None
    campaign_id: int | None = None
    expires_at: str | None = None
    created_at: str | None = None


class DncList(Reply):
    numbers: list[DncEntry]


class DncAdded(Reply):
    phone: str
    created: bool


@bp.get("/dnc", responses=responses({200: DncList}))
@api_auth()
def dnc_list():
    """The do-not-call list (numbers masked for agents, H25)."""
    return reply(DncList, {"numbers": [{**dnc.dnc_dict(d), "phone": phone_for(current_user(), d.phone)}
                                       for d in dnc.list_dnc(session())]})


@bp.post("/dnc", responses=responses({200: DncAdded, 201: DncAdded}, 403, 413, 422))
@api_auth(roles=WRITERS)
def dnc_add(body: DncInput):
    """Add a number to the do-not-call list (lead/admin): 201 added, 200 already listed, 422 not
    a dialable number, no such campaign or an expiry in the past."""
    s = session()
    try:
        scope = dnc.scope_from(s, body.model_dump(exclude_none=True))
        row, created = dnc.add_dnc(s, _settings(), body.phone, (body.reason or "").strip() or None, current_user().id,
                                    source=scope.source, campaign_id=scope.campaign_id, expires_at=scope.expires_at)
    except dnc.DncError as exc:
        raise ApiError(str(exc), 422) from None
    except InvalidNumber as exc:
        raise ApiError(f"phone: {exc}", 422) from None
    s.commit()
    return reply(DncAdded, {"phone": phone_for(current_user(), row.phone), "created": created},
                 201 if created else 200)
