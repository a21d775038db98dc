"""Fixtures for the planning tests: history written as calls, a signed-in team lead."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from tests.console.helpers import login


def add_calls(db: Any, settings: Any, day: date, interval: int, count: int, *, talk_s: float = 120.0,
              wait_s: float = 5.0, abandoned: int = 0, menu_option: str | None = None) -> None:
    """``count`` inbound calls spread over one interval of a local day (``abandoned`` of them hung up)."""
    from core.models import Call, QueueEntry, QueueStatus
    from reports.planning.days import day_start, interval_s

    width = interval_s(settings)
    start = day_start(settings, day) + timedelta(seconds=interval * width)
    for i in range(count):
        began = start + timedelta(seconds=(i + 0.5) * width / max(count, 1))
        joined = began + timedelta(seconds=20)
        call = Call(call_sid="CA" + uuid.uuid4().hex, purpose="caller", status="completed", started_at=began,
                    from_number=f"+86139{i:08d}", menu_option=menu_option)
        db.add(call)
        db.flush()
        if i < abandoned:
            call.ended_at = joined + timedelta(seconds=wait_s)
            db.add(QueueEntry(call_id=call.id, queue_name="hotline", joined_at=joined, ended_at=call.ended_at,
                              status=QueueStatus.ABANDONED))
        else:
            call.answered_at = joined + timedelta(seconds=wait_s)
            call.wait_s = wait_s
            call.ended_at = call.answered_at + timedelta(seconds=talk_s)
            db.add(QueueEntry(call_id=call.id, queue_name="hotline", joined_at=joined, ended_at=call.answered_at,
                              status=QueueStatus.BRIDGED))
    db.commit()


@pytest.fixture
def lead_client(client: Any, make_user: Callable[..., Any]) -> tuple[Any, str]:
    make_user("lin", role="lead", display_name="林班长", agent_code="L01")
    return client, login(client, "lin")


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)
