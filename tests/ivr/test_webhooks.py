"""Webhooks driven one request at a time (signed like Twilio): validation, odd input, the
wait loop for calls the app does not know, the after-hours message, the hold WAV."""

from __future__ import annotations

import io
import wave
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core.db import session_scope
from core.models import Case, CaseKind
from tests.twiml import first, parse, texts, verbs

IVR_PATHS = ["/ivr/voice", "/ivr/menu", "/ivr/queue/wait", "/ivr/queue/option", "/ivr/queue/done",
             "/ivr/queue/handoff", "/ivr/conference/status", "/ivr/conference/hold", "/ivr/agent/answer",
             "/ivr/agent/status", "/ivr/agent/dial-done", "/ivr/callback/confirm", "/ivr/callback/number",
             "/ivr/callback/answer", "/ivr/callback/status", "/ivr/voicemail", "/ivr/voicemail/transcript",
             "/ivr/no-agents", "/ivr/status"]


def test_wait_url_for_an_unknown_call_answers_with_a_reassurance(twilio_post):
    # External tests POST waitUrl parameters for calls the app never saw.
    response = twilio_post("/ivr/queue/wait", QueuePosition="3", QueueTime="40", AvgQueueTime="0",
                           CurrentQueueSize="5", QueueSid="QU" + "0" * 32)
    assert response.status_code == 200
    root = parse(response.data)
    said = " ".join(texts(root))
    assert "3" in said and "回电" in said  # position and the call-back offer (H9)
    gather = first(root, "Gather")
    assert "dtmf" in gather.get("input") and "speech" in gather.get("input")
    assert verbs(root)[-1] == "Pause"


def test_wait_url_total_time_fits_the_reassurance_interval(twilio_post):
    from core.config import load_settings
    from ivr import queue

    settings = load_settings({})
    root = parse(twilio_post("/ivr/queue/wait", QueuePosition="12", QueueTime="400", AvgQueueTime="300").data)
    said = texts(root)[0]
    pause = int(first(root, "Pause").get("length"))
    timeout = int(first(root, "Gather").get("timeout"))
    total = queue.speech_seconds(settings, said, "zh-CN") + timeout + pause
    assert 29 <= total <= 30


def test_wait_url_estimate_is_position_times_handle_time(twilio_post):
    root = parse(twilio_post("/ivr/queue/wait", QueuePosition="2", QueueTime="60", AvgQueueTime="300").data)
    assert "6分钟" in texts(root)[0]  # nobody signed in: 2 × 180 s / 1 → 6 minutes, whatever Twilio's average


@pytest.mark.parametrize("form", [
    {},
    {"QueuePosition": "-5", "QueueTime": "abc", "AvgQueueTime": "1e308"},
    {"QueuePosition": "9" * 400, "QueueTime": "NaN", "AvgQueueTime": "inf"},
    {"QueuePosition": "２", "CallSid": "CA💥" + "x" * 300},
])
def test_wait_url_survives_odd_parameters(twilio_post, form):
    response = twilio_post("/ivr/queue/wait", **form)
    assert response.status_code == 200
    parse(response.data)


@pytest.mark.parametrize("path", IVR_PATHS)
def test_every_ivr_path_answers_twiml_for_an_unknown_call(twilio_post, path):
    response = twilio_post(path + "?offer=999&cb=abc&entry=-1&tries=huge", Digits="💥" * 50,
                           SpeechResult="x" * 5000, QueueResult="bridged", CallStatus="completed",
                           RecordingUrl="javascript:alert(1)", AnsweredBy="human", DialCallStatus="completed")
    assert response.status_code == 200, response.data
    parse(response.data)


@pytest.mark.parametrize("path", ["/ivr/voice", "/ivr/queue/wait", "/ivr/agent/answer"])
def test_unsigned_requests_are_refused(client, path):
    response = client.post(path, data={"CallSid": "CA1"}, base_url="https://hotline.test")
    assert response.status_code == 403


