"""Case references carry the local date (hours.timezone); storage stays UTC."""

from __future__ import annotations

from datetime import datetime

from core import clock
from core.cases import open_case
from core.db import session_scope


def test_case_reference_uses_the_local_day(app):
    clock.follow(lambda: 0.0, start=datetime(2026, 11, 30, 18, 52), app=app)  # 02:52 on 1 Dec in Shanghai
    with session_scope(app) as s:
        case = open_case(s, app.config["HOTLINE"], kind="repair", description="leak")
        ref, created = case.ref, case.created_at
    assert ref == "C20261201-0001"
    assert created == datetime(2026, 11, 30, 18, 52)  # stored in UTC


def test_numbering_restarts_on_the_local_day(app):
    settings = app.config["HOTLINE"]
    refs = []
    for start in (datetime(2026, 11, 30, 15, 59), datetime(2026, 11, 30, 16, 1), datetime(2026, 11, 30, 17, 0)):
        clock.follow(lambda: 0.0, start=start, app=app)  # 23:59 on 30 Nov, then 00:01 and 01:00 on 1 Dec, Shanghai
        with session_scope(app) as s:
            refs.append(open_case(s, settings, kind="repair").ref)
    assert refs == ["C20261130-0001", "C20261201-0001", "C20261201-0002"]
