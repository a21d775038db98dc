"""The IVR's entry points: prompts by id or rule, menu synonyms and spoken choices."""

import pytest
from flask import Flask

from scripts_library import service


def test_get_prompt_by_id_and_rule():
    assert service.get_prompt("greeting") == "您好!SCC顺创客服部,请问有什么可以帮到你?"  # H1 default
    assert service.get_prompt("H1", "en") == "Hello! SCC Shunchuang Customer Service, how can I help you?"
    assert service.get_prompt("manager_transfer").startswith("请您稍等并不要挂断电话")  # H11
    text = service.get_prompt("reassurance", "zh-CN", {"position": 3, "wait_minutes": 2})
    assert "第3位" in text and "2分钟" in text
    assert service.get_prompt("S8", "zh-CN").startswith("很抱歉,先生/小姐")
    with pytest.raises(KeyError):
        service.get_prompt("no_such_prompt")


def test_configured_company_fills_prompts():
    app = Flask(__name__)
    service.configure(None, {"zh-CN": {"company": "国购", "department": "客服部"}, "en": {"company": "Guogou"}},
                      app=app)
    with app.app_context():
        assert service.get_prompt("greeting_short") == "国购客服部,我能帮助您吗?"
        assert service.get_prompt("greeting", "en", {"department": "Front Desk"}) == \
            "Hello! Guogou Front Desk, how can I help you?"
    assert service.get_prompt("greeting_short") != "国购客服部,我能帮助您吗?"  # outside the app: the defaults


def test_configuring_needs_an_app():
    with pytest.raises(RuntimeError):
        service.configure(None, {"en": {"company": "Guogou"}})


@pytest.mark.parametrize("prompt_id", [
    "greeting", "apology_opener", "reassurance", "after_hours", "callback_offer", "closing", "manager_transfer",
    "menu", "outbound_identify", "outbound_result", "outbound_confirm", "outbound_close", "survey_timeliness",
    "survey_attitude", "survey_quality", "outage_notice", "fee_notice", "fee_reminder", "fee_deadline",
    "fee_visit", "fee_manager"])
def test_every_ivr_prompt_exists_in_both_locales(prompt_id):
    for locale in ("zh-CN", "en"):
        text = service.get_prompt(prompt_id, locale)
        assert text and "{" not in text


def test_menu_synonyms_and_speech_matching():
    menu = service.get_menu_synonyms("zh-CN")
    assert list(menu) == ["emergency", "repair", "complaint", "inquiry", "fees", "language"]
    assert "报修" in menu["repair"] and "漏水" in menu["repair"]
    assert service.match_menu_option("我家水管爆了", "zh-CN")[0] == "emergency"  # H5: urgent first on a tie
    assert service.match_menu_option("厨房漏水了,想报个修", "zh-CN")[0] == "repair"
    assert service.match_menu_option("我要交物業費", "zh-TW")[0] == "fees"
    assert service.match_menu_option("I'd like to pay my bill", "en")[0] == "fees"
    assert service.match_menu_option("今天天气不错", "zh-CN") is None


def test_survey_answers_prefer_the_most_specific():
    answers = {t: service.match_choice("survey_answer", t, "zh-CN")[0]
               for t in ("很满意", "满意", "基本满意", "不满意", "很不满意")}
    assert answers == {"很满意": "very_satisfied", "满意": "satisfied", "基本满意": "basically_satisfied",
                       "不满意": "dissatisfied", "很不满意": "very_dissatisfied"}
    assert service.match_choice("survey_answer", "not satisfied", "en")[0] == "dissatisfied"


def test_ensure_library_copies_the_default_once(tmp_path):
    target = service.ensure_library(tmp_path / "lib")
    assert (target / "zh-CN" / "s1_busy_line.yaml").is_file()
    (target / "en" / "extra.yaml").write_text("locale: en\n", encoding="utf-8")
    service.ensure_library(target)
    assert (target / "en" / "extra.yaml").read_text(encoding="utf-8") == "locale: en\n"
    assert service.check("我是新手", "zh-CN", library_dir=target)[0]["situation"] == "S3"
    # a library from an older version gains the shipped files it lacks; its own files stay
    (target / "zh-CN" / "prompts_ivr.yaml").unlink()
    (target / "zh-CN" / "s1_busy_line.yaml").write_text("locale: zh-CN\nsituation: S1\nentries: []\n",
                                                        encoding="utf-8")
    service.ensure_library(target)
    assert (target / "zh-CN" / "prompts_ivr.yaml").is_file()
    assert "entries: []" in (target / "zh-CN" / "s1_busy_line.yaml").read_text(encoding="utf-8")


def test_matcher_is_loaded_once():
    assert service.get_matcher() is service.get_matcher()
    assert service.reload() is not None
