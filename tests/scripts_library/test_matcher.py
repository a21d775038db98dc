"""check() and suggest() on the shipped library (HANDBOOK S1–S9)."""

import pytest

from scripts_library.placeholders import fill


def test_issue_example_hits_s1_with_offsets_into_the_original(matcher):
    text = "好的我帮您看看。我也没办法,线路忙,我都忙死了"
    flags = matcher.check(text, "zh-CN")
    assert [f["situation"] for f in flags] == ["S1"]
    f = flags[0]
    assert text[f["start"]:f["end"]] == "我也没办法,线路忙,我都忙死了" == f["matched"]
    assert f["forbidden"] == "我也没办法,刚才线路忙啊!我都忙死了,有什么事情快说。"
    assert 0 <= f["score"] <= 100 and f["entry_id"] == "s1.f1"
    assert f["alternatives"] == ["非常抱歉,今天咨询的客户比较多,非常感谢您的耐心等候,请问有什么可以帮到您?"]


def test_reordered_padded_traditional_text_still_hits(matcher):
    text = "先生您好,我都快忙死了,線路一直忙,我也沒辦法啊,你有什麼事快說吧"
    flags = matcher.check(text, "zh-TW")
    assert [f["situation"] for f in flags] == ["S1"]
    assert "忙死了" in text[flags[0]["start"]:flags[0]["end"]]


@pytest.mark.parametrize(("text", "situation"), [
    ("嘴巴放干净点,这又不是我的错", "S2"),
    ("不好意思,我是新来的", "S3"),
    ("刚才那个电话不是我接的呀", "S4"),
    ("这跟我没关系,你打别的号码吧", "S5"),
    ("你去投诉啊,我工号是4521", "S6"),
    ("不能转接,你挂了再打", "S7"),
    ("我不知道,你过几天再打来吧", "S8"),
    ("喂,没别的事了吧", "S9"),
    ("I can't help it, the lines were busy, I'm swamped.", "S1"),
    ("Hey, I'm new here!", "S3"),
    ("There's no manager, I have the final say.", "S7"),
])
def test_paraphrases_flag_their_situation(matcher, text, situation):
    locale = "en" if text.isascii() else "zh-CN"
    assert situation in [f["situation"] for f in matcher.check(text, locale)]


def test_every_approved_and_prompt_text_is_clean(matcher, library):
    for e in library.entries:
        if e.kind != "forbidden":
            assert matcher.check(fill(e.text, e.locale), e.locale) == [], e.id


def test_two_forbidden_phrases_in_one_utterance_give_two_flags(matcher):
    text = "我是新手啦。这不关我的事,你打别的电话吧"
    flags = matcher.check(text, "zh-CN")
    assert [f["situation"] for f in flags] == ["S3", "S5"]
    assert flags[0]["end"] <= flags[1]["start"]


def test_negation_changes_the_statement(matcher):
    assert matcher.check("我们的管理人员会亲自处理这个问题。", "zh-CN") == []
    assert [f["situation"] for f in matcher.check("我们的管理人员不处理这个问题", "zh-CN")] == ["S7"]


def test_alternatives_fill_placeholders_from_context(matcher):
    flags = matcher.check("我不清楚,您过两天再来电话吧", "zh-CN", {"title": "王先生", "hours": 48})
    assert flags[0]["alternatives"] == [
        "很抱歉,王先生,非常感谢您向我们反映意见,我们会尽快向上级部门反映,并在48小时内给您的答复。好吗?"]
    default = matcher.check("I don't know, call back in a couple of days.", "en")[0]["alternatives"][0]
    assert default.startswith("I'm sorry, Sir/Madam.") and "within 24 hours" in default


def test_empty_text_gives_nothing(matcher):
    assert matcher.check("   ", "zh-CN") == [] and matcher.suggest("", "en") == []


@pytest.mark.parametrize(("text", "locale", "situation"), [
    ("你们这个电话怎么老是打不通", "zh-CN", "S1"),
    ("我要找你们经理", "zh-CN", "S7"),
    ("你是新手吧,太慢了", "zh-CN", "S3"),
    ("刚才那个客服态度很差", "zh-CN", "S4"),
    ("刚才那个客服搞错了", "zh-CN", "S5"),
    ("你搞错了", "zh-CN", "S6"),
    ("什么时候给我答复", "zh-CN", "S8"),
    ("Why can I never get through to you?", "en", "S1"),
    ("I want to speak to your manager", "en", "S7"),
])
def test_suggest_ranks_the_situation_first(matcher, text, locale, situation):
    result = matcher.suggest(text, locale, 3)
    assert result and result[0]["situation"] == situation
    assert set(result[0]) >= {"id", "situation", "text", "score"}
    assert all(a["score"] >= b["score"] for a, b in zip(result, result[1:], strict=False))


def test_suggest_is_deterministic_and_never_forbidden(matcher, library):
    first = matcher.suggest("你们这帮骗子", "zh-CN", 5)
    assert first == matcher.suggest("你们这帮骗子", "zh-CN", 5)
    assert [s["id"] for s in first[:2]] == ["s2.a1", "s2.a2"]  # a tie keeps library order
    kinds = {(e.locale, e.id): e.kind for e in library.entries}
    for text in ("我也没办法,线路忙", "我是新手", "你去投诉啊", "Sorry, I'm new here."):
        locale = "en" if text.isascii() else "zh-CN"
        for s in matcher.suggest(text, locale, 10):
            assert kinds[(locale, s["id"])] == "approved"
            assert matcher.check(s["text"], locale) == []


def test_agent_forbidden_draft_suggests_its_alternatives(matcher):
    assert matcher.suggest("我也没办法,线路忙", "zh-CN", 1)[0]["id"] == "s1.a1"


def test_suggest_fills_context_and_accepts_traditional(matcher):
    top = matcher.suggest("什麼時候給我答覆", "zh-HK", 1, {"title": "陈小姐", "hours": 12})[0]
    assert top["id"] == "s8.a1" and "陈小姐" in top["text"] and "12小时" in top["text"]
    assert matcher.suggest("什么时候给我答复", "zh-CN", 1)[0]["text"].startswith("很抱歉,先生/小姐,")


def test_prompts_only_when_asked(matcher):
    assert all(s["kind"] == "approved" for s in matcher.suggest("谢谢再见", "zh-CN", 10))
    kinds = {s["kind"] for s in matcher.suggest("谢谢,再见", "zh-CN", 10, kinds=("approved", "prompt"))}
    assert "prompt" in kinds
