"""The "Simulate a caller" page says in one line when the hotline is closed, and which setting
opens it; it keeps using the live app on the real clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from core import clock


@pytest.fixture
def app_overrides():
    return {"hours": {"open": "09:30-17:50", "timezone": "Asia/Shanghai"}}


def at(app, utc: datetime) -> None:
    clock.follow(lambda: 0.0, start=utc, app=app)


def test_closed_hotline_is_explained_on_the_page_and_when_placing(desk):
    alice = desk("alice")
    at(alice.client.application, datetime(2026, 12, 1, 12, 0))  # 20:00 in Shanghai
    html = alice.client.get("/console/simulate/").get_data(as_text=True)
    assert 'id="sim-hours"' in html and "HOTLINE_OPEN_HOURS" in html and "2026-12-02 09:30" in html
    placed = alice.post("/console/simulate/calls", {"from": "13812345678", "press": "1"})
    assert placed.status_code == 201
    note = placed.get_json()["note"]
    assert "hours.open" in note and "HOTLINE_OPEN_HOURS" in note and "\n" not in note


def test_open_hotline_has_no_note(desk):
    alice = desk("alice")
    at(alice.client.application, datetime(2026, 12, 1, 2, 0))  # 10:00 in Shanghai
    assert 'id="sim-hours"' not in alice.client.get("/console/simulate/").get_data(as_text=True)
    placed = alice.post("/console/simulate/calls", {"from": "13812345678", "press": "1"})
    assert placed.status_code == 201 and placed.get_json().get("note") is None
