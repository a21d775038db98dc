"""``GET /api/reports/summary?from=YYYY-MM-DD&to=YYYY-MM-DD``: the report for a range of
local dates (inclusive; default today). Any role with a bearer token may read it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from flask import current_app
from pydantic import AfterValidator, Field

from core.api import ApiError, Query, Reply, api_auth, api_blueprint, reply, responses
from core.db import session, utcnow
from reports.periods import PeriodError, period_from_args
from reports.summary import summary

bp = api_blueprint("reports_api", __name__, url_prefix="/api/reports")


def _calendar_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a calendar date") from None


#: ``YYYY-MM-DD`` and nothing else (no timestamps, no times)
LocalDate = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", json_schema_extra={"format": "date"}),
                      AfterValidator(_calendar_date)]


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


def _text(value: date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


@bp.get("/summary", responses=responses({200: ReportSummary}, 422))
@api_auth()
def summary_view(query: SummaryQuery):
    """KPIs for a range of local dates (inclusive, default today; at most 366 days).

    422: ``from`` after ``to``, a range too long or a year out of range."""
    settings = current_app.config["HOTLINE"]
    now = utcnow()
    try:
        p = period_from_args(settings, _text(query.from_), _text(query.to), now)
    except PeriodError as exc:
        raise ApiError(str(exc), 422) from exc
    return reply(ReportSummary, summary(session(), settings, p, now))
