"""``GET /api/quality/reviews?from=YYYY-MM-DD&to=YYYY-MM-DD&agent=<user id>``: the automatic
reviews (and any spot-check results) of the calls of a range of local dates. Leads and admins see
every agent's; an agent sees only their own (asking for another agent is 403)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from pydantic import Field

from core.api import (
    MAX_DB_ID,
    ApiError,
    LocalDate,
    Query,
    Reply,
    api_auth,
    api_blueprint,
    current_user,
    reply,
    responses,
    whole_number,
)
from core.db import session, utcnow
from reports.periods import PeriodError, period_from_args
from reports.quality import figures

bp = api_blueprint("quality_api", __name__, url_prefix="/api/quality")
MAX_ROWS = 2000
AgentId = whole_number(ge=1, le=MAX_DB_ID)


class ReviewsQuery(Query):
    from_: LocalDate | None = Field(default=None, alias="from", description="first local date (inclusive)")
    to: LocalDate | None = Field(default=None, description="last local date (inclusive); default today")
    agent: AgentId | None = Field(default=None, description="the agent's user id")


class ItemReply(Reply):
    item: str
    result: str
    final: str
    note: dict[str, str]
    evidence: list[dict[str, Any]]
    lead_comment: str | None = None


class ReviewReply(Reply):
    id: int
    call_id: int
    agent_id: int | None = None
    agent: str | None = None
    day: str
    locale: str
    score: float | None = None
    flagged: bool
    complaint: bool
    checked_at: str | None = None
    comment: str | None = None
    items: list[ItemReply]


class ReviewList(Reply):
    from_: str = Field(alias="from")
    to: str
    reviews: list[ReviewReply]
    truncated: bool


@bp.get("/reviews", responses=responses({200: ReviewList}, 403, 422))
@api_auth()
def reviews_view(query: ReviewsQuery):
    """Reviews of the calls of a range of local dates (inclusive; default today; at most 366 days).

    403: an agent asking for another agent's reviews. 422: a bad date or range."""
    user = current_user()
    agent_id = query.agent
    if user.role not in ("lead", "admin"):
        if agent_id is not None and agent_id != user.id:
            raise ApiError("agent: agents see only their own reviews", 403)
        agent_id = user.id
    try:
        p = period_from_args(current_app.config["HOTLINE"], query.from_, query.to, utcnow())
    except PeriodError as exc:
        raise ApiError(str(exc), 422) from exc
    rows = figures.reviews_between(session(), p.first, p.last, agent_id)
    names = figures.user_names(session(), {r.agent_id for r in rows[:MAX_ROWS]})
    data = [figures.review_row(r, names.get(r.agent_id or 0)) for r in rows[:MAX_ROWS]]
    return reply(ReviewList, {"from": p.first.isoformat(), "to": p.last.isoformat(), "reviews": data,
                              "truncated": len(rows) > MAX_ROWS})
