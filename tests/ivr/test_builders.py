"""Pure pieces of the caller's path: TwiML builders (parsed), prompts, hours, wait-loop timing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.config import load_settings
from ivr import bridge_twiml, hours, prompts, queue, twiml
from tests.twiml import first, parse, texts, verbs


@pytest.fixture
def settings():
    return load_settings({})


def test_menu_gathers_dtmf_and_mandarin_speech(settings):
    # H1 greeting then the menu inside <Gather input="dtmf speech"> (Twilio's documentation: cmn-Hans-CN).
    root = parse(str(twiml.menu(settings, "zh-CN", ["您好!"], "报修请按1", action="https://h/ivr/menu?tries=0",
                                no_input_url="https://h/ivr/menu?tries=0&silent=1", hints="报修, 投诉")))
    assert verbs(root) == ["Say", "Gather", "Redirect"]
    gather = first(root, "Gather")
    assert gather.get("input") == "dtmf speech"
    assert gather.get("language") == "cmn-Hans-CN"
    assert gather.get("numDigits") == "1"
    assert gather.get("action") == "https://h/ivr/menu?tries=0"
    say = first(gather, "Say")
    assert say.get("language") == "cmn-CN" and say.get("voice") == "Google.cmn-CN-Standard-A"
    assert texts(root) == ["您好!", "报修请按1"]


def test_english_menu_uses_english_voice(settings):
    root = parse(str(twiml.menu(settings, "en", [], "For repairs press 1", action="a", no_input_url="b")))
    assert first(root, "Gather").get("language") == "en-US"
    assert first(root, "Say").get("voice") == "Polly.Joanna"


def test_enqueue_names_wait_url_and_action(settings):
    root = parse(str(twiml.enqueue(settings, "zh-CN", ["请稍候"], "hotline", wait_url="https://h/w",
                                   action="https://h/d")))
    enqueue = first(root, "Enqueue")
    assert enqueue.text == "hotline"
    assert enqueue.get("waitUrl") == "https://h/w" and enqueue.get("waitUrlMethod") == "POST"
    assert enqueue.get("action") == "https://h/d"


def test_wait_loop_reassures_listens_then_pauses(settings):
    root = parse(str(twiml.wait_loop(settings, "zh-CN", "您排在第2位", action="https://h/o", input_timeout=3,
                                     pause_s=12, play_url="https://h/media/hold.wav", play_loops=2)))
    assert verbs(root) == ["Gather", "Play", "Pause"]
    assert first(root, "Gather").get("timeout") == "3"
    assert first(root, "Play").get("loop") == "2"
    assert first(root, "Pause").get("length") == "12"


def test_agent_leg_whispers_transcribes_and_joins_the_call_room(settings):
    root = parse(str(bridge_twiml.agent_conference(
        settings, "zh-CN", ["报修来电"], room="call-CA1", dial_action="https://h/dd", status_url="https://h/cs",
        transcription_url="https://h/ivr/transcription", transcription_language="cmn-Hans-CN")))
    assert verbs(root) == ["Say", "Start", "Dial"]
    transcription = first(root, "Transcription")
    assert transcription.get("statusCallbackUrl") == "https://h/ivr/transcription"
    assert transcription.get("track") == "both_tracks"
    room = first(root, "Conference")
    assert room.text == "call-CA1" and room.get("participantLabel") == "agent"
    assert (room.get("startConferenceOnEnter"), room.get("endConferenceOnExit")) == ("true", "false")
    assert room.get("statusCallback") == "https://h/cs"
    assert room.get("statusCallbackEvent") == "start end join leave mute hold modify"
    assert first(root, "Dial").get("action") == "https://h/dd"


def test_caller_hears_the_connect_line_then_joins_the_room_and_ends_it_on_leaving(settings):
    root = parse(str(bridge_twiml.caller_conference(settings, "zh-CN", ["正在为您接通"], room="call-CA1",
                                                    dial_action="https://h/done", status_url="https://h/cs")))
    assert verbs(root) == ["Say", "Dial"] and texts(root) == ["正在为您接通"]
    room = first(root, "Conference")
    assert room.text == "call-CA1" and room.get("participantLabel") == "caller"
    assert (room.get("startConferenceOnEnter"), room.get("endConferenceOnExit")) == ("false", "true")
    assert first(root, "Dial").get("action") == "https://h/done"


def test_voicemail_records_with_transcription_when_asked(settings):
    root = parse(str(twiml.voicemail(settings, "en", ["Leave a message"], action="https://h/v", max_length=120,
                                     transcribe_callback="https://h/t")))
    record = first(root, "Record")
    assert record.get("transcribe") == "true" and record.get("transcribeCallback") == "https://h/t"
    assert record.get("maxLength") == "120"


def test_greeting_comes_from_the_library_per_locale(settings):
    # H1: company and department from config, text from the library.
    assert prompts.text(settings, "greeting", "zh-CN") == "您好!SCC顺创客服部,请问有什么可以帮到你?"
    assert "SCC Shunchuang" in prompts.text(settings, "greeting", "en")


def test_greeting_follows_the_configured_company():
    other = load_settings({}, {"company": {"name": "国购", "department": "客服部"}})
    assert prompts.text(other, "greeting", "zh-CN").startswith("您好!国购客服部")


def test_reassurance_fills_position_and_wait(settings):
    text = prompts.text(settings, "reassurance", "zh-CN", position=3, wait_minutes=2)
    assert "3" in text and "2" in text and "{" not in text


def test_ivr_lines_exist_in_both_locales():
    """Every line the IVR says is a library prompt in both locales (no last-resort line)."""
    from scripts_library.service import get_prompt
    from tests.ivr.test_caller_wording import PROMPT_IDS

    for locale in ("zh-CN", "en"):
        for prompt_id in (*PROMPT_IDS, "outage_hold", "outage_agent", "manager_hold", "manager_unavailable"):
            assert get_prompt(prompts.LIBRARY_IDS.get(prompt_id, prompt_id), locale).strip(), (locale, prompt_id)


@pytest.mark.parametrize(("spoken", "locale", "option"), [
    ("我要报修", "zh-CN", "repair"),
    ("我家水管爆了", "zh-CN", "emergency"),  # H5: a burst pipe is urgent
    ("我要投诉物业", "zh-CN", "complaint"),
    ("交物业费", "zh-CN", "fees"),
    ("I want to make a complaint", "en", "complaint"),
    ("my heating is broken", "en", "repair"),
])
def test_spoken_menu_answers_match_options(settings, spoken, locale, option):
    found = prompts.match_menu(spoken, locale, settings.routing.speech_min_score)
    assert found is not None and found[0] == option


def test_fuzzy_menu_fallback_matches_near_words():
    # rapidfuzz on Chinese without spaces: one wrong character still matches.
    found = prompts.best_match("我家水管暴了", prompts.MENU_SYNONYMS["zh-CN"])
    assert found is not None and found[0] == "emergency" and 70 <= found[1] < 100


def test_nonsense_does_not_match(settings):
    assert prompts.match_menu("今天天气很好啊", "zh-CN", settings.routing.speech_min_score) is None


def test_callback_request_by_speech(settings):
    assert prompts.wants_callback("请给我回电", "zh-CN", 70)
    assert prompts.wants_callback("please call me back", "en", 70)
    assert not prompts.wants_callback("我再等等", "zh-CN", 70)


def test_hours_closed_dates_and_weekdays():
    s = load_settings({}, {"hours": {"open": "09:30-17:50", "timezone": "Asia/Shanghai",
                                     "closed_dates": ["2026-10-01"], "open_weekdays": [0, 1, 2, 3, 4]}})
    # 2026-11-24 is a Tuesday; 10:00 Shanghai = 02:00 UTC.
    assert hours.is_open(s, datetime(2026, 11, 24, 2, 0))
    assert not hours.is_open(s, datetime(2026, 11, 24, 1, 29))  # 09:29 local
    assert not hours.is_open(s, datetime(2026, 11, 24, 9, 50))  # 17:50 local: closed
    assert not hours.is_open(s, datetime(2026, 10, 1, 2, 0))  # holiday
    assert not hours.is_open(s, datetime(2026, 11, 28, 2, 0))  # Saturday
    opening = hours.next_opening(s, datetime(2026, 11, 27, 12, 0))  # Friday 20:00 local
    assert opening is not None and opening.date() == date(2026, 11, 30) and opening.hour == 9


def test_always_open():
    s = load_settings({}, {"hours": {"open": "00:00-24:00"}})
    assert hours.is_open(s, datetime(2026, 11, 24, 15, 59))


@pytest.mark.parametrize("text", ["感谢您的耐心等候,您现在排在第3位,预计还需等待约2分钟。如需回电请按1。",
                                  "Thank you for your patience. You are number 3 in the queue. Press 1 for a call back."])
def test_wait_plan_never_exceeds_the_reassurance_interval(settings, text):
    # Speech + listening + pause ≤ 30 s and within about a second of it.
    locale = "zh-CN" if text.startswith("感") else "en"
    plan = queue.wait_plan(settings, queue.speech_seconds(settings, text, locale), None)
    assert 29 <= plan.total_s <= 30
    assert plan.pause_s == int(plan.pause_s)


def test_wait_plan_counts_hold_audio(settings):
    plan = queue.wait_plan(settings, 8.0, 5.0)
    assert plan.play_loops == 3 and plan.total_s <= 30 and plan.total_s >= 29


def test_speech_estimate_matches_simulator_rates(settings):
    assert queue.speech_seconds(settings, "您好", "zh-CN") == 1.0  # at least 1 s
    assert queue.speech_seconds(settings, "您" * 40, "zh-CN") == 10.0
    assert queue.speech_seconds(settings, "a" * 140, "en") == 10.0


def test_expected_wait_is_position_times_handle_time_per_agent(settings):
    assert queue.expected_wait_s(settings, 3, free_agents=0, staffed_agents=2) == 270
    assert queue.expected_wait_s(settings, 3, free_agents=3, staffed_agents=3) == 0
    assert queue.announced_minutes(0) == 0 and queue.announced_minutes(1) == 1 and queue.announced_minutes(61) == 2


def test_twiml_answers_are_written_as_twilio_writes_them(settings):
    """``core.twiml.to_xml`` writes the characters ``str(VoiceResponse)`` does (ElementTree's
    escaping of text and attributes, sorted attributes, empty verbs), for every builder's shape."""
    from core.twiml import to_xml

    odd = 'A & B <"quoted"> line\nnext\ttab 您好 ☎'
    documents = [
        twiml.menu(settings, "zh-CN", [odd], odd, action="https://h/ivr/menu?tries=0&x=\"1\"",
                   no_input_url="https://h/ivr/menu?tries=0&silent=1", hints=odd),
        twiml.wait_loop(settings, "en", odd, action="https://h/ivr/queue/option", input_timeout=5, pause_s=7,
                        play_url="https://h/media/hold.wav", play_loops=2, hints=odd, listen=True),
        twiml.wait_loop(settings, "zh-CN", odd, action="a", input_timeout=0, pause_s=0, listen=False),
        twiml.enqueue(settings, "en", [odd], "hotline", wait_url="https://h/w?a=1&b=2", action="d"),
        twiml.voicemail(settings, "en", [odd, ""], action="v", max_length=120, transcribe_callback="t"),
        twiml.empty(), twiml.leave(), twiml.say_and_hangup(settings, "en", [odd]),
    ]
    for document in documents:
        assert to_xml(document) == str(document)
        assert parse(to_xml(document)) is not None
