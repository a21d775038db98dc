"""The campaign "why" lines tell times in local time (storage stays UTC)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core import clock
from core.db import session_scope, utcnow
from scheduler import campaign_progress
from scheduler import campaigns as svc
from scheduler.models import Contact
from tests.scheduler.conftest import NUMBERS


def whys(app, cid):
    with session_scope(app) as s:
        campaign = s.get(svc.Campaign, cid)
        contacts = s.scalars(select(Contact).where(Contact.campaign_id == cid)).all()
        return [campaign_progress.why(app.config["HOTLINE"], campaign, c, utcnow(app)) for c in contacts], campaign.next_run_at


def test_window_opening_is_told_in_local_time(app, make_campaign):
    clock.follow(lambda: 0.0, start=datetime(2026, 11, 30, 20, 0), app=app)  # 04:00 on 1 Dec in Shanghai
    cid = make_campaign(NUMBERS[:1], window="08:13-20:00")
    with session_scope(app) as s:
        s.get(svc.Campaign, cid).status = svc.CampaignStatus.RUNNING
    (line,), _ = whys(app, cid)
    assert "opens 2026-12-01 08:13 CST" in line, line
    assert "UTC" not in line


def test_scheduled_start_is_told_in_local_time(app, make_campaign):
    clock.follow(lambda: 0.0, start=datetime(2026, 11, 30, 20, 0), app=app)
    cid = make_campaign(NUMBERS[:1], start_at="2026-12-01T09:00:00")  # read in the hotline's zone
    (line,), stored = whys(app, cid)
    assert stored == datetime(2026, 12, 1, 1, 0)  # stored in UTC
    assert line == "campaign starts at 2026-12-01 09:00 CST", line
