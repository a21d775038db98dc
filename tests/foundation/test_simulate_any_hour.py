"""`flask simulate call`: any hour with --at, a throw-away database by default, checked input."""

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select

from core.models import Call, CallbackRequest, Caller, User


@pytest.fixture
def app_overrides():
    return {"hours": {"open": "09:30-17:50", "timezone": "Asia/Shanghai"}}


def run(runner, *args):
    result = runner.invoke(args=["simulate", "call", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def test_at_inside_hours_starts_the_virtual_clock_there(runner, db):
    lines = run(runner, "--from", "+8613812345678", "--press", "1", "--agents", "1",
                "--at", "2026-12-01 10:00", "--keep")
    assert lines[-1]["verb"] == "outcome" and lines[-1]["bridged"] is True
    call = db.scalar(select(Call).where(Call.call_sid == lines[-1]["call_sid"]))
    assert call.started_at.replace(second=0, microsecond=0) == datetime(2026, 12, 1, 2, 0)  # 10:00 Shanghai


def test_after_hours_call_says_which_setting_to_change(runner):
    lines = run(runner, "--from", "+8613812345678", "--press", "1", "--agents", "1",
                "--at", "2026-12-01 20:00")
    notes = [line for line in lines if line["verb"] == "note"]
    assert len(notes) == 1
    assert "HOTLINE_OPEN_HOURS" in notes[0]["text"] and "hours.open" in notes[0]["text"]
    assert "2026-12-02 09:30" in notes[0]["text"]  # when it next opens, local time
    assert lines[-1]["verb"] == "outcome" and lines[-1]["bridged"] is False


def test_inside_hours_there_is_no_note(runner):
    lines = run(runner, "--from", "+8613812345678", "--press", "1", "--agents", "1",
                "--at", "2026-12-01 10:00")
    assert not [line for line in lines if line["verb"] == "note"]


def test_default_run_leaves_no_trace_in_the_app_database(runner, db, sim):
    lines = run(runner, "--from", "+8613812345670", "--press", "1,1", "--at", "2026-12-01 10:00")
    assert lines[-1]["callback"] == "pending"
    assert db.scalar(select(func.count()).select_from(Call)) == 0
    assert db.scalar(select(func.count()).select_from(Caller)) == 0
    assert db.scalar(select(func.count()).select_from(CallbackRequest)) == 0
    assert db.scalar(select(func.count()).select_from(User)) == 0  # no sim-agents left behind
    assert sim.calls() == []  # the app's own simulator never saw the call


def set_presence(db, name, state):
    db.scalar(select(User).where(User.name == name)).presence = state
    db.commit()


def test_simulations_do_not_carry_into_the_next_one(runner, make_user, db):
    make_user("alice")
    set_presence(db, "alice", "away")  # a console user who once signed in
    english = run(runner, "--from", "+8613812345678", "--press", "9,1", "--agents", "1",
                  "--at", "2026-12-01 10:00")
    assert english[-1]["locale"] == "en"
    again = run(runner, "--from", "+8613812345678", "--press", "1", "--agents", "1",
                "--at", "2026-12-01 10:00")
    assert again[-1]["locale"] == "zh-CN"
    run(runner, "--from", "+8613812345678", "--press", "1,1", "--at", "2026-12-01 10:00")
    after = run(runner, "--from", "+8613812345678", "--press", "1", "--agents", "1",
                "--at", "2026-12-01 10:00")
    assert after[-1]["legs"] == 1 and after[-1]["bridged_with"] == "client:sim-agent-1"
    assert "callback" not in after[-1]


def test_users_are_copied_into_the_throw_away_database(runner, make_user, db):
    make_user("alice", endpoint="client:alice")
    set_presence(db, "alice", "available")
    lines = run(runner, "--from", "+8613812345678", "--press", "1", "--agents", "1",
                "--at", "2026-12-01 10:00")
    # alice is signed off in the copy: the simulated agent answers, never the real console user
    assert lines[-1]["bridged_with"] == "client:sim-agent-1"


def test_keep_writes_into_the_app_database(runner, db):
    lines = run(runner, "--from", "+8613812345678", "--press", "1", "--agents", "1",
                "--at", "2026-12-01 10:00", "--keep")
    assert db.scalar(select(Call).where(Call.call_sid == lines[-1]["call_sid"])) is not None


@pytest.mark.parametrize(("args", "needle"), [
    (["--from", "12345"], "--from"),
    (["--from", "not a number"], "--from"),
    (["--from", "+8613812345678", "--press", "x"], "--press"),
    (["--from", "+8613812345678", "--press", "1,,#a"], "--press"),
    (["--from", "+8613812345678", "--at", "tomorrow"], "--at"),
    (["--from", "+8613812345678", "--to", "hotline"], "--to"),
])
def test_bad_input_is_one_line_and_exit_2(runner, db, args, needle):
    result = runner.invoke(args=["simulate", "call", *args])
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert len(result.output.strip().splitlines()) == 1  # one line, no usage screen
    assert "Traceback" not in result.output
    assert db.scalar(select(func.count()).select_from(Call)) == 0
