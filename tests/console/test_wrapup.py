"""The call card's wrap-up: once the call is over the card offers the disposition codes for it,
the agent picks one (stored on the call), and the caller's next call shows it in the history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.models import Call
from tests.console.conftest import connect


def test_the_agent_picks_a_disposition_on_the_card_after_the_call(app, sim, desk, caller, db):
    alice = desk("alice")
    alice.post("/console/api/presence", {"state": "available"})
    sid = caller("+8613812345670")
    state = connect(sim, alice)
    codes = [d["code"] for d in state["call"]["dispositions"]]
    assert "case_opened" in codes and "do_not_call" not in codes
    assert state["call"]["disposition"] is None and state["call"]["disposition_required"] is False
    early = alice.post("/console/api/disposition", {"call_sid": sid, "code": "resolved"})
    assert early.status_code == 409
    sim.hangup(sid)
    sim.run_until_idle(120)
    bad = alice.post("/console/api/disposition", {"call_sid": sid, "code": "dance"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "code"
    saved = alice.post("/console/api/disposition", {"call_sid": sid, "code": "callback_promised", "note": "明早回电"})
    assert saved.status_code == 200, saved.get_json()
    card: dict[str, Any] = saved.get_json()["call"]
    assert card["ended"] and card["disposition"]["code"] == "callback_promised"
    assert card["disposition"]["label"]["en"] == "Call-back promised" and card["disposition"]["by"] == "alice"
    row = db.scalar(select(Call).where(Call.call_sid == sid))
    assert (row.disposition, row.disposition_note, row.disposition_by_id) == ("callback_promised", "明早回电",
                                                                                 alice.user_id)
    # the caller's next call: the history on the card shows the result of this one
    alice.post("/console/api/presence", {"state": "available"})
    again = caller("+8613812345670")
    state = connect(sim, alice)
    previous = state["call"]["caller"]["previous_calls"]
    assert previous[0]["disposition"] == {"zh-CN": "已承诺回电", "en": "Call-back promised"}
    sim.hangup(again)
    sim.run_until_idle(120)
