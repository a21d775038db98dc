"""The scorecard's items on crafted transcripts, in Chinese and English: each item's result and
its evidence (the sentence and its time, or the figures it was judged on)."""

from __future__ import annotations

import pytest

from reports.quality import scorecard as sc
from reports.quality.phrases import build
from scripts_library import service

LIMITS = sc.Limits()
NAMES = {"zh-CN": {"company": "SCC顺创", "department": "客服部"},
         "en": {"company": "SCC Shunchuang", "department": "Customer Service"}}


def book(locale: str):
    return build(locale, NAMES[locale], LIMITS.share)


def agent_lines(locale: str, *texts: str, step: float = 5.0) -> tuple[sc.Line, ...]:
    """Agent sentences every ``step`` seconds, with the library's flags as the live check stores them."""
    return sc.lines_of([("agent", t, i * step, service.check(t, locale)) for i, t in enumerate(texts)])


def item(items: list[sc.Item], code: str) -> sc.Item:
    return next(i for i in items if i.code == code)


GOOD_ZH = ("非常抱歉,今天咨询的客户比较多,非常感谢您的耐心等候。您好!SCC顺创客服部,请问有什么可以帮到你?",
           "请问您贵姓?请问王先生目前在哪个城区?", "我跟您确认一下,您反映的是厨房水管漏水,对吗?", "谢谢,再见!")
GOOD_EN = ("I'm very sorry, we have a lot of callers today. Hello! SCC Shunchuang Customer Service, how can I help you?",
           "May I have your surname, please? And which district are you in, Mr Wang?",
           "Let me confirm: you are reporting a leaking pipe in the kitchen, is that right?", "Thank you, goodbye!")


@pytest.mark.parametrize(("locale", "texts"), [("zh-CN", GOOD_ZH), ("en", GOOD_EN)])
def test_a_call_by_the_book_passes_every_item(locale, texts):
    facts = sc.CallFacts(locale=locale, lines=agent_lines(locale, *texts), wait_s=14, talk_s=150,
                         menu_option="repair", cases=(("C20261201-0001", "repair"),))
    items = sc.score(facts, book(locale), LIMITS)
    assert [(i.code, i.result) for i in items] == [(c, sc.PASS) for c in sc.ITEMS]
    h1 = item(items, "H1")
    assert "客服部" in h1.evidence[0]["text"] or "Customer Service" in h1.evidence[0]["text"]
    h2 = item(items, "H2")
    assert h2.evidence[0] == {"wait_s": 14, "rings": 4.7, "threshold_s": 9}
    assert h2.evidence[1]["at_s"] == 0 and h2.note["en"] == "waited 14 s = 4.7 rings, apologised at 0:00"
    h6 = item(items, "H6")
    assert {e["at_s"] for e in h6.evidence} == {5.0} and len(h6.evidence) == 2
    assert item(items, "H8").evidence[0]["at_s"] == 10.0
    assert item(items, "H10").evidence[0]["at_s"] == 15.0
    assert item(items, "H12").evidence == ({"case": "C20261201-0001", "kind": "repair"},)


def test_greeting_without_the_department_fails_with_the_sentence():
    facts = sc.CallFacts(locale="zh-CN", lines=agent_lines("zh-CN", "您好,SCC顺创,请问有什么事?"))
    h1 = sc.greeting(facts, book("zh-CN"), LIMITS)
    assert h1.result == sc.FAIL and "客服部" in h1.note["zh-CN"]
    assert h1.evidence[0]["text"] == "您好,SCC顺创,请问有什么事?"


def test_greeting_late_in_the_call_does_not_count():
    lines = agent_lines("en", "Hello.", "Yes.", "Right.", "SCC Shunchuang Customer Service here.")
    assert sc.greeting(sc.CallFacts("en", lines), book("en"), LIMITS).result == sc.FAIL


def test_outbound_calls_are_not_judged_on_the_inbound_greeting():
    facts = sc.CallFacts(locale="zh-CN", lines=agent_lines("zh-CN", "您好,我是物业的回访专员。"), outbound=True)
    assert sc.greeting(facts, book("zh-CN"), LIMITS).result == sc.NA


def test_long_wait_without_apology_fails_with_the_rings():
    facts = sc.CallFacts(locale="zh-CN", lines=agent_lines("zh-CN", "您好!SCC顺创客服部,请问有什么可以帮到你?"),
                         wait_s=14)
    h2 = sc.apology(facts, book("zh-CN"), LIMITS)
    assert h2.result == sc.FAIL
    assert h2.note["en"] == "waited 14 s = 4.7 rings, no apology in the agent's first 3 sentences"
    assert h2.evidence[1]["text"] == "您好!"


def test_greeting_wording_is_not_taken_for_an_apology():
    """«请问有什么可以帮到您» closes the apology opener too, but it is the greeting's wording."""
    facts = sc.CallFacts(locale="zh-CN", lines=agent_lines("zh-CN", "请问有什么可以帮到您?"), wait_s=30)
    assert sc.apology(facts, book("zh-CN"), LIMITS).result == sc.FAIL


