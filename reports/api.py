"""``GET /api/reports/summary?from=YYYY-MM-DD&to=YYYY-MM-DD``: the report for a range of
local dates (inclusive; default today). Any role with a bearer token may read it."""

from __future__ import annotations

from typing import Any

from flask import current_app
from pydantic import Field

from core.api import ApiError, LocalDate, Query, Reply, api_auth, api_blueprint, reply, responses
from core.db import session, utcnow
from reports.periods import PeriodError, period_from_args
from reports.summary import summary

bp = api_blueprint("reports_api", __name__, url_prefix="/api/reports")


class SummaryQuery(Query):
    from_: LocalDate | None = Field(default=None, alias="from", description="first local date (inclusive)")
    to: LocalDate | None = Field(default=None, description="last local date (inclusive); default today")


class ReportSummary(Reply):
    """KPIs for the range (definitions: reports/kpis.py and docs/reports.md)."""

    from_: str = Field(alias="from")
    to: str
    timezone: str | None = None
    calls: dict[str, Any]
    cases: dict[str, Any]
    rates: dict[str, Any]
    by_agent: list[dict[str, Any]]
    by_district: list[dict[str, Any]]
    by_case_kind: list[dict[str, Any]]


@bp.get("/summary", responses=responses({200: ReportSummary}, 422))
@api_auth()
def summary_view(query: SummaryQuery):
    """KPIs for a range of local dates (inclusive, default today; at most 366 days).

    422: not a calendar date, ``from`` after ``to``, a range too long or a year out of range."""
    settings = current_app.config["HOTLINE"]
    now = utcnow()
    try:
        p = period_from_args(settings, query.from_, query.to, now)
    except PeriodError as exc:
        raise ApiError(str(exc), 422) from exc
    return reply(ReportSummary, summary(session(), settings, p, now))
