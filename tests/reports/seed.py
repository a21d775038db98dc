"""A seeded day of calls, cases, surveys and alerts whose right answers are worked out by hand in
``test_seeded_day.py``. Local day 2026-11-20 in Asia/Shanghai (UTC+8): local 09:00 = 01:00 UTC.

Inbound calls (queue joined 15 s after the call starts; reassurances at the queue times listed):

| call | agent | district | outcome             | wait | talk | reassured at (s)   | locale |
|------|-------|----------|---------------------|------|------|--------------------|--------|
| C1   | alice | 南山     | answered            | 5    | 120  | –                  | zh-CN  |
| C2   | alice | 南山     | answered            | 9    | 200  | –                  | zh-CN  |
| C3   | bob   | 福田     | answered            | 20   | 360  | 0 (announced 30 s) | zh-CN  |
| C4   | bob   | 福田     | answered            | 90   | 100  | 0 (announced 45 s), 30, 60 | zh-CN |
| C5   | –     | 南山     | abandoned           | 6    | –    | 0                  | zh-CN  |
| C6   | –     | 福田     | abandoned           | 45   | –    | 0, 30              | en     |
| C7   | –     | –        | call-back requested | 35   | –    | 0                  | zh-CN  |
| C8   | –     | –        | not queued (message)| –    | –    | –                  | zh-CN  |
| C9   | –     | –        | still waiting       | –    | –    | –                  | zh-CN  |

Outbound: CB1 a call-back leg (purpose ``callback``) answered by alice, talk 60 s, reassured once
(plain wording); two campaign dials, one answered. Outside the day: X0 at 23:59:50 local the day
before (answered, excluded), a case and an alert the day before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.models import Call, Caller, CallEvent, Case, QueueEntry, User
from scheduler.models import Attempt, Campaign, Contact

DAY = date(2026, 11, 20)
UTC_OFFSET = timedelta(hours=8)
IVR_S = 15


def local(hour: int, minute: int = 0, second: int = 0, day: date = DAY) -> datetime:
    """Local wall time on ``day`` → naive UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, second) - UTC_OFFSET


@dataclass
class Seeded:
    alice: User
    bob: User
    calls: dict[str, Call] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)


def _caller(s: Session, phone: str, district: str | None) -> Caller:
    caller = Caller(phone=phone, district=district)
    s.add(caller)
    s.flush()
    return caller


def _call(s: Session, name: str, start: datetime, *, purpose: str = "caller", outcome: str,
          wait: float | None = None, talk: float | None = None, agent: User | None = None,
          district: str | None = None, locale: str = "zh-CN", reassured: tuple[float, ...] = (),
          announced: float | None = None, option: str = "repair", n: int = 0) -> Call:
    caller = _caller(s, f"+8613800000{n:03d}", district)
    call = Call(call_sid=f"CA{name}", purpose=purpose, direction="inbound" if purpose == "caller" else "outbound-api",
                status="completed", caller=caller, started_at=start, locale=locale, menu_option=option,
                agent_id=agent.id if agent else None)
    s.add(call)
    s.flush()
    if outcome == "not_queued":
        call.ended_at = start + timedelta(seconds=60)
        return call
    joined = start + timedelta(seconds=IVR_S)
    status = {"answered": "bridged", "abandoned": "abandoned", "callback": "callback", "waiting": "waiting"}[outcome]
    entry = QueueEntry(call=call, queue_name="hotline", skill=option, district=district, locale=locale,
                       joined_at=joined, status=status, agent_id=agent.id if agent else None,
                       reassurances=len(reassured), first_announced_wait_s=announced,
                       last_announced_wait_s=announced)
    s.add(entry)
    for offset in reassured:
        s.add(CallEvent(call=call, kind="reassured", at=joined + timedelta(seconds=offset),
                        detail={"position": 1, "wait_minutes": 1, "queue_time_s": round(offset)}))
    if outcome == "waiting":
        call.status = "in-progress"
        return call
    left = joined + timedelta(seconds=wait or 0)
    entry.ended_at = left
    call.wait_s = wait
    if outcome == "answered":
        call.answered_at = left
        call.ended_at = left + timedelta(seconds=talk or 0)
        call.queue_result = "bridged"
    else:
        call.ended_at = left
        call.queue_result = "hangup" if outcome == "abandoned" else "leave"
        if outcome == "abandoned":
            s.add(CallEvent(call=call, kind="abandoned", at=left, detail={"waited_s": wait}))
    return call


def _case(s: Session, ref: str, kind: str, status: str, created: datetime, due: datetime, *,
          replied: datetime | None = None, district: str | None = None, **extra: Any) -> Case:
    case = Case(ref=ref, kind=kind, status=status, created_at=created, reply_due_at=due, replied_at=replied,
                district=district, description=f"{kind} 测试案件 {ref}", **extra)
    s.add(case)
    return case


