"""Every ``/ivr/`` route (read from the app's ``url_map``, so new routes are covered
automatically) gets hypothesis-generated, correctly signed Twilio forms — missing, odd, huge,
Unicode fields and query arguments — and must never answer 5xx, always a parseable TwiML or
JSON body. Forged, missing and replayed-to-another-URL signatures get 403 and write nothing."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from core.db import Base
from tests.conftest import PUBLIC_URL, sign, twilio_form

ODD = ["", " ", "anonymous", "unknown", "client:alice", "+8613812345678", "+1", "0", "-1", "1e309", "NaN",
       "inf", "99999999999999999999999", "0x1F", " 7 ", "１２３", "٣", "\u202e\u0000", "\x00", "<Say>x</Say>",
       "]]>", "'; DROP TABLE calls;--", "%00", "https://evil.example/x.wav", "http://", "javascript:alert(1)",
       "completed", "in-progress", "bridged", "hangup", "queue-full", "machine_start", "true", "1#", "*",
       "我家水管暴了", "call me back", "回电", "😀" * 50]
FIELDS = ["CallSid", "AccountSid", "From", "To", "CallStatus", "Direction", "ApiVersion", "Digits",
          "SpeechResult", "Confidence", "QueuePosition", "QueueTime", "AvgQueueTime", "CurrentQueueSize",
          "QueueResult", "QueueSid", "DialCallStatus", "DialCallSid", "DialCallDuration", "DialBridged",
          "RecordingUrl", "RecordingDuration", "RecordingSid", "TranscriptionText", "TranscriptionStatus",
          "TranscriptionEvent", "TranscriptionData", "Track", "Final", "SequenceId", "AnsweredBy",
          "CallDuration", "ParentCallSid", "ForwardedFrom", "CallerName", "DequeingCallSid", "Caller", "Called"]
ARGS = ["offer", "cb", "entry", "tries", "silent", "reason", "option", "attempt", "contact", "campaign", "kind",
        "lang", "step", "id"]

values = st.one_of(
    st.sampled_from(ODD),
    st.text(max_size=30),
    st.text(min_size=500, max_size=4000),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
forms = st.dictionaries(st.sampled_from(FIELDS), values, max_size=12)
extra = st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=20), max_size=3)
args = st.dictionaries(st.sampled_from(ARGS), values, max_size=3)


def ivr_rules(app: Any) -> list[str]:
    rules = sorted({r.rule for r in app.url_map.iter_rules()
                    if r.rule.startswith("/ivr/") and "POST" in (r.methods or ())})
    assert "/ivr/voice" in rules and "/ivr/status" in rules
    return rules


def concrete(rule: str) -> str:
    """A path for a rule; converters (<int:x>, <y>) get a plausible value."""
    import re

    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "x1", rule)


def assert_safe(response: Any, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code} {response.data[:300]!r}"
    body = response.get_data()
    if not body.strip():
        return
    if response.mimetype in ("text/xml", "application/xml"):
        root = ET.fromstring(body)
        assert root.tag == "Response", where
    elif response.mimetype == "application/json":
        json.loads(body)
    else:
        raise AssertionError(f"{where}: unexpected content type {response.mimetype}")


def row_counts(app: Any) -> dict[str, int]:
    with app.extensions["db_sessionmaker"]() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


@pytest.fixture
def known_sid(app: Any, twilio_post: Any) -> str:
    sid = "CA" + uuid.uuid4().hex
    assert twilio_post("/ivr/voice", CallSid=sid).status_code == 200
    return sid


def test_fuzzed_signed_forms_never_5xx(app, client, known_sid):
    rules = ivr_rules(app)
    token = app.config["TWILIO_AUTH_TOKEN"]
    validator = RequestValidator(token)

    @settings(max_examples=8, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(form=forms, more=extra, query=args, use_known=st.booleans())
    def check(rule: str, form: dict[str, str], more: dict[str, str], query: dict[str, str], use_known: bool):
        data = {**more, **form}
        if use_known:
            data["CallSid"] = known_sid
        path = concrete(rule)
        if query:
            path += "?" + urlencode(query)
        signature = validator.compute_signature(PUBLIC_URL + path, data)
        response = client.post(path, data=data, headers={"X-Twilio-Signature": signature}, base_url=PUBLIC_URL)
        assert_safe(response, f"POST {path} {data!r}"[:2000])

    for rule in rules:
        check(rule)


def test_fuzzed_status_callbacks_of_a_real_call(app, client, sim):
    """Odd status-callback values for a call the simulator really placed."""
    rules = [r for r in ivr_rules(app) if r.endswith("status")]
    token = app.config["TWILIO_AUTH_TOKEN"]

    @settings(max_examples=15, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(status=values, duration=values, rule=st.sampled_from(rules))
    def check(status: str, duration: str, rule: str) -> None:
        data = twilio_form(app, CallStatus=status, CallDuration=duration)
        signature = RequestValidator(token).compute_signature(PUBLIC_URL + rule, data)
        response = client.post(rule, data=data, headers={"X-Twilio-Signature": signature}, base_url=PUBLIC_URL)
        assert_safe(response, f"{rule} {status!r} {duration!r}")

    check()


# -- signatures: 403 and nothing written ---------------------------------------------------------

def forged_requests(app: Any, path: str) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    form = twilio_form(app, From="+8613812345678")
    good = sign(app, PUBLIC_URL + path, form)
    other_path = "/ivr/menu" if path != "/ivr/menu" else "/ivr/voice"
    tampered = {**form, "From": "+8613999999999"}
    return [
        ("missing", form, {}),
        ("empty", form, {"X-Twilio-Signature": ""}),
        ("garbage", form, {"X-Twilio-Signature": "not-base64!!"}),
        ("other token", form, {"X-Twilio-Signature": RequestValidator("0" * 32).compute_signature(
            PUBLIC_URL + path, form)}),
        ("replayed to another URL", form, {"X-Twilio-Signature": sign(app, PUBLIC_URL + other_path, form)}),
        ("other scheme", form, {"X-Twilio-Signature": sign(app, PUBLIC_URL.replace("https", "http") + path, form)}),
        ("tampered form", tampered, {"X-Twilio-Signature": good}),
        ("query added", form, {"X-Twilio-Signature": good, "_query": "offer=1"}),
    ]


def test_bad_signatures_get_403_and_write_nothing(app, client):
    before = row_counts(app)
    for rule in ivr_rules(app):
        path = concrete(rule)
        for label, form, headers in forged_requests(app, path):
            headers = dict(headers)
            query = headers.pop("_query", None)
            response = client.post(path + (f"?{query}" if query else ""), data=form, headers=headers,
                                   base_url=PUBLIC_URL)
            assert response.status_code == 403, f"{rule} with {label} signature: {response.status_code}"
    assert row_counts(app) == before
    spool = app.extensions["ops_spool"]
    assert spool.pending_count() == 0
