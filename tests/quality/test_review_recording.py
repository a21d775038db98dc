"""The spot-check page plays the call's recording beside the transcript (through the console's
audited proxy, never Twilio's URL), and only to those who may hear it."""

from __future__ import annotations

import pytest

from tests.quality.test_call_review import play_call, scored


@pytest.fixture
def app_overrides():
    return {"recording": {"enabled": True}}


def test_the_review_page_plays_the_recording_aligned_with_the_transcript(app, sim, desk, caller, db):
    _alice, call_id, _ref = play_call(app, sim, desk, caller)
    sim.advance(5)  # the recording's status callback arrives after the call ended
    review = scored(app, sim, db, call_id)
    lead = desk("lin", role="lead")
    page = lead.get(f"/console/quality/reviews/{review.id}").get_data(as_text=True)
    assert "data-recordings" in page and "data-seekable" in page and "review.js" in page
    src = page.split('<audio controls preload="none" src="', 1)[1].split('"', 1)[0]
    assert src.startswith("/console/recordings/RE") and src.endswith(".wav")
    assert "api.twilio.com" not in page and "/simulator/" not in page
    offset = float(page.split('data-offset="', 1)[1].split('"', 1)[0])
    assert abs(offset) < 10  # the recording starts as the caller is put through to the agent
    played = lead.get(src)
    assert played.status_code == 200 and played.headers["Content-Type"].startswith("audio/")
    other = desk("bob")
    assert other.get(src).status_code == 403
