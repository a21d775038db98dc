"""CSV exports: UTF-8 with a BOM (Excel opens Chinese correctly), text/csv, a file name, every table."""

from __future__ import annotations

import csv
import io

import pytest

from reports.csvout import TABLES

RANGE = {"from": "2026-11-20", "to": "2026-11-20"}


def _parse(response):
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_exports(lead_client, seeded, name):
    client, _ = lead_client
    response = client.get(f"/console/reports/export/{name}.csv", query_string=RANGE)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="hotline-{name}-2026-11-20-2026-11-20.csv"'
    rows = _parse(response)
    assert rows[0] and len(rows) > 1
    assert all(len(row) == len(rows[0]) for row in rows)


def test_chinese_survives_and_numbers_match(lead_client, seeded):
    client, _ = lead_client
    districts = _parse(client.get("/console/reports/export/districts.csv", query_string=RANGE))
    assert districts[0][:5] == ["district", "calls_in", "calls_out", "answered", "abandoned"]
    by_name = {row[0]: row for row in districts[1:]}
    assert set(by_name) == {"南山", "福田", "-"}
    assert by_name["南山"][1:5] == ["3", "0", "2", "1"]
    assert by_name["南山"][5] == "1.0"  # service level
    complaints = _parse(client.get("/console/reports/export/complaints.csv", query_string=RANGE))
    assert any("complaint 测试案件 K3" in cell for row in complaints for cell in row)
    agents = _parse(client.get("/console/reports/export/agents.csv", query_string=RANGE))
    alice = next(row for row in agents if row[1] == "alice")
    assert alice[2] == "Alice 王" and alice[0] == "A01"
    calls = dict(_parse(client.get("/console/reports/export/calls.csv", query_string=RANGE))[1:])
    assert calls["in"] == "9" and calls["service_level"] == "0.3333" and calls["aht_s"] == "168.0"
    reassurances = _parse(client.get("/console/reports/export/reassurances.csv", query_string=RANGE))
    assert any("感谢您的耐心等候" in row[1] for row in reassurances[1:])


def test_bad_table_or_dates(lead_client):
    client, _ = lead_client
    assert client.get("/console/reports/export/nope.csv").status_code == 404
    assert client.get("/console/reports/export/calls.csv?from=2026-02-30").status_code == 400


def test_agents_cannot_export(client, make_user):
    from tests.console.helpers import login

    make_user("alice")
    login(client, "alice")
    assert client.get("/console/reports/export/calls.csv").status_code == 403
