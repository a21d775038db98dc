"""/ivr/ requests need a valid X-Twilio-Signature; otherwise 403 and no row."""

from sqlalchemy import func, select

from core.models import Call
from tests.conftest import PUBLIC_URL, sign, twilio_form


def count_calls(db):
    return db.scalar(select(func.count()).select_from(Call))


def test_signed_request_is_accepted_and_recorded(twilio_post, db):
    response = twilio_post("/ivr/voice", CallSid="CA" + "1" * 32)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    call = db.scalar(select(Call).where(Call.call_sid == "CA" + "1" * 32))
    assert call is not None and call.from_number == "+8613812345678"
    assert call.caller.phone == "+8613812345678"


def test_missing_signature_is_403_and_writes_nothing(client, app, db):
    response = client.post("/ivr/voice", data=twilio_form(app), base_url=PUBLIC_URL)
    assert response.status_code == 403
    assert "signature" in response.get_json()["error"].lower()
    assert count_calls(db) == 0


def test_forged_signature_is_403(client, app, db):
    form = twilio_form(app)
    response = client.post("/ivr/voice", data=form, base_url=PUBLIC_URL,
                           headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert response.status_code == 403
    assert count_calls(db) == 0


def test_signature_for_other_url_is_403(client, app, db):
    form = twilio_form(app)
    signature = sign(app, PUBLIC_URL + "/ivr/status", form)  # replayed to another URL
    response = client.post("/ivr/voice", data=form, base_url=PUBLIC_URL,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert count_calls(db) == 0


def test_tampered_parameter_is_403(client, app, db):
    form = twilio_form(app)
    signature = sign(app, PUBLIC_URL + "/ivr/voice", form)
    form["From"] = "+8613900000000"
    response = client.post("/ivr/voice", data=form, base_url=PUBLIC_URL,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert count_calls(db) == 0


def test_signature_with_other_token_is_403(client, app, db):
    from twilio.request_validator import RequestValidator

    form = twilio_form(app)
    signature = RequestValidator("f" * 32).compute_signature(PUBLIC_URL + "/ivr/voice", form)
    response = client.post("/ivr/voice", data=form, base_url=PUBLIC_URL,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_unknown_ivr_path_is_also_guarded(client):
    assert client.post("/ivr/not-a-route", data={}, base_url=PUBLIC_URL).status_code == 403


def test_status_callback_updates_the_call(twilio_post, db):
    sid = "CA" + "2" * 32
    twilio_post("/ivr/voice", CallSid=sid)
    response = twilio_post("/ivr/status", CallSid=sid, CallStatus="completed", CallDuration="42")
    assert response.status_code == 200
    call = db.scalar(select(Call).where(Call.call_sid == sid))
    assert call.status == "completed"
    assert call.duration_s == 42
    assert call.ended_at is not None
    assert [e.kind for e in call.events][-1] == "status"


def test_status_callback_with_odd_values_changes_nothing(twilio_post, db):
    sid = "CA" + "3" * 32
    twilio_post("/ivr/voice", CallSid=sid)
    assert twilio_post("/ivr/status", CallSid=sid, CallStatus="exploded").status_code == 200
    assert twilio_post("/ivr/status", CallSid="CAunknown", CallStatus="completed").status_code == 200
    assert db.scalar(select(Call).where(Call.call_sid == sid)).status == "ringing"
