"""A scripted call through the simulator is scored after it ended: each scorecard item right,
with its evidence; the spot-check sample, the lead's check, the agent's page, the QA report and
``GET /api/quality/reviews``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core.models import AuditLog, Call
from reports.quality import sampling
from reports.quality import scorecard as sc
from reports.quality.models import QaReview
from scheduler.engine import run_tick_hooks
from tests.console.conftest import FORBIDDEN, connect

APOLOGY_AND_GREETING = "非常抱歉,今天咨询的客户比较多,非常感谢您的耐心等候。您好!SCC顺创客服部,请问有什么可以帮到你?"
ASK = "请问您贵姓?请问王先生目前在哪个城区?"
CLOSE = "谢谢,再见!"


def play_call(app, sim, desk_of, caller_of, wait_s: float = 40):
    """The caller waits ``wait_s`` in line, the agent answers, speaks, hangs up, logs a repair case."""
    alice = desk_of("alice")
    caller_of(press=["1"], utterances=[(2, "你好,我家厨房水管漏水了")])
    sim.advance(wait_s)
    alice.post("/console/api/presence", {"state": "available"})
    state = connect(sim, alice)
    for text in (APOLOGY_AND_GREETING, ASK, FORBIDDEN, CLOSE):
        assert alice.post("/console/api/speak", {"text": text}).status_code == 200
        sim.advance(4)
    assert alice.post("/console/api/hangup").status_code == 200
    sim.advance(3)
    saved = alice.post("/console/api/cases", {"kind": "repair", "description": "厨房水管漏水", "place": "3栋201",
                                              "call_id": state["call"]["call_id"]})
    assert saved.status_code == 201
    return alice, state["call"]["call_id"], saved.get_json()["ref"]


def scored(app, sim, db, call_id) -> QaReview:
    run_tick_hooks(app)  # not before quality.score_after_s (the wrap-up may still log a case)
    assert db.scalar(select(QaReview).where(QaReview.call_id == call_id)) is None
    sim.advance(app.config["HOTLINE"].quality.score_after_s + 1)
    run_tick_hooks(app)
    db.expire_all()
    review = db.scalar(select(QaReview).where(QaReview.call_id == call_id))
    assert review is not None
    return review


def test_a_scripted_call_gets_each_item_right_with_evidence(app, sim, desk, caller, db):
    alice, call_id, ref = play_call(app, sim, desk, caller)
    review = scored(app, sim, db, call_id)
    items = {i.code: i for i in review.items}
    assert {c: i.result for c, i in items.items()} == {
        "H1": sc.PASS, "H2": sc.PASS, "H6": sc.PASS, "H8": sc.FAIL, "H7": sc.PASS, "S": sc.FAIL,
        "H10": sc.PASS, "H12": sc.PASS}
    call = db.get(Call, call_id)
    assert review.agent_id == alice.user_id and review.flagged and not review.complaint
    waited = items["H2"].evidence[0]
    assert waited["wait_s"] == round(call.wait_s, 1) and waited["wait_s"] > 9
    assert items["H2"].note["en"].startswith(f"waited {call.wait_s:.0f} s = {call.wait_s / 3:.1f} rings, apologised at")
    assert items["H2"].evidence[1]["text"].startswith("非常抱歉")
    assert "SCC顺创客服部" in items["H1"].evidence[0]["text"]
    greeting_at = items["H1"].evidence[0]["at_s"]
    assert {e["text"] for e in items["H6"].evidence} == {"请问您贵姓?", "请问王先生目前在哪个城区?"}
    assert all(e["at_s"] > greeting_at for e in items["H6"].evidence)
    flag = items["S"].evidence[0]
    assert flag["situation"] == "S1" and flag["matched"] in FORBIDDEN and flag["alternative"].startswith("非常抱歉")
    assert flag["at_s"] > items["H6"].evidence[0]["at_s"]
    assert items["H10"].evidence[0]["text"] == CLOSE and items["H10"].evidence[0]["at_s"] > flag["at_s"]
    assert items["H12"].evidence == [{"case": ref, "kind": "repair"}]
    talk = (call.ended_at - call.answered_at).total_seconds()
    assert items["H7"].evidence[0]["talk_s"] == round(talk, 1) and talk < 180
    assert review.score == 6 / 8
    assert run_tick_hooks(app)["score_due"] == 0  # scored once


def test_spot_check_sample_is_reproducible_and_excludes_nobody():
    calls = [(n, 1) for n in range(1, 30)] + [(n, 2) for n in range(30, 32)] + [(40, 3)]
    day = date(2026, 12, 1)
    first = sampling.sample(calls, {31: ("forbidden",), 5: ("complaint",)}, "seed", day, 2)
    again = sampling.sample(list(reversed(calls)), {31: ("forbidden",), 5: ("complaint",)}, "seed", day, 2)
    assert first == again
    per_agent = {a: [p.call_id for p in first if p.agent_id == a and "random" in p.reasons] for a in (1, 2, 3)}
    assert [len(v) for v in per_agent.values()] == [2, 2, 1]  # every agent who took calls is in it
    assert {p.call_id for p in first if "forbidden" in p.reasons or "complaint" in p.reasons} == {31, 5}
    days = {tuple(sampling.draw(calls, "seed", date(2026, 12, d), 2)[1]) for d in range(1, 8)}
    seeds = {tuple(sampling.draw(calls, s, day, 2)[1]) for s in ("a", "b", "c", "d", "e")}
    assert len(days) > 1 and len(seeds) > 1  # another day or seed draws other calls


def test_lead_overrides_completes_and_the_agent_sees_it(app, sim, desk, caller, db):
    alice, call_id, _ref = play_call(app, sim, desk, caller)
    review = scored(app, sim, db, call_id)
    lead = desk("lin", role="lead")
    day = review.day.isoformat()
    page = lead.get(f"/console/quality/spot-checks?day={day}").get_data(as_text=True)
    assert f'data-call="{call_id}"' in page and "forbidden" in page
    shown = lead.get(f"/console/quality/reviews/{review.id}").get_data(as_text=True)
    assert "SCC顺创客服部" in shown and shown.count('data-flag="S1"') == 1
    assert shown.count('class="agent flagged"') == 2  # the flagged words span two sentences
    form = {"csrf_token": lead.csrf, "result-H8": "pass", "comment-H8": ""}
    assert lead.client.post(f"/console/quality/reviews/{review.id}", data=form).status_code == 400
    form.update({"comment-H8": "复述在通话记录之外完成", "comment": "整体良好"})
    assert lead.client.post(f"/console/quality/reviews/{review.id}", data=form).status_code == 302
    db.expire_all()
    review = db.get(QaReview, review.id)
    h8 = next(i for i in review.items if i.code == "H8")
    assert (h8.result, h8.final, h8.lead_comment) == (sc.FAIL, sc.PASS, "复述在通话记录之外完成")
    assert review.checked_at is not None and review.score == 7 / 8
    audit = db.scalar(select(AuditLog).where(AuditLog.action == "qa_spot_check"))
    assert audit.detail["overridden"] == ["H8"] and audit.target == f"call:{call_id}"
    mine = alice.get("/console/quality/mine").get_data(as_text=True)
    assert "整体良好" in mine and "复述在通话记录之外完成" in mine
    alice.get("/console/lang/en")
    in_english = alice.get(f"/console/quality/reviews/{review.id}").get_data(as_text=True)
    assert "Key points repeated back" in in_english and "forbidden phrase(s) (S1)" in in_english
    assert "apologised at" in in_english
    assert lead.get("/console/quality/spot-checks?day=2026-02-30").status_code == 400
    assert lead.get("/console/quality/reviews/999999").status_code == 404
    bad = {**form, "result-H1": "maybe"}
    assert lead.client.post(f"/console/quality/reviews/{review.id}", data=bad).status_code == 400
    other = desk("bob")
    assert other.get(f"/console/quality/reviews/{review.id}").status_code == 403
    assert alice.get(f"/console/quality/reviews/{review.id}").status_code == 200
    assert alice.client.post(f"/console/quality/reviews/{review.id}", data={**form, "csrf_token": alice.csrf}).status_code == 403


def test_report_csv_and_api(app, sim, desk, caller, db, make_user):
    alice, call_id, _ref = play_call(app, sim, desk, caller)
    review = scored(app, sim, db, call_id)
    lead = desk("lin", role="lead")
    day = review.day.isoformat()
    page = lead.get(f"/console/quality/report?from={day}&to={day}").get_data(as_text=True)
    assert 'data-agent="alice"' in page and "75%" in page
    csv = lead.get(f"/console/quality/report/items.csv?from={day}&to={day}").get_data(as_text=True)
    assert "H8,0,1,0,0.0" in csv and csv.startswith("\ufeff")
    review.comment = "=HYPERLINK(\"http://x\")"
    db.commit()
    reviews_csv = lead.get(f"/console/quality/report/reviews.csv?from={day}&to={day}").get_data(as_text=True)
    assert "'=HYPERLINK" in reviews_csv and ",alice,0.75," in reviews_csv  # formula neutralised
    assert lead.get("/console/quality/report/nope.csv").status_code == 404
    assert lead.get("/console/quality/report?from=2026-13-01").status_code == 400
    api = app.test_client()
    got = api.get(f"/api/quality/reviews?from={day}&to={day}", headers={"Authorization": f"Bearer {make_user('lead2', role='lead')[1]}"})
    assert got.status_code == 200
    body = got.get_json()
    assert [r["call_id"] for r in body["reviews"]] == [call_id]
    assert body["reviews"][0]["items"][0]["item"] == "H1" and body["reviews"][0]["agent"] == "alice"
    agent = {"Authorization": f"Bearer {alice.api_token}"}
    assert api.get(f"/api/quality/reviews?from={day}&to={day}", headers=agent).get_json()["reviews"]
    refused = api.get(f"/api/quality/reviews?agent={alice.user_id + 100}", headers=agent)
    assert refused.status_code == 403 and refused.get_json()["error"].startswith("agent:")
    assert api.get("/api/quality/reviews?from=2026-02-30", headers=agent).status_code == 422


def test_qa_tables_match_the_migration(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.db import Base

    with app.extensions["db_engine"].connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "qa_" in repr(d)] == []


def _answered_calls(app, make_user, day_start):
    """Three agents' calls on one local day (alice 6, bob 2, carol 1) and one of alice's the next day."""
    from datetime import timedelta

    from core.db import session_scope

    ids = {name: make_user(name)[0].id for name in ("alice", "bob", "carol")}
    with session_scope(app) as s:
        plan = [("alice", n) for n in range(6)] + [("bob", 10), ("bob", 11), ("carol", 20), ("alice", 60 * 24 + 5)]
        for n, (name, minutes) in enumerate(plan):
            start = day_start + timedelta(minutes=minutes)
            s.add(Call(call_sid=f"CAs{n}", purpose="caller", agent_id=ids[name], status="completed", locale="zh-CN",
                       started_at=start, answered_at=start + timedelta(seconds=20),
                       ended_at=start + timedelta(seconds=90), wait_s=5))
    return ids


def test_the_days_sample_is_the_same_for_the_same_seed_and_includes_every_agent(app, db, make_user):
    from datetime import datetime, timedelta

    from reports.periods import to_utc

    settings = app.config["HOTLINE"]
    day = date(2026, 12, 1)
    start = to_utc(datetime(2026, 12, 1, 0, 30), settings.hours.zone)
    ids = _answered_calls(app, make_user, start)
    early = sampling.spot_checks(app, db, settings, day, start + timedelta(minutes=2))
    assert db.scalar(select(func.count()).select_from(QaReview)) == 0  # still in wrap-up: not scored yet
    assert {p.agent_id for p in early} == set(ids.values())  # but in the sample
    later = start + timedelta(days=2)
    first = sampling.spot_checks(app, db, settings, day, later)
    again = sampling.spot_checks(app, db, settings, day, later)
    assert first == early
    assert first == again and len(first) == 2 + 2 + 1
    assert {p.agent_id for p in first} == set(ids.values())
    day_calls = {c for c, _ in sampling.day_calls(db, settings, day)}
    assert len(day_calls) == 9 and {p.call_id for p in first} <= day_calls  # next day's call not in it
    assert db.scalar(select(func.count()).select_from(QaReview)) == 9  # every call of the day scored first
    flagged = db.scalar(select(QaReview).where(QaReview.call_id.not_in([p.call_id for p in first])))
    flagged.flagged = True
    db.commit()
    with_flag = sampling.spot_checks(app, db, settings, day, later)
    assert next(p for p in with_flag if p.call_id == flagged.call_id).reasons == ("forbidden",)
    assert [p for p in with_flag if p.call_id != flagged.call_id] == first
