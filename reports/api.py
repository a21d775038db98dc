"""``GET /api/reports/summary?from=YYYY-MM-DD&to=YYYY-MM-DD``: the report for a range of
local dates (inclusive; default today). Any role with a bearer token may read it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request

from core.api import ApiError, api_auth, openapi_paths
from core.db import session, utcnow
from reports.periods import PeriodError, period_from_args
from reports.summary import summary

bp = Blueprint("reports_api", __name__, url_prefix="/api/reports")


@bp.get("/summary")
@api_auth()
def summary_view():
    settings = current_app.config["HOTLINE"]
    now = utcnow()
    try:
        p = period_from_args(settings, request.args.get("from"), request.args.get("to"), now)
    except PeriodError as exc:
        raise ApiError(str(exc)) from exc
    return jsonify(summary(session(), settings, p, now))


_NUM = {"type": ["number", "null"]}
_RATE = {"type": "object", "properties": {"numerator": {"type": "integer"}, "denominator": {"type": "integer"},
                                          "value": _NUM, "target": _NUM, "meets_target": {"type": "boolean"}}}
SCHEMAS: dict[str, Any] = {
    "ReportSummary": {
        "type": "object",
        "required": ["from", "to", "calls", "cases", "rates", "by_agent", "by_district", "by_case_kind"],
        "properties": {
            "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
            "timezone": {"type": "string"},
            "calls": {"type": "object", "description": "Definitions: reports/kpis.py and the README.",
                      "properties": {"in": {"type": "integer"}, "out": {"type": "integer"},
                                     "answered": {"type": "integer"}, "abandoned": {"type": "integer"},
                                     "short_abandoned": {"type": "integer"}, "service_level": _NUM,
                                     "service_level_threshold_s": {"type": "number"}, "asa_s": _NUM,
                                     "aht_s": _NUM, "abandonment_rate": _NUM, "over_5_min": {"type": "integer"}}},
            "cases": {"type": "object", "properties": {
                "total": {"type": "integer"}, "by_kind": {"type": "object"}, "by_status": {"type": "object"},
                "by_kind_status": {"type": "object"}, "overdue": {"type": "integer"},
                "escalated": {"type": "integer"}}},
            "complaints": {"type": "object"},
            "rates": {"type": "object", "properties": {
                "repair_callback_rate": _RATE, "survey_return_rate": _RATE,
                "satisfaction": {"type": "object", "properties": {
                    "customers": {"type": "integer"}, "overall": _NUM,
                    "per_item": {"type": "object", "additionalProperties": {"type": "number"}}}}}},
            "wait_accuracy": {"type": "object"},
            "reassurance_abandons": {"type": "array", "items": {"type": "object"}},
            "by_agent": {"type": "array", "items": {"type": "object"}},
            "by_district": {"type": "array", "items": {"type": "object"}},
            "by_case_kind": {"type": "array", "items": {"type": "object"}},
        },
    },
}


def register_openapi(app: Flask) -> None:
    error = {"description": "bad dates or missing token",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    date_param = {"in": "query", "required": False, "schema": {"type": "string", "format": "date"}}
    openapi_paths(app, {"/api/reports/summary": {"get": {
        "summary": "KPIs for a range of local dates (inclusive, default today; at most 366 days)",
        "tags": ["reports"],
        "parameters": [{"name": "from", **date_param}, {"name": "to", **date_param}],
        "responses": {"200": {"description": "the report", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ReportSummary"}}}}, "400": error, "401": error}}}},
        SCHEMAS)