def seed_day(s: Session, alice: User, bob: User) -> Seeded:
    out = Seeded(alice=alice, bob=bob)
    c = out.calls
    c["X0"] = _call(s, "X0", local(23, 59, 50, DAY - timedelta(days=1)), outcome="answered", wait=3, talk=50,
                    agent=alice, district="南山", n=90)
    c["C1"] = _call(s, "C1", local(0, 0, 30), outcome="answered", wait=5, talk=120, agent=alice, district="南山", n=1)
    c["C2"] = _call(s, "C2", local(9, 0), outcome="answered", wait=9, talk=200, agent=alice, district="南山", n=2,
                    option="inquiry")
    c["C3"] = _call(s, "C3", local(9, 10), outcome="answered", wait=20, talk=360, agent=bob, district="福田", n=3,
                    reassured=(0,), announced=30, option="complaint")
    c["C4"] = _call(s, "C4", local(10, 0), outcome="answered", wait=90, talk=100, agent=bob, district="福田", n=4,
                    reassured=(0, 30, 60), announced=45)
    c["C5"] = _call(s, "C5", local(11, 0), outcome="abandoned", wait=6, district="南山", n=5, reassured=(0,))
    c["C6"] = _call(s, "C6", local(11, 30), outcome="abandoned", wait=45, district="福田", n=6, reassured=(0, 30),
                    locale="en")
    c["C7"] = _call(s, "C7", local(12, 0), outcome="callback", wait=35, n=7, reassured=(0,), option="inquiry")
    c["C8"] = _call(s, "C8", local(13, 0), outcome="not_queued", n=8, option=None)  # type: ignore[arg-type]
    c["C9"] = _call(s, "C9", local(23, 50), outcome="waiting", n=9)
    c["CB1"] = _call(s, "CB1", local(14, 0), purpose="callback", outcome="answered", wait=4, talk=60, agent=alice,
                     n=10, reassured=(0,))
    _cases(s, out)
    _campaigns(s)
    _alerts(s, alice)
    s.flush()
    return out


def _cases(s: Session, out: Seeded) -> None:
    k = out.cases
    k["K0"] = _case(s, "K0", "repair", "resolved", local(9, 0, day=DAY - timedelta(days=1)),
                    local(9, 0), replied=local(8, 0), work_order_returned_at=local(10, 0),
                    outcome={"h16_callback": {"status": "failed"}})
    k["K1"] = _case(s, "K1", "repair", "open", local(9, 0), local(12, 0), district="南山")
    k["K2"] = _case(s, "K2", "repair", "dispatched", local(9, 30), local(9, 30, day=DAY + timedelta(days=1)),
                    escalated_at=local(20, 0), work_order_returned_at=local(16, 0),
                    outcome={"h16_callback": {"status": "completed"}})
    k["K3"] = _case(s, "K3", "complaint", "resolved", local(10, 0), local(18, 0), replied=local(19, 0),
                    district="福田", outcome={"h17_callbacks": [
                        {"result": "dissatisfied", "satisfied": False}, {"result": "satisfied", "satisfied": True}],
                        "h17_satisfied": True})
    k["K4"] = _case(s, "K4", "complaint", "open", local(11, 0), local(11, 0, day=DAY + timedelta(days=1)))
    k["K5"] = _case(s, "K5", "inquiry", "closed", local(12, 0), local(12, 0, day=DAY + timedelta(days=1)),
                    replied=local(13, 0))


#: The H19 worked example: 3 customers × 3 items (as in test_kpis.py).
SURVEY_ANSWERS = [
    {"survey_timeliness": "很满意", "survey_attitude": "满意", "survey_quality": "不满意"},
    {"survey_timeliness": "基本满意", "survey_attitude": "很不满意", "survey_quality": "满意"},
    {"survey_timeliness": "很满意", "survey_attitude": "很满意", "survey_quality": "很满意"},
]


def _campaigns(s: Session) -> None:
    survey = Campaign(name="半年满意度调查", purpose="survey", status="completed", locale="zh-CN")
    s.add(survey)
    s.flush()
    for n, answers in enumerate([*SURVEY_ANSWERS, {}]):  # the 4th customer did not answer
        s.add(Contact(campaign_id=survey.id, phone=f"+8613900000{n:03d}", status="completed" if answers else "failed",
                      outcome=dict(answers), updated_at=local(15, n), created_at=local(8, 0)))
    general = Campaign(name="一般回访", purpose="general_callback", status="completed", locale="zh-CN")
    s.add(general)
    s.flush()
    contact = Contact(campaign_id=general.id, phone="+8613900000999", status="completed", updated_at=local(15, 30),
                      created_at=local(8, 0))
    s.add(contact)
    s.flush()
    for n, answered in enumerate((local(15, 31), None)):
        s.add(Attempt(campaign_id=general.id, contact_id=contact.id, number=contact.phone, seq=n + 1,
                      idempotency_key=f"seed:{n}", status="completed" if answered else "no-answer",
                      dialed_at=local(15, 30 + n), answered_at=answered))


def _alerts(s: Session, alice: User) -> None:
    from core.alerts import Alert

    s.add(Alert(kind="forbidden_phrase", dedupe_key="forbidden:seed-1", agent_id=alice.id, text="我也没办法",
                created_at=local(9, 5)))
    s.add(Alert(kind="forbidden_phrase", dedupe_key="forbidden:seed-0", agent_id=alice.id, text="忙死了",
                created_at=local(22, 0, day=DAY - timedelta(days=1))))
    s.add(Alert(kind="long_call", dedupe_key="long_call:seed", agent_id=None, text="> 300s", created_at=local(9, 20)))
