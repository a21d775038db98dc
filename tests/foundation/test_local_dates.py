"""Case references carry the local date (hours.timezone); storage stays UTC."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

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


def test_an_iso_time_without_an_offset_is_read_in_the_zone_and_stored_as_utc():
    shanghai = ZoneInfo("Asia/Shanghai")
    assert clock.parse_instant(" 2026-11-25T09:30 ", shanghai) == datetime(2026, 11, 25, 1, 30)
    assert clock.parse_instant("2026-11-25T09:30Z", shanghai) == datetime(2026, 11, 25, 9, 30)
    assert clock.parse_instant("2026-11-25T09:30+01:00", shanghai) == datetime(2026, 11, 25, 8, 30)
    assert clock.parse_instant("2026-11-25", shanghai) == datetime(2026, 11, 24, 16, 0)
    with pytest.raises(ValueError):
        clock.parse_instant("25/11/2026 09:30", shanghai)
