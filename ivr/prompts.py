"""Every text a caller (or an agent's whisper) hears, in one place.

Prompts the scripted-response library holds (``greeting`` H1, ``apology_opener`` H2,
``reassurance`` H3, ``callback_offer`` H9, ``after_hours`` H4, ``closing`` H10,
``manager_transfer`` H11, ``menu``) come from ``scripts_library.service.get_prompt``; when the
library is not installed or lacks an entry, the handbook's wording below is used. The IVR's
own short lines (reprompts, confirmations…) live only here. Views never hold texts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rapidfuzz import fuzz

from core.config import Settings
from scripts_library import service as library_service

LOCALES = ("zh-CN", "en")

# Handbook wording (docs/handbook.md) for the library's prompts, and the IVR's own lines.
DEFAULTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "greeting": "您好!{company}{department},请问有什么可以帮到你?",  # H1
        "apology_opener": "非常抱歉,今天咨询的客户比较多,非常感谢您的耐心等候,请问有什么可以帮到您?",  # H2
        "reassurance": "感谢您的耐心等候,您目前排在第{position}位,预计等待{wait_minutes}分钟。",  # H3
        "callback_offer": "如需回电,请按1或说“回电”,轮到您时我们会给您回电,排队位置为您保留。",  # H9
        "after_hours": "您好!{company}{department}的服务时间是每天{open_hours},现在是非工作时间。"
                       "请在提示音后留言,留下您的姓名和联系电话,我们会在下一班次尽快与您联系。",  # H4
        "closing": "谢谢,再见!",  # H10
        "manager_transfer": "请您稍等并不要挂断电话,我现在将您的电话转给管理人员。",  # H11
        "menu": "报修请按1,投诉请按2,咨询请按3,缴费请按4,紧急情况请按0。For English, press 9。"
                "您也可以直接说出您的需要。",
        # The IVR's own lines.
        "reassurance_plain": "感谢您的耐心等候,您目前排在第{position}位,预计等待{wait_minutes}分钟。",  # H3
        "connecting_now": "感谢您的耐心等候,客服人员现在有空,正在为您接通,请稍候。",  # H3, no wait left
        "menu_reprompt": "对不起,没有听清您的选择。",
        "menu_to_agent": "正在为您转接客服人员,请稍候。",
        "emergency_numbers": "如有人身危险,请立即拨打:{numbers}。",  # H5
        "emergency_queue": "您的紧急来电将被优先处理,请不要挂机。",  # H5
        "enqueue": "正在为您转接客服,请稍候。",
        "connecting": "正在为您接通{agent_code}号客服。",
        "no_agents": "非常抱歉,目前没有客服人员在线。需要我们回电请按1;或在提示音后留言。",
        "overflow": "非常抱歉,目前来电较多,线路已满。请在提示音后留言,我们会尽快回复您。",
        "leave_message": "请在提示音后留言,留言完毕请按井号键。",
        "message_saved": "您的留言已记录,我们会尽快与您联系。",
        "error": "非常抱歉,系统暂时无法为您接通。",
        "callback_confirm": "我们将回电到尾号{last4}的号码。确认请按1,使用其他号码请按2。",
        "callback_enter_number": "请输入回电号码,以井号键结束。",
        "callback_bad_number": "对不起,号码无效。",
        "callback_saved": "好的,轮到您时我们会给您回电,您的排队位置会为您保留。",
        "callback_exists": "您已有一个回电请求,轮到您时我们会给您回电。",
        "callback_intro": "您好!我是{company}的客服专员。您之前来电排队等候,现在为您回电,"
                          "正在为您接通客服,请不要挂断。",  # H20
        "recovery_intro": "您好!我是{company}的客服专员。您刚才来电未能接通,现在为您回电,请不要挂断。",  # H20
        "agent_whisper": "{option}来电,已等待{wait_s}秒。",
        "agent_whisper_callback": "回电客户,{option},最初来电已等待{wait_s}秒。",
        "agent_apology_hint": "请先致歉:{apology}",  # H2
        "agent_caller_gone": "来电者已挂断,通话结束。",
        "option.repair": "报修",
        "option.complaint": "投诉",
        "option.inquiry": "咨询",
        "option.fees": "缴费",
        "option.emergency": "紧急",
    },
    "en": {
        "greeting": "Hello, {company} {department}. How can I help you?",  # H1
        "apology_opener": "We are very sorry, we have many callers today. Thank you very much for "
                          "your patience. How can I help you?",  # H2
        "reassurance": "Thank you for waiting. You are number {position} in line; the expected "
                       "wait is about {wait_minutes} minutes.",  # H3
        "callback_offer": "To be called back when it is your turn, press 1 or say call me back. "
                          "You keep your place in line.",  # H9
        "after_hours": "Hello, {company} {department}. Our phone service is open {open_hours} every "
                       "day, and we are closed now. Please leave your name and number after the tone; "
                       "the next shift will call you back.",  # H4
        "closing": "Thank you, goodbye.",  # H10
        "manager_transfer": "Please hold and do not hang up; I am transferring you to a manager.",  # H11
        "menu": "For repairs press 1, complaints press 2, inquiries press 3, fees press 4, "
                "emergencies press 0. 中文服务请按9。You can also just say what you need.",
        "reassurance_plain": "Thank you for waiting. You are number {position} in line; the expected "
                             "wait is about {wait_minutes} minutes.",  # H3
        "connecting_now": "Thank you for waiting. An agent is free and we are connecting you now.",  # H3
        "menu_reprompt": "Sorry, I did not catch your choice.",
        "menu_to_agent": "Connecting you to an agent, please hold.",
        "emergency_numbers": "If anyone is in danger, call now: {numbers}.",  # H5
        "emergency_queue": "Your urgent call will be answered first. Please stay on the line.",  # H5
        "enqueue": "Connecting you to an agent, please hold.",
        "connecting": "Connecting you to agent {agent_code}.",
        "no_agents": "We are sorry, no agent is available right now. Press 1 to be called back, "
                     "or leave a message after the tone.",
        "overflow": "We are sorry, all our lines are busy. Please leave a message after the tone "
                    "and we will call you back.",
        "leave_message": "Please leave a message after the tone, then press the pound key.",
        "message_saved": "Your message has been saved. We will call you back soon.",
        "error": "We are sorry, we cannot connect your call right now.",
        "callback_confirm": "We will call you back on the number ending in {last4}. Press 1 to "
                            "confirm, or 2 to enter another number.",
        "callback_enter_number": "Please enter the number to call back, then press the pound key.",
        "callback_bad_number": "Sorry, that number is not valid.",
        "callback_saved": "Thank you. We will call you back when it is your turn; you keep your "
                          "place in line.",
        "callback_exists": "You already have a call-back request; we will call you when it is your turn.",
        "callback_intro": "Hello, this is {company} customer service returning your call. You were "
                          "waiting in line; we are connecting you to an agent now, please hold.",  # H20
        "recovery_intro": "Hello, this is {company} customer service. Your call did not get through "
                          "earlier, so we are calling you back. Please hold.",  # H20
        "agent_whisper": "{option} call, waited {wait_s} seconds.",
        "agent_whisper_callback": "Call-back, {option}, first called {wait_s} seconds ago.",
        "agent_apology_hint": "Open with the apology: {apology}",  # H2
        "agent_caller_gone": "The caller hung up. Ending the call.",
        "option.repair": "Repair",
        "option.complaint": "Complaint",
        "option.inquiry": "Inquiry",
        "option.fees": "Fees",
        "option.emergency": "Emergency",
    },
}

#: Prompts the scripted-response library provides (the rest are the IVR's own lines).
LIBRARY_PROMPTS: dict[str, str] = {
    "greeting": "greeting", "apology_opener": "apology_opener", "reassurance": "reassurance",
    "callback_offer": "callback_offer", "after_hours": "after_hours", "closing": "closing",
    "manager_transfer": "manager_transfer", "menu": "menu", "menu_reprompt": "menu_retry",
}

# Spoken menu answers (used when the library has no synonyms): option → synonyms.
MENU_SYNONYMS: dict[str, dict[str, list[str]]] = {
    "zh-CN": {
        "repair": ["报修", "维修", "修理", "坏了", "漏水", "没电", "停水", "修一下"],
        "complaint": ["投诉", "不满意", "意见", "举报"],
        "inquiry": ["咨询", "问一下", "查询", "了解", "请问"],
        "fees": ["缴费", "交费", "费用", "物业费", "收费", "账单", "水电费"],
        "emergency": ["紧急", "急事", "救命", "着火", "火灾", "水管爆了", "爆管", "煤气泄漏", "紧急情况"],
        "language": ["English", "英文", "英语"],
    },
    "en": {
        "repair": ["repair", "fix", "broken", "leak", "maintenance", "not working"],
        "complaint": ["complaint", "complain", "unhappy", "not satisfied"],
        "inquiry": ["inquiry", "enquiry", "question", "information", "ask"],
        "fees": ["fees", "fee", "bill", "payment", "pay", "charges"],
        "emergency": ["emergency", "urgent", "fire", "burst pipe", "gas leak", "help"],
        "language": ["Chinese", "Mandarin", "中文", "普通话"],
    },
}

# Library option names that mean the language switch.
_LANGUAGE_ALIASES = {"english", "language", "locale", "chinese", "中文"}

# Spoken requests for a call-back while waiting (H9).
CALLBACK_PHRASES: dict[str, list[str]] = {
    "zh-CN": ["回电", "回电话", "给我回电", "打回来", "回拨"],
    "en": ["call me back", "callback", "call back", "call you back", "ring me back"],
}

_PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")


def library_function(name: str) -> Any | None:
    """The library's service function ``name`` (``scripts_library.service``), or None when it
    has none by that name. Campaign scripts use it too."""
    return getattr(library_service, name, None)


def locale_of(locale: str | None, settings: Settings) -> str:
    return locale if locale in LOCALES else settings.company.default_locale


def base_context(settings: Settings, locale: str) -> dict[str, Any]:
    company = settings.company
    start, end = settings.hours.window
    open_hours = f"{start:%H:%M}-{end:%H:%M}" if end else f"{start:%H:%M}-24:00"
    if locale == "en":
        return {"company": company.name_en, "department": company.department_en, "open_hours": open_hours}
    return {"company": company.name, "department": company.department, "open_hours": open_hours}


def _fill(text: str, context: Mapping[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(context.get(m.group(1), m.group(0))), text)


def text(settings: Settings, prompt_id: str, locale: str | None, **context: Any) -> str:
    """The prompt ``prompt_id`` in ``locale`` with ``context`` filled in (never raises)."""
    loc = locale_of(locale, settings)
    ctx = {**base_context(settings, loc), **context}
    if prompt_id in LIBRARY_PROMPTS:
        get_prompt = library_function("get_prompt")
        if get_prompt is not None:
            try:
                found = get_prompt(LIBRARY_PROMPTS[prompt_id], loc, context=ctx)
            except Exception:  # noqa: BLE001 - a library problem must not break a call
                found = None
            if isinstance(found, str) and found.strip():
                return _fill(found, ctx)
    return _fill(DEFAULTS[loc].get(prompt_id, DEFAULTS["en"].get(prompt_id, "")), ctx)


def option_label(settings: Settings, option: str | None, locale: str | None) -> str:
    loc = locale_of(locale, settings)
    return DEFAULTS[loc].get(f"option.{option}", option or "")


def canonical_option(option: str) -> str:
    """The IVR's name for a library menu option (``english`` → ``language``)."""
    key = option.strip().lower()
    return "language" if key in _LANGUAGE_ALIASES else key