def test_greeting_and_menu_twiml(twilio_post):
    root = parse(twilio_post("/ivr/voice").data)
    assert verbs(root) == ["Say", "Gather", "Redirect"]
    assert texts(root)[0] == "您好!SCC顺创客服部,请问有什么可以帮到你?"
    gather = first(root, "Gather")
    assert gather.get("input") == "dtmf speech" and gather.get("language") == "cmn-Hans-CN"
    assert "按1" in texts(gather)[0]


def test_unknown_digit_reprompts(twilio_post):
    root = parse(twilio_post("/ivr/menu?tries=0", Digits="7").data)
    assert texts(root)[0] == "对不起,没有听清您的选择。"
    assert "tries=1" in first(root, "Gather").get("action")


def test_wav_length_is_read_from_its_header(app, tmp_path):
    from ivr import queue

    path = tmp_path / "hold.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\0\0" * 8000 * 4)
    assert queue.wav_seconds(path) == 4.0
    assert queue.wav_seconds(tmp_path / "missing.wav") is None


class TestHoldAudio:
    @pytest.fixture
    def app_overrides(self, tmp_path):
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(b"\0\0" * 8000 * 5)
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / "hold.wav").write_bytes(buffer.getvalue())
        return {"queue": {"hold_audio_file": "hold.wav"}}

    def test_wait_loop_plays_the_served_wav(self, client, twilio_post):
        root = parse(twilio_post("/ivr/queue/wait", QueuePosition="1").data)
        play = first(root, "Play")
        assert play.text == "https://hotline.test/media/hold.wav"
        assert int(play.get("loop")) >= 2
        served = client.get("/media/hold.wav", base_url="https://hotline.test")
        assert served.status_code == 200 and served.data[:4] == b"RIFF"


class TestAfterHours:
    @pytest.fixture
    def app_overrides(self):
        today = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).date()
        return {"hours": {"open": "09:30-17:50", "timezone": "Asia/Shanghai",
                          "closed_dates": [today.isoformat()]}}

    def test_after_hours_greeting_offers_a_message(self, twilio_post):
        root = parse(twilio_post("/ivr/voice").data)
        assert "非服务时间" in texts(root)[0] or "非工作时间" in texts(root)[0]
        assert verbs(root)[-1] == "Record"

    def test_message_becomes_a_case_for_the_next_shift(self, app, twilio_post):
        sid = "CA" + "a" * 32
        twilio_post("/ivr/voice", CallSid=sid)
        root = parse(twilio_post("/ivr/voicemail?reason=after_hours", CallSid=sid,
                                 RecordingUrl="https://api.twilio.com/rec/RE1", RecordingDuration="12").data)
        assert verbs(root)[-1] == "Hangup"
        with session_scope(app) as s:
            case = s.scalar(select(Case).where(Case.kind == CaseKind.MESSAGE))
            assert case.source == "voicemail" and case.recording_url == "https://api.twilio.com/rec/RE1"
            assert case.contact_number == "+8613812345678"
            assert case.outcome["next_shift_local"]  # time noted for the next shift (H4)
            assert "Asia/Shanghai" in case.description

    def test_whole_after_hours_call(self, app, sim):
        from core.telephony.simulator import CallerScript

        sid = sim.place_inbound_call("+8613900001111", app.config["HOTLINE"].telephony.caller_id,
                                     caller=CallerScript(say=["楼下水管漏水,请明天派人来修"]))
        sim.run_until_idle()
        timeline = sim.timeline(sid)
        assert [e["verb"] for e in timeline].count("record") == 1
        with session_scope(app) as s:
            case = s.scalar(select(Case).where(Case.kind == CaseKind.MESSAGE))
            assert case is not None and case.contact_number == "+8613900001111"


def test_the_language_heard_is_recorded_on_the_call(app, twilio_post, make_user, client):
    """GET /api/calls shows the language the caller heard, default included (not null)."""
    _user, token = make_user("reader", role="lead")
    sid = "CA" + "7" * 32
    assert twilio_post("/ivr/voice", CallSid=sid).status_code == 200
    shown = client.get(f"/api/calls/{sid}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert shown["locale"] == "zh-CN"
