"""Pages render in both languages with the settings' thresholds; the simulator page only in
simulator mode; the console's tables match its migration."""

from __future__ import annotations

import json
import re

import pytest


def page_config(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="console-config">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def test_agent_page_carries_the_settings_thresholds(app, desk):
    alice = desk("alice")
    html = alice.client.get("/console/").get_data(as_text=True)
    config = page_config(html)
    settings = app.config["HOTLINE"]
    assert config["call_target_s"] == settings.calls.target_s and config["call_max_s"] == settings.calls.max_s
    assert config["answer_threshold_s"] == settings.answer.threshold_s and config["simulator"] is True
    for label in ("空闲", "话后整理", "转管理人员", "保存工单", "实时转写", 'id="reply"', 'role="listbox"'):
        assert label in html
    alice.client.get("/console/lang/en")
    english = alice.client.get("/console/").get_data(as_text=True)
    for label in ("Available", "Wrap-up", "Manager", "Save case", "Live transcript"):
        assert label in english


@pytest.mark.parametrize("app_overrides", [{"calls": {"target_s": 120, "max_s": 240}}])
def test_thresholds_follow_the_configuration(desk, app_overrides):
    config = page_config(desk("alice").client.get("/console/").get_data(as_text=True))
    assert (config["call_target_s"], config["call_max_s"]) == (120, 240)


def test_static_assets_are_served(client):
    for name in ("js/common.js", "js/agent.js", "js/reply.js", "js/lead.js", "js/simulate.js"):
        assert client.get(f"/console/static/{name}").status_code == 200
    for name in ("console.css", "js/nav.js"):  # the web shell's own
        assert client.get(f"/console/shell/{name}").status_code == 200


def test_simulate_page_places_a_call_and_streams_its_timeline(app, sim, desk):
    alice = desk("alice")
    assert "热线号码" in alice.client.get("/console/simulate/").get_data(as_text=True)
    assert alice.post("/console/simulate/calls", {"from": "12"}).status_code == 400
    odd = alice.post("/console/simulate/calls", {"from": "13812345679", "say": "not a list", "utterances": 5,
                                                 "press": ["x"]})
    assert odd.status_code == 201  # odd shapes are ignored, never a 500
    response = alice.post("/console/simulate/calls", {"from": "13812345678", "press": "1",
                                                      "utterances": ["3 我家水管漏水了", "bad line"]})
    assert response.status_code == 201
    sid = response.get_json()["call_sid"]
    sim.advance(5)
    assert alice.post(f"/console/simulate/calls/{sid}/press", {"value": "1"}).status_code == 200
    assert alice.post(f"/console/simulate/calls/{sid}/bogus", {"value": "1"}).status_code == 404
    assert alice.post(f"/console/simulate/calls/{sid}/say", {}).status_code == 400
    assert alice.post("/console/simulate/calls/CAnope/press", {"value": "1"}).status_code == 404
    assert alice.post(f"/console/simulate/calls/{sid}/hangup").get_json() == {"done": True}
    sim.advance(2)
    stream = alice.client.get(f"/console/simulate/calls/{sid}/stream", buffered=False)
    body = "".join(chunk.decode() for chunk in stream.response)
    assert "event: entry" in body and body.rstrip().endswith("}") and "event: end" in body
    assert '"verb": "say"' in body


def test_nav_shows_the_simulator_only_in_simulator_mode(desk):
    assert 'href="/console/simulate/"' in desk("alice").client.get("/console/").get_data(as_text=True)


def test_console_tables_match_the_migration(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.db import Base

    with app.extensions["db_engine"].connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    mine = [d for d in diff if "console_" in repr(d)]
    assert mine == []