def menu_synonyms(locale: str) -> dict[str, list[str]]:
    """option → spoken synonyms (from the library when it has them)."""
    get = library_function("get_menu_synonyms")
    if get is not None:
        try:
            found = get(locale)
        except Exception:  # noqa: BLE001
            found = None
        if isinstance(found, Mapping) and found:
            return {canonical_option(k): [str(v) for v in values] for k, values in found.items()}
    return MENU_SYNONYMS.get(locale, MENU_SYNONYMS["zh-CN"])


def _normal(value: str) -> str:
    return re.sub(r"[\s\W_]+", "", value.lower())


def best_match(spoken: str, choices: Mapping[str, list[str]]) -> tuple[str, float] | None:
    """The option whose synonym best matches ``spoken`` (rapidfuzz; Chinese has no spaces)."""
    said = _normal(spoken)
    if not said:
        return None
    best: tuple[str, float] | None = None
    for option, synonyms in choices.items():
        for synonym in synonyms:
            target = _normal(synonym)
            if not target:
                continue
            score = 100.0 if target in said else float(
                fuzz.partial_ratio(target, said) if len(said) >= len(target) else fuzz.ratio(target, said))
            if best is None or score > best[1]:
                best = (option, score)
    return best


def match_menu(spoken: str, locale: str, min_score: float) -> tuple[str, float] | None:
    """A spoken menu answer → (option, score), or None below ``min_score``."""
    spoken = (spoken or "")[:500]
    match = library_function("match_menu_option")
    found: tuple[str, float] | None = None
    if match is not None:
        try:
            result = match(spoken, locale)
        except Exception:  # noqa: BLE001
            result = None
        if result:
            found = (canonical_option(str(result[0])), float(result[1]))
    if found is None:
        found = best_match(spoken, menu_synonyms(locale))
    if found is None or found[1] < min_score:
        return None
    return found


def wants_callback(spoken: str, locale: str, min_score: float) -> bool:
    """H9: did the waiting caller ask for a call-back ("回电" / "call me back")?"""
    phrases = {"callback": CALLBACK_PHRASES["zh-CN"] + CALLBACK_PHRASES["en"]}
    found = best_match((spoken or "")[:500], phrases)
    return found is not None and found[1] >= min_score


def offers_callback(text: str) -> bool:
    """Does this (reassurance) text already offer the call-back?"""
    said = _normal(text)
    return any(_normal(p) in said for values in CALLBACK_PHRASES.values() for p in values)


def minutes_in_words(text: str, locale: str, minutes: int) -> str:
    """English agrees with the number: "about 1 minute", not "about 1 minutes"."""
    if locale != "en" or minutes != 1:
        return text
    return re.sub(r"\b1 minutes\b", "1 minute", text)


def hints(locale: str) -> str:
    """Speech-recognition hints for the menu words."""
    words = [w for values in menu_synonyms(locale).values() for w in values]
    return ", ".join(dict.fromkeys(words))[:1000]
