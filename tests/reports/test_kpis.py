"""The KPI definitions as pure functions (reports/kpis.py), each on rows worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from reports import kpis
from reports.kpis import CallRow, Reassurance, WaitSample

T0 = datetime(2026, 11, 20, 1, 0)
SATISFIED = ["很满意", "满意", "基本满意"]  # H19


def test_h19_worked_example():
    """3 customers × 3 items (timeliness, attitude, quality), 很满意 = 5 … 很不满意 = 1.

    customer A: 很满意, 满意, 不满意     → satisfied 2 of 3 items → 2/3
    customer B: 基本满意, 很不满意, 满意 → 2 of 3 → 2/3 (基本满意 counts as satisfied)
    customer C: 很满意, 很满意, 很满意   → 3 of 3 → 1
    overall = mean(2/3, 2/3, 1) = (7/3) / 3 = 7/9 ≈ 77.8 %
    per item = item score / total possible score (5 points × 3 customers = 15):
      timeliness 5 + 3 + 5 = 13 → 13/15 ≈ 86.7 %; attitude 4 + 1 + 5 = 10 → 10/15 ≈ 66.7 %;
      quality 2 + 4 + 5 = 11 → 11/15 ≈ 73.3 %
    """
    customers = [
        {"timeliness": "很满意", "attitude": "满意", "quality": "不满意"},
        {"timeliness": "基本满意", "attitude": "很不满意", "quality": "满意"},
        {"timeliness": "很满意", "attitude": "很满意", "quality": "很满意"},
    ]
    result = kpis.satisfaction(customers, SATISFIED)
    assert result["customers"] == 3
    assert result["per_customer"] == pytest.approx([2 / 3, 2 / 3, 1.0])
    assert result["overall"] == pytest.approx(7 / 9)
    assert result["per_item"] == pytest.approx({"timeliness": 13 / 15, "attitude": 10 / 15, "quality": 11 / 15})
    assert result["item_scores"]["attitude"] == {"score": 10, "possible": 15}


def test_h19_surveyed_items_only_and_unanswered_customers_left_out():
    # A customer who answered 2 of 3 items: satisfied 1 of the 2 surveyed → 1/2 (not 1/3).
    # A customer with no scale answer was not surveyed (H18 return): not in the mean.
    customers = [{"timeliness": "满意", "attitude": "不满意"}, {}, {"timeliness": "no answer"}]
    result = kpis.satisfaction(customers, SATISFIED)
    assert (result["customers"], result["overall"]) == (1, 0.5)
    # per item: timeliness 4/5, attitude 2/5
    assert result["per_item"] == pytest.approx({"timeliness": 0.8, "attitude": 0.4})
    assert kpis.satisfaction([], SATISFIED)["overall"] is None


def test_h19_follows_the_configured_satisfied_answers():
    strict = kpis.satisfaction([{"a": "基本满意", "b": "满意"}], ["很满意", "满意"])
    assert strict["overall"] == 0.5


def _row(n: int, outcome: str, wait: float | None = None, talk: float | None = None, inbound: bool = True) -> CallRow:
    return CallRow(id=n, inbound=inbound, started_at=T0, outcome=outcome, wait_s=wait, talk_s=talk)


def test_call_kpis_boundaries():
    rows = [
        _row(1, "answered", wait=9.0, talk=300.0),  # exactly the threshold: in time; exactly 300 s: not over
        _row(2, "answered", wait=9.5, talk=300.5),  # late; over 5 minutes
        _row(3, "abandoned", wait=10.0),  # exactly short_abandon_s: short
        _row(4, "abandoned", wait=10.5),  # not short
        _row(5, "other", wait=0.0),  # overflow: offered, not answered
    ]
    c = kpis.call_kpis(rows, threshold_s=9, short_abandon_s=10, max_s=300)
    # offered 5, short 1 → SL = 1 / 4; abandonment = (2 − 1) / 4
    assert (c["offered"], c["short_abandoned"]) == (5, 1)
    assert c["service_level"] == pytest.approx(0.25)
    assert c["abandonment_rate"] == pytest.approx(0.25)
    assert c["asa_s"] == pytest.approx(9.25)  # (9 + 9.5) / 2
    assert c["aht_s"] == pytest.approx(300.25)
    assert c["over_5_min"] == 1


def test_empty_rates_are_none_not_zero():
    c = kpis.call_kpis([], threshold_s=9, short_abandon_s=10, max_s=300)
    assert c["service_level"] is None and c["asa_s"] is None and c["aht_s"] is None
    assert c["abandonment_rate"] is None and c["in"] == 0
    # Only short abandons: nothing fair to measure.
    only_short = kpis.call_kpis([_row(1, "abandoned", wait=3)], threshold_s=9, short_abandon_s=10, max_s=300)
    assert only_short["service_level"] is None and only_short["abandoned"] == 1


def test_wait_accuracy():
    # announced 50 s ("1 minute") waited 70 → +20, not within 60 s; announced 100 s ("2 minutes")
    # waited 110 → +10, within 120 s; announced 30 waited 10 → −20, within.
    samples = [WaitSample(50, 70), WaitSample(100, 110), WaitSample(30, 10)]
    w = kpis.wait_accuracy(samples)
    assert w["samples"] == 3
    assert w["mean_error_s"] == pytest.approx(10 / 3)  # (20 + 10 − 20) / 3
    assert w["mean_abs_error_s"] == pytest.approx(50 / 3)  # (20 + 10 + 20) / 3
    assert w["within_announced"] == pytest.approx(2 / 3)
    assert kpis.within_heard_s(61) == 120 and kpis.within_heard_s(60) == 60
    # "connecting now" (an announced 0) is held to the first minute; 59 s counts, 61 s does not
    now = kpis.wait_accuracy([WaitSample(0, 59), WaitSample(0, 61)])
    assert now["within_announced"] == pytest.approx(1 / 2)
    assert kpis.wait_accuracy([])["mean_error_s"] is None


def test_reassurance_abandons_window_and_latest_prompt():
    at = lambda s: T0 + timedelta(seconds=s)  # noqa: E731
    played = [
        Reassurance(1, at(0), "A"), Reassurance(1, at(30), "B"),  # call 1 hangs up at 45: 15 s after B
        Reassurance(2, at(0), "A"),  # call 2 hangs up at 31: 31 s after A → outside the 30 s window
        Reassurance(3, at(0), "A"),  # call 3 hangs up at 30: exactly 30 s → inside
        Reassurance(4, at(0), "B"),  # call 4 never hangs up
    ]
    abandons = {1: at(45), 2: at(31), 3: at(30), 5: at(3)}  # call 5 heard no reassurance
    rows = {r["wording"]: r for r in kpis.reassurance_abandons(played, abandons, window_s=30)}
    assert (rows["A"]["prompts"], rows["A"]["abandoned_within"]) == (3, 1)
    assert (rows["B"]["prompts"], rows["B"]["abandoned_within"]) == (2, 1)
    assert rows["A"]["rate"] == pytest.approx(1 / 3) and rows["B"]["rate"] == 0.5


def test_target_rate():
    assert kpis.target_rate(19, 20, 0.95) == {"numerator": 19, "denominator": 20, "value": 0.95, "target": 0.95,
                                              "meets_target": True}
    assert kpis.target_rate(0, 0, 0.7)["meets_target"] is False