@pytest.mark.parametrize("wait", [None, 9, 3])
def test_short_or_unknown_wait_needs_no_apology(wait):
    facts = sc.CallFacts(locale="en", lines=agent_lines("en", "Hello!"), wait_s=wait)
    assert sc.apology(facts, book("en"), LIMITS).result == sc.NA


def test_surname_without_district_fails_naming_what_is_missing():
    facts = sc.CallFacts(locale="zh-CN", lines=agent_lines("zh-CN", "请问您贵姓?"))
    h6 = sc.surname_district(facts, book("zh-CN"), LIMITS)
    assert h6.result == sc.FAIL and "目前在哪个城区" in h6.note["zh-CN"]
    assert h6.evidence == ({"text": "请问您贵姓?", "at_s": 0.0, "speaker": "agent", "phrase": "请问您贵姓"},)


def test_no_confirmation_fails_key_points():
    facts = sc.CallFacts(locale="en", lines=agent_lines("en", "OK, a leaking pipe.", "We'll send someone."))
    assert sc.key_points(facts, book("en"), LIMITS).result == sc.FAIL


@pytest.mark.parametrize(("talk", "result", "words"), [
    (120, sc.PASS, "within the 3:00 target"), (200, sc.PASS, "over the 3:00 target, under the 5:00 maximum"),
    (301, sc.FAIL, "over the 5:00 maximum"), (None, sc.NA, "Not answered")])
def test_length_against_target_and_maximum(talk, result, words):
    h7 = sc.length(sc.CallFacts(locale="en", lines=(), talk_s=talk), book("en"), LIMITS)
    assert h7.result == result and words in h7.note["en"]


@pytest.mark.parametrize(("locale", "text", "situation"), [
    ("zh-CN", "我也没办法,刚才线路忙啊!我都忙死了,有什么事情快说。", "S1"),
    ("en", "It's not my problem, call another number.", None)])
def test_forbidden_phrasing_fails_with_sentence_time_and_alternative(locale, text, situation):
    flags = service.check(text, locale)
    situation = situation or flags[0]["situation"]
    facts = sc.CallFacts(locale=locale, lines=agent_lines(locale, "Hello.", text, step=7))
    s_item = sc.forbidden(facts, book(locale), LIMITS)
    assert s_item.result == sc.FAIL
    first = s_item.evidence[0]
    assert first["situation"] == situation and first["at_s"] == 7.0 and first["alternative"]
    assert first["matched"] and first["matched"] in text


def test_caller_words_are_never_flagged_against_the_agent():
    lines = sc.lines_of([("caller", "我也没办法,我都忙死了", 1.0, service.check("我也没办法,我都忙死了", "zh-CN")),
                         ("agent", "好的,我来帮您看看。", 3.0, [])])
    assert sc.forbidden(sc.CallFacts("zh-CN", lines), book("zh-CN"), LIMITS).result == sc.PASS


def test_closing_only_counts_at_the_end():
    lines = agent_lines("zh-CN", "谢谢,再见!", "好的", "嗯", "还有", "我看看")
    assert sc.closing(sc.CallFacts("zh-CN", lines), book("zh-CN"), LIMITS).result == sc.FAIL


@pytest.mark.parametrize(("locale", "texts", "menu", "why"), [
    ("zh-CN", ("这个问题需要查询一段时间,我们查清楚后尽快给您回电,好吗?",), None, "the agent promised an answer later"),
    ("en", ("Hello.",), "complaint", "the caller chose complaint"),
    ("en", ("Hello.",), "inquiry", "every contact is logged")])
def test_no_case_fails_saying_why_it_was_needed(locale, texts, menu, why):
    facts = sc.CallFacts(locale=locale, lines=agent_lines(locale, *texts), menu_option=menu)
    h12 = sc.case_logged(facts, book(locale), LIMITS)
    assert h12.result == sc.FAIL and why in h12.note["en"]


def test_no_transcript_is_not_applicable_and_points_skip_it():
    items = sc.score(sc.CallFacts(locale="zh-CN", lines=(), talk_s=60, cases=(("C1", "inquiry"),)), book("zh-CN"),
                     LIMITS)
    results = {i.code: i.result for i in items}
    assert results == {"H1": sc.NA, "H2": sc.NA, "H6": sc.NA, "H8": sc.NA, "H7": sc.PASS, "S": sc.NA,
                       "H10": sc.NA, "H12": sc.PASS}
    assert sc.points(list(results.values())) == 1.0 and sc.points([sc.NA]) is None


def test_an_item_the_library_has_no_wording_for_is_not_applicable():
    from dataclasses import replace

    empty = replace(book("en"), ask_surname=(), greeting_names=(), apology=(), closing=())
    facts = sc.CallFacts(locale="en", lines=agent_lines("en", "Hello!"), wait_s=30)
    assert sc.apology(facts, empty, LIMITS).result == sc.NA
    assert sc.closing(facts, empty, LIMITS).result == sc.NA
    assert sc.surname_district(facts, empty, LIMITS).result == sc.NA
    assert sc.greeting(facts, empty, LIMITS).result == sc.NA
