"""The roster: shift templates (H24), staffed against required per interval (over/under), gaps
ahead, the roster page, and who is rostered for the wallboard and routing."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from core.models import User
from reports.planning import roster
from reports.planning.days import day_start
from reports.planning.staffing import IntervalStaffing
from tests.planning.conftest import add_calls

DAY = date(2026, 12, 1)


def _users(db, make_user, *names):
    for name in names:
        make_user(name, endpoint=f"client:{name}")
    return [db.scalar(select(User).where(User.name == n)) for n in names]


def _need(values: dict[int, int]) -> list[IntervalStaffing]:
    return [IntervalStaffing(i, f"{i}", 0, 0, 0, 0, values.get(i, 0), values.get(i, 0), None, None, None)
            for i in range(48)]


def test_shift_templates_count_per_half_hour_and_breaks_only_leave_the_phones(app, db, make_user):
    settings = app.config["HOTLINE"]
    a, b, c = _users(db, make_user, "amy", "ben", "cai")
    roster.assign(db, settings, DAY, a, "day")  # 08:00-17:30, break mid-shift
    roster.assign(db, settings, DAY, b, "day", break_at=time(12, 0))
    roster.assign(db, settings, DAY, c, "evening")  # 16:00-01:00 the next day
    db.commit()
    start = day_start(settings, DAY)
    shifts = roster.shifts_overlapping(db, start, start + timedelta(days=1))
    heads = roster.heads(settings, DAY, shifts)
    assert heads[15] == 0 and heads[16] == 2 and heads[34] == 3 and heads[35] == 1 and heads[47] == 1
    phones = roster.heads(settings, DAY, shifts, on_phones=True)
    assert phones[24] == 1  # ben's break 12:00-12:30 (30 min)
    brk = next(sh for sh in shifts if sh.user_id == a.id).break_at
    assert brk is not None and phones[16] == 2
    next_day = roster.heads(settings, DAY + timedelta(days=1), roster.shifts_overlapping(
        db, start + timedelta(days=1), start + timedelta(days=2)))
    assert next_day[0] == 1 and next_day[1] == 1 and next_day[2] == 0  # the evening shift runs to 01:00


def test_over_and_under_per_interval(app):
    settings = app.config["HOTLINE"]
    staffed = [0.0] * 48
    staffed[18], staffed[19], staffed[20] = 2, 4, 7
    cover = roster.coverage(settings, staffed, _need({18: 3, 19: 4, 20: 4}))
    assert [cover[i].status for i in (18, 19, 20, 10)] == ["under", "ok", "over", "ok"]
    assert cover[18].difference == -1 and cover[20].difference == 3


def test_roster_rejects_bad_changes(app, db, make_user):
    settings = app.config["HOTLINE"]
    (a,) = _users(db, make_user, "amy")
    with pytest.raises(roster.RosterError, match="shift:"):
        roster.assign(db, settings, DAY, a, "night")
    with pytest.raises(roster.RosterError, match="break_at:"):
        roster.assign(db, settings, DAY, a, "day", break_at=time(19, 0))
    roster.assign(db, settings, DAY, a, "day")
    with pytest.raises(roster.RosterError, match="already"):
        roster.assign(db, settings, DAY, a, "day")


def test_roster_page_colours_under_and_over_and_warns_of_a_gap(app, db, make_user, lead_client):
    settings = app.config["HOTLINE"]
    for k in range(1, 5):  # Tuesdays 09:00: 60 calls of 4 minutes → several agents needed
        add_calls(db, settings, DAY - timedelta(weeks=k), 18, 60, talk_s=240)
    (a,) = _users(db, make_user, "amy")
    client, token = lead_client
    response = client.post("/console/planning/roster", data={"csrf_token": token, "day": DAY.isoformat(),
                                                              "user_id": a.id, "shift": "day"})
    assert response.status_code == 302
    html = client.get(f"/console/planning/roster?day={DAY}").get_data(as_text=True)
    assert 'data-status="under"' in html and "amy" in html.lower()
    bad = client.post("/console/planning/roster", data={"csrf_token": token, "day": DAY.isoformat(),
                                                         "user_id": a.id, "shift": "day", "break_at": "25:99"})
    assert bad.status_code == 400 and "break_at:" in bad.get_data(as_text=True)
    assert len(roster.shifts_overlapping(db, day_start(settings, DAY), day_start(settings, DAY + timedelta(1)))) == 1
    from reports.planning import service

    now = day_start(settings, DAY) + timedelta(hours=8)
    gaps = service.upcoming_gaps(db, settings, now)
    assert any(g["interval"] == "09:00" and g["short"] > 0 for g in gaps)


def test_wallboard_and_routing_know_who_is_rostered(app, db, make_user):
    from core.models import Presence
    from reports import wallboard

    settings = app.config["HOTLINE"]
    a, b = _users(db, make_user, "amy", "ben")
    roster.assign(db, settings, DAY, b, "day", break_at=time(12, 0))
    db.commit()
    at_ten = day_start(settings, DAY) + timedelta(hours=10)
    snap = wallboard.agents_now(db, at_ten)
    assert snap["rostered"]["on_shift"] == 1 and snap["rostered"]["on_shift_offline"] == 1
    assert {x["name"]: x["rostered"] for x in snap["agents"]} == {"amy": None, "ben": "on_shift"}
    at_noon = day_start(settings, DAY) + timedelta(hours=12, minutes=10)
    assert roster.rostered_user_ids(db, at_noon) == {b.id: "on_break"}
    assert [u.name for u in roster.prefer_rostered(db, [a, b], at_ten)] == ["ben", "amy"]
    assert [u.name for u in roster.prefer_rostered(db, [a, b], at_noon)] == ["amy", "ben"]
    a.presence = b.presence = Presence.AVAILABLE
    assert roster.is_rostered(db, b.id, at_ten) and not roster.is_rostered(db, a.id, at_ten)


def test_routing_offers_a_caller_to_the_rostered_agent_first(make_app):
    """Two free agents; the strategy (longest idle) would pick ann, but only ben is rostered now."""
    from core.db import session_scope, utcnow
    from core.presence import announce, set_presence
    from core.telephony.simulator import Behaviour, CallerScript
    from core.users import create_user
    from ivr.models import Offer
    from reports.planning.days import local_day_of

    app = make_app({"shifts": [{"name": "all-day", "start": "00:00", "end": "00:00"}], "planning": {"break_min": 0}})
    sim = app.extensions["simulator"]
    settings = app.config["HOTLINE"]
    ids = {}
    with session_scope(app) as s:
        for name in ("ann", "ben"):
            user, _t, _p = create_user(s, name, "agent", "password123", endpoint=f"client:{name}")
            ids[name] = user.id
        s.flush()
        s.get(User, ids["ben"]).last_call_ended_at = utcnow(app)  # ann is the longest idle
        today = local_day_of(settings, utcnow(app))
        for day in (today - timedelta(days=1), today):
            roster.assign(s, settings, day, s.get(User, ids["ben"]), "all-day")
    with session_scope(app) as s:
        for user_id in ids.values():
            set_presence(s, s.get(User, user_id), "available")
    for name, user_id in ids.items():
        sim.set_behaviour(f"client:{name}", Behaviour(answer="human", answer_after_s=2))
        announce(app, user_id, "available")
    sid = sim.place_inbound_call("+8613800000001", settings.telephony.caller_id,
                                 caller=CallerScript(press=["1"], talk_s=20))
    sim.run_until_idle()
    with session_scope(app) as s:
        offer = s.scalar(select(Offer).where(Offer.caller_call_sid == sid))
        assert offer is not None and offer.agent_id == ids["ben"]
