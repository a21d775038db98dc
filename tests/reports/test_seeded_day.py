"""Every KPI on the seeded day (tests/reports/seed.py), with the right answers worked out by hand.

Settings used (defaults): answer.threshold_s = 3 rings × 3 s = 9 s (H2), queue.short_abandon_s = 10,
calls.max_s = 300 (H7), calls.target_s = 180, queue.reassure_every_s = 30 (the reassurance window),
followup targets 95 % (H16) and 70 % (H18). Time zone Asia/Shanghai.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from reports.periods import period
from reports.summary import summary
from tests.reports.seed import DAY, local

NOW = local(12, 0, day=DAY + timedelta(days=1))  # the next day, 12:00 local


@pytest.fixture
def report(app, db, seeded):
    settings = app.config["HOTLINE"]
    return summary(db, settings, period(settings, DAY, DAY), NOW)


def test_call_kpis(report):
    c = report["calls"]
    # Inbound C1…C9 (X0 started 23:59:50 the day before and is not counted; C1 at 00:00:30 is).
    assert c["in"] == 9
    # Outbound: the call-back leg CB1 + 2 campaign dials = 3; answered: CB1 + 1 dial = 2.
    assert (c["callbacks_out"], c["campaign_dials"], c["out"], c["out_answered"]) == (1, 2, 3, 2)
    # Offered = left the queue: C1–C7 (C8 never queued, C9 still waiting) = 7.
    assert (c["offered"], c["not_queued"], c["waiting"]) == (7, 1, 1)
    assert c["answered"] == 4  # C1–C4
    assert c["answered_within_threshold"] == 2  # waits 5 and 9 ≤ 9 s; 20 and 90 are late
    assert (c["abandoned"], c["short_abandoned"]) == (2, 1)  # C5 after 6 s ≤ 10 s is short; C6 after 45 s
    assert c["callback_requested"] == 1  # C7
    # SL = 2 / (7 offered − 1 short abandon) = 2/6
    assert c["service_level"] == pytest.approx(2 / 6)
    # ASA = (5 + 9 + 20 + 90) / 4 = 124 / 4 = 31 s
    assert c["asa_s"] == pytest.approx(31.0)
    # Abandonment = (2 − 1 short) / (7 − 1) = 1/6
    assert c["abandonment_rate"] == pytest.approx(1 / 6)
    # AHT (talk only) over the 5 handled calls C1–C4 + CB1: (120 + 200 + 360 + 100 + 60) / 5 = 840 / 5 = 168 s
    assert c["handled"] == 5
    assert c["aht_s"] == pytest.approx(168.0)
    assert c["over_5_min"] == 1  # C3: 360 s > 300 s (H7)
    assert c["over_target"] == 2  # C2 200 s and C3 360 s > 180 s


def test_cases_overdue_escalated_and_complaints(report):
    k = report["cases"]
    # K1–K5 created that day (K0 the day before).
    assert k["total"] == 5
    assert k["by_kind"] == {"complaint": 2, "inquiry": 1, "repair": 2}
    assert k["by_status"] == {"closed": 1, "dispatched": 1, "open": 2, "resolved": 1}
    assert k["by_kind_status"]["repair"] == {"dispatched": 1, "open": 1}
    assert k["open"] == 3  # K1 open, K2 dispatched, K4 open
    # H14: K1 due 12:00 and never answered (due < end of range) → overdue, unreplied;
    # K3 due 18:00, answered 19:00 → overdue; K2, K4, K5 due the next day or answered in time.
    assert (k["overdue"], k["overdue_unreplied"]) == (2, 1)
    assert k["escalated"] == 1  # H15: K2
    complaints = report["complaints"]
    assert (complaints["total"], complaints["satisfied"], complaints["awaiting_callback"],
            complaints["not_satisfied"], complaints["callbacks"]) == (2, 1, 1, 0, 2)
    k3 = next(i for i in complaints["items"] if i["ref"] == "K3")
    assert (k3["result"], k3["last_result"], k3["callbacks"]) == ("satisfied", "satisfied", 2)


def test_rates_and_h19_satisfaction(report):
    rates = report["rates"]
    # H16: repairs whose work order returned that day: K0 (call-back failed) and K2 (completed) → 1/2.
    repair = rates["repair_callback_rate"]
    assert (repair["numerator"], repair["denominator"], repair["value"]) == (1, 2, 0.5)
    assert repair["target"] == 0.95 and repair["meets_target"] is False
    # H18: 4 surveyed, 3 returned at least one answer → 0.75 ≥ 0.70.
    survey = rates["survey_return_rate"]
    assert (survey["numerator"], survey["denominator"], survey["value"], survey["meets_target"]) == (3, 4, 0.75, True)
    # H19 worked example (seed.SURVEY_ANSWERS), per customer: 2/3, 2/3, 3/3 → overall 7/9.
    sat = rates["satisfaction"]
    assert sat["customers"] == 3
    assert sat["overall"] == pytest.approx(7 / 9)
    # Per item = item score / total possible (5 × 3): timeliness 5+3+5 = 13, attitude 4+1+5 = 10, quality 2+4+5 = 11.
    assert sat["per_item"] == pytest.approx({"survey_timeliness": 13 / 15, "survey_attitude": 10 / 15,
                                             "survey_quality": 11 / 15})


def test_announced_wait_accuracy_and_reassurance_abandons(report):
    w = report["wait_accuracy"]
    # Answered callers who heard a reassurance: C3 (announced 30, waited 20 → −10, within 1 min)
    # and C4 (announced 45 = "1 minute", waited 90 → +45, not within).
    assert w["samples"] == 2
    assert w["mean_announced_s"] == pytest.approx(37.5)
    assert w["mean_actual_s"] == pytest.approx(55.0)
    assert w["mean_error_s"] == pytest.approx(17.5)  # (−10 + 45) / 2
    assert w["mean_abs_error_s"] == pytest.approx(27.5)  # (10 + 45) / 2
    assert w["within_announced"] == pytest.approx(0.5)
    rows = {r["wording_id"]: r for r in report["reassurance_abandons"]}
    # zh-CN with the call-back offer: C3 ×1, C4 ×3, C5 ×1, C7 ×1 = 6 played; C5 hung up 6 s after one.
    assert (rows["reassurance (zh-CN)"]["prompts"], rows["reassurance (zh-CN)"]["abandoned_within"]) == (6, 1)
    assert rows["reassurance (zh-CN)"]["rate"] == pytest.approx(1 / 6)
    # en: C6 ×2; C6 hung up 15 s after the second → 1 of 2.
    assert (rows["reassurance (en)"]["prompts"], rows["reassurance (en)"]["abandoned_within"]) == (2, 1)
    # The customer being called back hears the plain wording (no call-back offer): CB1 ×1, no abandon.
    assert (rows["reassurance_plain (zh-CN)"]["prompts"], rows["reassurance_plain (zh-CN)"]["abandoned_within"]) == (1, 0)
    assert "{position}" not in rows["reassurance (zh-CN)"]["wording"]


def test_by_agent(report, seeded):
    agents = {a["name"]: a for a in report["by_agent"]}
    alice, bob = agents["alice"], agents["bob"]
    # alice: C1, C2 in (waits 5, 9), CB1 out; talk 120 + 200 + 60 = 380 over 3 calls.
    assert (alice["answered_in"], alice["answered_out"], alice["answered_within_threshold"]) == (2, 1, 2)
    assert alice["asa_s"] == pytest.approx(7.0)
    assert alice["aht_s"] == pytest.approx(380 / 3)
    assert (alice["over_5_min"], alice["forbidden_alerts"], alice["agent_code"]) == (0, 1, "A01")
    # bob: C3, C4 (waits 20, 90; talk 360, 100).
    assert (bob["answered_in"], bob["answered_out"], bob["answered_within_threshold"]) == (2, 0, 0)
    assert bob["asa_s"] == pytest.approx(55.0)
    assert bob["aht_s"] == pytest.approx(230.0)
    assert (bob["over_5_min"], bob["forbidden_alerts"]) == (1, 0)
    assert report["forbidden_alerts"] == 1  # the day before's alert is not counted


def test_by_district_and_case_kind(report):
    d = {r["district"]: r for r in report["by_district"]}
    # 南山: C1, C2 answered (5, 9), C5 short abandon → SL 2/(3−1) = 1; ASA 7; AHT (120+200)/2 = 160; case K1.
    assert (d["南山"]["calls_in"], d["南山"]["answered"], d["南山"]["abandoned"]) == (3, 2, 1)
    assert d["南山"]["service_level"] == pytest.approx(1.0)
    assert (d["南山"]["asa_s"], d["南山"]["aht_s"], d["南山"]["cases"], d["南山"]["overdue"]) == (7.0, 160.0, 1, 1)
    # 福田: C3 (20), C4 (90) answered late, C6 abandoned after 45 s → SL 0/3 = 0; ASA 55; AHT 230; case K3.
    assert d["福田"]["service_level"] == 0.0
    assert (d["福田"]["asa_s"], d["福田"]["aht_s"], d["福田"]["over_5_min"], d["福田"]["cases"]) == (55.0, 230.0, 1, 1)
    # No district: C7 (offered, not answered) C8, C9 → SL 0/1; cases K2, K4, K5.
    assert (d["-"]["calls_in"], d["-"]["service_level"], d["-"]["cases"], d["-"]["escalated"]) == (3, 0.0, 3, 1)
    # The call-back leg CB1 (customer without a district, menu choice repair) is the only call out.
    assert (d["-"]["calls_out"], d["南山"]["calls_out"], d["福田"]["calls_out"]) == (1, 0, 0)
    kinds = {r["kind"]: r for r in report["by_case_kind"]}
    # Menu choices: repair C1, C4, C5, C6, C9; inquiry C2, C7; complaint C3; C8 none.
    assert (kinds["repair"]["calls_in"], kinds["repair"]["answered"], kinds["repair"]["cases"]) == (5, 2, 2)
    assert kinds["repair"]["calls_out"] == 1  # CB1
    assert (kinds["complaint"]["calls_in"], kinds["complaint"]["cases"], kinds["complaint"]["overdue"]) == (1, 2, 1)
    assert (kinds["inquiry"]["calls_in"], kinds["inquiry"]["cases"]) == (2, 1)
    assert kinds["-"]["calls_in"] == 1


def test_a_range_sums_days_and_the_day_before_is_separate(app, db, seeded):
    settings = app.config["HOTLINE"]
    before = summary(db, settings, period(settings, DAY.replace(day=19), DAY.replace(day=19)), NOW)
    # X0 at 23:59:50 local on the 19th: 1 call, answered in 3 s → SL 1/1.
    assert (before["calls"]["in"], before["calls"]["service_level"], before["forbidden_alerts"]) == (1, 1.0, 1)
    both = summary(db, settings, period(settings, DAY.replace(day=19), DAY), NOW)
    assert both["calls"]["in"] == 10 and both["calls"]["answered"] == 5
    # SL over both days: (2 + 1) / (8 − 1) = 3/7
    assert both["calls"]["service_level"] == pytest.approx(3 / 7)
