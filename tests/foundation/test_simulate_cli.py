"""`flask simulate call` plays a caller through the real webhooks as JSON lines."""

import json

from sqlalchemy import select

from core.models import Call, CallbackRequest, Presence, User


def run(runner, *args):
    result = runner.invoke(args=["simulate", "call", *args])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert all({"t", "verb"} <= set(line) for line in lines)
    times = [line["t"] for line in lines]
    assert times == sorted(times), "virtual time only moves forward"
    return lines


def test_keypad_caller_is_bridged_to_a_simulated_agent(runner, db):
    lines = run(runner, "--from", "+8613812345678", "--press", "1", "--agents", "1", "--keep")
    verbs = [line["verb"] for line in lines]
    assert verbs[-1] == "outcome"
    outcome = lines[-1]
    assert outcome["bridged"] is True and outcome["bridged_with"] == "client:sim-agent-1"
    assert outcome["queue_result"] == "bridged" and outcome["menu_option"] == "repair"
    says = [line["text"] for line in lines if line["verb"] == "say"]
    assert "SCC顺创" in says[0]  # H1
    assert verbs.index("enqueue") < verbs.index("bridged") < verbs.index("outcome")
    call = db.scalar(select(Call).where(Call.call_sid == outcome["call_sid"]))
    assert call.status == "completed" and call.agent.name == "sim-agent-1"
    # simulated agents sign off afterwards, so real routing never rings them
    assert db.scalar(select(User).where(User.name == "sim-agent-1")).presence == Presence.OFFLINE


def test_spoken_menu_choice(runner):
    lines = run(runner, "--from", "+8613812345671", "--say", "我家水管漏水了要报修", "--agents", "1")
    assert lines[-1]["menu_option"] == "repair" and lines[-1]["bridged"] is True
    gather = next(line for line in lines if line["verb"] == "gather")
    assert gather["language"] == "cmn-Hans-CN" and gather["input"] == "dtmf speech"


def test_callback_accepted_without_agents(runner, db):
    lines = run(runner, "--from", "+8613812345670", "--press", "1,1", "--max-time", "300", "--keep")
    outcome = lines[-1]
    assert outcome["bridged"] is False and outcome["callback"] == "pending"
    request = db.scalar(select(CallbackRequest).where(CallbackRequest.phone == "+8613812345670"))
    assert request is not None and request.status == "pending"


def test_caller_hanging_up_early(runner):
    lines = run(runner, "--from", "+8613812345672", "--duration", "3")
    assert lines[-1]["status"] == "completed" and lines[-1]["t"] <= 4
    assert "hangup" in [line["verb"] for line in lines]


def test_bad_options_are_clear(runner):
    result = runner.invoke(args=["simulate", "call", "--from", "+8613812345678", "--agents", "-1"])
    assert result.exit_code != 0 and "--agents" in result.output
    missing = runner.invoke(args=["simulate", "call"])
    assert missing.exit_code != 0 and "--from" in missing.output
