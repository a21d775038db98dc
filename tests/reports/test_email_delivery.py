"""Scheduled e-mail of the daily summary and the monthly report: a real local SMTP server
(aiosmtpd) receives them from the scheduler's tick with the summary figures; each goes out
once; a server that is down is recorded and retried."""

from __future__ import annotations

import email
import socket
from email import policy
from typing import Any

import pytest
from sqlalchemy import select

from reports.mailer import deliver_due
from reports.models import ReportDelivery
from tests.reports.seed import DAY, local


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """What the SMTP server received: parsed messages and their envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.envelopes: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


PORT = free_port()


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"email": {"enabled": True, "smtp_host": "127.0.0.1", "smtp_port": PORT, "sender": "hotline@scc.example",
                      "recipients": ["lead@scc.example", "manager@scc.example"], "daily_at": "08:00",
                      "monthly_day": 1}}


@pytest.fixture
def smtp() -> Any:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=PORT)
    controller.start()
    yield inbox
    controller.stop()


def text_of(message: Any) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def attachments(message: Any) -> dict[str, str]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def test_the_daily_summary_arrives_once_with_its_figures(app, seeded, smtp):
    assert deliver_due(app, local(7, 59, day=DAY.replace(day=21))) == 0  # before email.daily_at
    assert smtp.messages == []
    assert deliver_due(app, local(8, 0, day=DAY.replace(day=21))) == 1
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["Subject"] == "SCC顺创客服部 每日汇总 2026-11-20"
    assert sorted(smtp.envelopes[0]) == ["lead@scc.example", "manager@scc.example"]
    body = text_of(message)
    # The seeded day (tests/reports/seed.py): 9 calls in, 4 answered, SL 33.3 %, ASA 31 s.
    assert "来电: 9" in body and "接听: 4" in body and "服务水平: 33.3% (目标 80.0%)" in body and "31s" in body
    assert "Alice 王" in body and "Bob 李" in body
    files = attachments(message)
    assert "hotline-calls-2026-11-20.csv" in files and "hotline-agents-2026-11-20.csv" in files
    assert "service_level" in files["hotline-calls-2026-11-20.csv"]
    # Later ticks the same day send nothing more.
    assert deliver_due(app, local(9, 0, day=DAY.replace(day=21))) == 0
    assert len(smtp.messages) == 1


def test_the_monthly_report_goes_out_on_its_day(app, seeded, smtp):
    assert deliver_due(app, local(8, 30, day=DAY.replace(month=12, day=1))) == 2  # the 30th's summary and November
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert subjects == ["SCC顺创客服部 客服月报 2026-11", "SCC顺创客服部 每日汇总 2026-11-30"]
    monthly = next(m for m in smtp.messages if "月报" in m["Subject"])
    body = text_of(monthly)
    assert "来电: 10" in body and "服务水平: 42.9%" in body  # the seeded day and X0 on the 19th: SL 3/7
    assert "服务水平: 42.9% (上期 —)" in body  # October had no calls
    assert "hotline-complaints-2026-11.csv" in attachments(monthly)


def test_a_server_that_is_down_is_recorded_and_retried(app, db, seeded):
    now = local(8, 5, day=DAY.replace(day=21))
    assert deliver_due(app, now) == 0  # nothing listens on the port yet
    row = db.scalar(select(ReportDelivery).where(ReportDelivery.kind == "daily"))
    assert (row.status, row.attempts) == ("failed", 1) and row.error
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=PORT)
    controller.start()
    try:
        assert deliver_due(app, now) == 1
    finally:
        controller.stop()
    db.expire_all()
    row = db.scalar(select(ReportDelivery).where(ReportDelivery.kind == "daily"))
    assert (row.status, row.attempts, row.error) == ("sent", 2, None)
    assert len(inbox.messages) == 1


def test_the_scheduler_tick_sends_what_is_due(app, seeded, smtp):
    from core import clock
    from scheduler.engine import tick

    clock.follow(lambda: 0.0, start=local(8, 1, day=DAY.replace(day=21)), app=app)
    with app.app_context():  # as the scheduler's job runs it: on the app's clock
        report = tick(app)
    assert report.hooks["deliver_due"] == 1 and "每日汇总 2026-11-20" in smtp.messages[0]["Subject"]
