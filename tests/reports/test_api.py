"""GET /api/reports/summary: bearer tokens, inclusive local dates, 400 on bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from tests.reports.seed import DAY, local


def _get(client, token, **params):
    return client.get("/api/reports/summary", query_string=params, headers={"Authorization": f"Bearer {token}"})


def test_needs_a_token(client):
    response = client.get("/api/reports/summary")
    assert response.status_code == 401 and response.get_json()["error"]


@pytest.mark.parametrize("role", ["agent", "lead", "admin"])
def test_any_role_with_a_token_reads_it(client, make_user, role):
    _, token = make_user(f"user-{role}", role=role)
    response = _get(client, token)
    assert response.status_code == 200
    body = response.get_json()
    assert body["from"] == body["to"]  # default: today
    for key in ("calls", "cases", "rates", "by_agent", "by_district", "by_case_kind"):
        assert key in body
    assert body["rates"]["repair_callback_rate"]["target"] == 0.95
    assert body["rates"]["survey_return_rate"]["target"] == 0.70


@pytest.mark.parametrize("params, status, fragment", [
    ({"from": "2026-11-31"}, 422, "from: not a calendar date"),
    ({"from": "20261101"}, 400, "from: must match"),
    ({"to": "yesterday"}, 400, "to: must match"),
    ({"to": ""}, 400, "to: must match"),
    ({"from": "", "to": ""}, 400, "from: must match ^[0-9]{4}-[0-9]{2}-[0-9]{2}$; to: must match"),
    ({"from": "2026-11-20", "to": "2026-11-19"}, 422, "is after"),
    ({"from": "2025-01-01", "to": "2026-01-02"}, 422, "at most 366"),
    ({"from": "x" * 5000}, 400, "from: must match"),
    ({"from": "9999-12-31", "to": "9999-12-31"}, 422, "from: the year must be"),
    ({"to": "0001-01-01"}, 422, "to: the year must be"),
])
def test_bad_dates_are_refused_as_json(client, make_user, params, status, fragment):
    """400: not a date (or empty); 422: dates that a rule refuses (order, range, year)."""
    _, token = make_user("lin", role="lead")
    response = _get(client, token, **params)
    assert response.status_code == status
    assert fragment in response.get_json()["error"]


def test_366_days_is_allowed(client, make_user):
    _, token = make_user("lin", role="lead")
    assert _get(client, token, **{"from": "2024-01-01", "to": "2024-12-31"}).status_code == 200  # leap year: 366


def test_seeded_day_over_the_api(client, make_user, seeded):
    clock.follow(lambda: 0.0, start=local(12, 0, day=DAY + timedelta(days=1)), app=client.application)  # now: the next day, noon
    _, token = make_user("lin", role="lead")
    body = _get(client, token, **{"from": "2026-11-20", "to": "2026-11-20"}).get_json()
    calls = body["calls"]
    assert (calls["in"], calls["out"], calls["answered"], calls["abandoned"], calls["over_5_min"]) == (9, 3, 4, 2, 1)
    assert calls["service_level"] == pytest.approx(2 / 6)
    assert (calls["asa_s"], calls["aht_s"]) == (31.0, 168.0)
    assert body["cases"]["overdue"] == 2 and body["cases"]["escalated"] == 1
    assert body["rates"]["satisfaction"]["overall"] == pytest.approx(7 / 9)
    assert {a["name"] for a in body["by_agent"]} == {"alice", "bob"}
    assert {d["district"] for d in body["by_district"]} == {"南山", "福田", "-"}
    # Only `to`: that single day.
    single = _get(client, token, to="2026-11-20").get_json()
    assert (single["from"], single["to"], single["calls"]["in"]) == ("2026-11-20", "2026-11-20", 9)


def test_openapi_describes_it(client):
    doc = client.get("/api/openapi.json").get_json()
    operation = doc["paths"]["/api/reports/summary"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"from", "to"}
    assert "400" in operation["responses"]
    assert "ReportSummary" in doc["components"]["schemas"]
