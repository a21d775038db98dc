"""Every text an outbound contact hears, and how a campaign's script runs (H20 order).

A campaign's script is a list of steps: a scripted-response library entry id (``outbound_verify``,
``outbound_identify``, ``survey_timeliness``…) or a custom ``{"id", "text", "kind"}``. Texts come
from ``scripts_library.service.get_prompt(id, locale, context)`` when the library provides it,
else from the handbook's wording below docs/handbook.md H16–H22). Each step has a *kind*:

- ``say``: spoken, then the next step;
- ``verify`` (H20 verify identity: 1 / "是" continues, 2 / "不是" ends politely),
- ``convenient`` (H20 "is now convenient?": no → try another time), ``confirm`` (H20 "is it clear
  now?": no → a follow-up case under the original one), ``satisfied`` (H17): yes/no questions;
- ``scale`` (H18/H19 survey question: 1–5 = 很满意 满意 基本满意 不满意 很不满意, keypad or speech);
- ``close``: spoken, then hang up (H10).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from core.config import Settings
from ivr.prompts import LOCALES as LOCALES  # campaigns validate locales against it
from ivr.prompts import library_function, locale_of

DEFAULTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        # H20 (seed 000 第二条) and the library's outbound lines.
        "outbound_verify": "您好,请问是{title}吗?",
        "outbound_identify": "您好!我是{company}的客服专员,工号:{agent_id},我姓{surname}。",
        "outbound_convenient": "请问您现在方便接听电话吗?",
        "outbound_result": "您曾经在{date}致电我们反映了{issue},关于这个问题,我们已经有跟进结果了,{result}。",
        "outbound_confirm": "请问您对这个问题是否已经清楚了?",
        "outbound_close": "如果日后有任何问题,欢迎随时致电服务部,我的工号是{agent_id},再见!",
        "outbound_followup": "我们将尽快跟进及反映您的问题,在获得答复后,将第一时间知会您。",
        "outbound_retry_later": "不好意思打扰您了,我们换个时间再联系您,谢谢,再见!",
        "outbound_optout_hint": "如不希望再接到此类电话,请按9。",
        "outbound_optout_done": "好的,我们不会再拨打您的电话。打扰您了,再见!",
        "outbound_abandon": "您好!这里是{company}{department}。很抱歉,客服专员暂时都在通话中,我们会另找时间再与您联系。如不希望再接到此类电话,请致电我们的客服热线。谢谢,再见!",
        "complaint_callback": "您好!我是{company}的客服专员,工号:{agent_id}。关于您{date}反映的{issue},"
                              "想了解一下您对处理结果是否满意?",  # H17
        # H16 / H18 / H19.
        "survey_intro": "您好!我是{company}的客服专员,工号:{agent_id}。您{date}的报修已经完成,"
                        "想占用您一分钟做个回访,请问现在方便吗?",
        "survey_timeliness": "请问您对维修的及时性是否满意?请回答很满意、满意、基本满意、不满意或很不满意。",
        "survey_attitude": "请问您对工作人员的服务态度是否满意?请回答很满意、满意、基本满意、不满意或很不满意。",
        "survey_quality": "请问您对维修质量是否满意?请回答很满意、满意、基本满意、不满意或很不满意。",
        "survey_close": "感谢您的宝贵意见,我们会不断改进服务。谢谢,再见!",
        # H21 / H22.
        "outage_notice": "您好!这里是{company}{department}。接到停水停电通知,{area}将于{start}至{end}"
                         "暂停供水供电,请提前做好准备,给您带来不便,敬请谅解。",
        "outage_water": "您好!这里是{company}{department}。接到停水通知,{area}将于{start}至{end}暂停供水,"
                        "请提前储水,给您带来不便,敬请谅解。",
        "outage_power": "您好!这里是{company}{department}。接到停电通知,{area}将于{start}至{end}暂停供电,"
                        "请提前做好准备,给您带来不便,敬请谅解。",
        "fee_notice": "您好!这里是{company}{department}。您本期应缴费用{amount}元已经出账,请在{due_date}前"
                      "到收费中心缴纳,谢谢!",
        "fee_reminder": "您好!这里是{company}{department}。您有{amount}元费用尚未缴纳,请尽快到收费中心缴费;"
                        "如已缴纳,请忽略本通知,谢谢!",
        "fee_deadline": "您好!这里是{company}{department}。您有{amount}元费用逾期未缴,请在{due_date}前缴清,"
                        "滞纳金已开始计算。如有疑问,欢迎致电我们,谢谢!",
        "fee_visit": "您好!这里是{company}{department}。关于您尚未缴纳的费用,我们的管理员希望上门拜访,"
                     "了解您的想法和意见,请问您什么时间方便?",
        "fee_manager": "您好!这里是{company}{department}。关于您尚未缴纳的费用,管理处主任希望与您当面沟通,"
                       "协商解决办法,请问您什么时间方便?",
        # The dialer's own lines.
        "hint_yes_no": "是请按1,不是请按2。",
        "hint_convenient": "方便请按1,不方便请按2。",
        "hint_clear": "清楚请按1,不清楚请按2。",
        "hint_satisfied": "满意请按1,不满意请按2。",
        "hint_scale": "很满意请按1,满意请按2,基本满意请按3,不满意请按4,很不满意请按5。",
        "no_input": "对不起,没有听清您的回答。",
        "wrong_person": "对不起,打扰您了,再见!",
        "thanks": "好的,谢谢您。",
        "voicemail": "您好!这里是{company}{department},工号{agent_id}。我们有事情需要与您联系,"
                     "请方便时回电我们的客服热线,谢谢!",
        "agent_connect": "您好!这里是{company}{department},正在为您接通客服专员,请稍候。",
        "agent_whisper": "外呼活动{campaign}:{name},{note}",
    },
    "en": {
        "outbound_verify": "Hello, am I speaking with {title}?",
        "outbound_identify": "Hello! This is the customer service officer of {company}, agent ID {agent_id}, "
                             "my surname is {surname}.",
        "outbound_convenient": "Is this a convenient time for you to talk?",
        "outbound_result": "On {date} you called us about {issue}. We now have a follow-up result on this "
                           "problem: {result}.",
        "outbound_confirm": "Is everything about this problem clear to you now?",
        "outbound_close": "If you have any questions in the future, you are welcome to call the service "
                          "department at any time. My agent ID is {agent_id}. Goodbye!",
        "outbound_followup": "We will follow up and report your problem as soon as possible, and let you "
                             "know the moment we have an answer.",
        "outbound_retry_later": "Sorry to have disturbed you; we will contact you again at another time. "
                                "Thank you, goodbye!",
        "outbound_optout_hint": "To stop these calls, press 9.",
        "outbound_optout_done": "Thank you. We will not call this number again. Sorry to have disturbed you, goodbye!",
        "outbound_abandon": "Hello, this is {company} {department}. Sorry, all our customer service officers are busy; we will call you again at another time. To stop these calls, please call our customer service line. Thank you, goodbye!",
        "complaint_callback": "Hello! This is the customer service officer of {company}, agent ID {agent_id}. "
                              "About {issue} you reported on {date}, are you satisfied with how it was handled?",
        "survey_intro": "Hello! This is the customer service officer of {company}, agent ID {agent_id}. "
                        "Your repair of {date} is finished; may we take one minute for a follow-up? "
                        "Is now convenient?",
        "survey_timeliness": "How satisfied are you with how quickly the repair was done? Very satisfied, "
                             "satisfied, fairly satisfied, dissatisfied or very dissatisfied?",
        "survey_attitude": "How satisfied are you with the staff's attitude? Very satisfied, satisfied, "
                           "fairly satisfied, dissatisfied or very dissatisfied?",
        "survey_quality": "How satisfied are you with the quality of the repair? Very satisfied, satisfied, "
                          "fairly satisfied, dissatisfied or very dissatisfied?",
        "survey_close": "Thank you for your feedback; we keep improving our service. Goodbye!",
        "outage_notice": "Hello, this is {company} {department}. We have been notified that water and power "
                         "in {area} will be off from {start} to {end}. Please prepare; we apologise for "
                         "the inconvenience.",
        "outage_water": "Hello, this is {company} {department}. Water in {area} will be off from {start} to "
                        "{end}. Please store some water; we apologise for the inconvenience.",
        "outage_power": "Hello, this is {company} {department}. Power in {area} will be off from {start} to "
                        "{end}. Please prepare; we apologise for the inconvenience.",
        "fee_notice": "Hello, this is {company} {department}. Your bill of {amount} yuan is issued; please "
                      "pay at the service centre before {due_date}. Thank you!",
        "fee_reminder": "Hello, this is {company} {department}. {amount} yuan is still unpaid; please pay at "
                        "the service centre soon. If you have paid, please ignore this notice. Thank you!",
        "fee_deadline": "Hello, this is {company} {department}. {amount} yuan is overdue; please pay before "
                        "{due_date}. A late fee now applies. Call us with any questions. Thank you!",
        "fee_visit": "Hello, this is {company} {department}. About your unpaid fees, our manager would like "
                     "to visit you. When would suit you?",
        "fee_manager": "Hello, this is {company} {department}. About your unpaid fees, the estate manager "
                       "would like to meet you in person. When would suit you?",
        "hint_yes_no": "Press 1 for yes, 2 for no.",
        "hint_convenient": "Press 1 if it is convenient, 2 if not.",
        "hint_clear": "Press 1 if it is clear, 2 if not.",
        "hint_satisfied": "Press 1 if you are satisfied, 2 if not.",
        "hint_scale": "Press 1 for very satisfied, 2 satisfied, 3 fairly satisfied, 4 dissatisfied, "
                      "5 very dissatisfied.",
        "no_input": "Sorry, I did not catch your answer.",
        "wrong_person": "Sorry to have disturbed you. Goodbye!",
        "thanks": "Thank you.",
        "voicemail": "Hello, this is {company} {department}, agent {agent_id}. We need to get in touch with "
                     "you; please call our service hotline back when convenient. Thank you!",
        "agent_connect": "Hello, this is {company} {department}. Connecting you to a customer service "
                         "officer, please hold.",
        "agent_whisper": "Campaign {campaign}: {name}, {note}",
    },
}

#: Library entries (scripts_library data) — the rest are the dialer's own lines.
LIBRARY_PROMPTS = frozenset(k for k in DEFAULTS["zh-CN"] if not k.startswith(("hint_", "no_input", "wrong_",
                                                                            "thanks", "voicemail", "agent_")))

STEP_KINDS: dict[str, str] = {
    "outbound_verify": "verify",
    "outbound_convenient": "convenient",
    "survey_intro": "convenient",
    "outbound_confirm": "confirm",
    "complaint_callback": "satisfied",
    "survey_timeliness": "scale",
    "survey_attitude": "scale",
    "survey_quality": "scale",
    "outbound_close": "close",
    "survey_close": "close",
    "outbound_retry_later": "close",
}
KINDS = {"say", "verify", "convenient", "confirm", "satisfied", "scale", "close"}
QUESTION_KINDS = {"verify", "convenient", "confirm", "satisfied", "scale"}

# Default scripts per purpose, in the H20 order: identify yourself, verify, convenient, answer, close.
DEFAULT_SCRIPTS: dict[str, list[str]] = {
    "general_callback": ["outbound_verify", "outbound_identify", "outbound_convenient", "outbound_result",
                         "outbound_confirm", "outbound_close"],
    "complaint_followup": ["outbound_verify", "complaint_callback", "outbound_close"],  # H17
    "repair_satisfaction": ["outbound_verify", "survey_intro", "survey_timeliness", "survey_attitude",
                            "survey_quality", "survey_close"],  # H16
    "survey": ["outbound_verify", "outbound_identify", "outbound_convenient", "survey_timeliness",
               "survey_attitude", "survey_quality", "survey_close"],  # H18
    "outage_notice": ["outage_notice", "outbound_close"],  # H21: as soon as the notice arrives
    "fee_reminder": ["outbound_verify", "fee_reminder", "outbound_close"],  # H22 (stage = entry id)
}

# H19: the five answers, keypad 1-5.
SCALE = ["很满意", "满意", "基本满意", "不满意", "很不满意"]
SCALE_SYNONYMS: dict[str, list[str]] = {
    "很满意": ["很满意", "非常满意", "特别满意", "十分满意", "very satisfied"],
    "满意": ["满意", "挺满意", "比较满意", "还不错", "挺好的", "satisfied"],
    "基本满意": ["基本满意", "还行", "一般", "凑合", "还可以", "fairly satisfied", "okay"],
    "不满意": ["不满意", "不太满意", "不怎么样", "不行", "dissatisfied", "not satisfied"],
    "很不满意": ["很不满意", "非常不满意", "特别不满意", "太差了", "很差", "very dissatisfied"],
}
_LIBRARY_SCALE_KEYS = {"very_satisfied": "很满意", "satisfied": "满意", "basically_satisfied": "基本满意",
                       "dissatisfied": "不满意", "very_dissatisfied": "很不满意"}
YES_NO_SYNONYMS: dict[str, list[str]] = {
    "yes": ["是", "是的", "对", "对的", "方便", "可以", "清楚", "清楚了", "满意", "好的", "好", "没问题", "嗯",
            "yes", "yeah", "sure", "ok", "clear", "satisfied", "convenient"],
    "no": ["不是", "不对", "不方便", "没空", "不清楚", "不明白", "不满意", "不行", "不", "没有", "打错了",
           "no", "not", "busy", "wrong number", "unclear", "not satisfied", "dissatisfied"],
}
MIN_SPEECH_SCORE = 70.0

_PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    text: str | None = None  # custom text (else the library / default wording of ``id``)


def kind_of(step_id: str) -> str:
    if step_id in STEP_KINDS:
        return STEP_KINDS[step_id]
    if step_id.startswith("survey_"):
        return "scale"
    return "say"


class ScriptError(ValueError):
    """A bad script; the message names the step."""


def parse_script(raw: Any, purpose: str) -> list[Step]:
    """Validate a campaign's script (ids or ``{"id","text","kind"}``); empty → the purpose's default."""
    items = raw if raw else DEFAULT_SCRIPTS.get(purpose, DEFAULT_SCRIPTS["general_callback"])
    if not isinstance(items, list):
        raise ScriptError("script: must be a list of library entry ids")
    if len(items) > 30:
        raise ScriptError("script: at most 30 steps")
    steps = []
    for n, item in enumerate(items, start=1):
        if isinstance(item, str):
            step_id = item.strip()
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,59}", step_id):
                raise ScriptError(f"script[{n}]: not a library entry id: {item!r}")
            steps.append(Step(step_id, kind_of(step_id)))
        elif isinstance(item, dict):
            step_id = str(item.get("id") or f"custom_{n}")[:60]
            kind = str(item.get("kind") or kind_of(step_id))
            text = item.get("text")
            if kind not in KINDS:
                raise ScriptError(f"script[{n}]: kind must be one of {', '.join(sorted(KINDS))}")
            if text is not None and (not isinstance(text, str) or len(text) > 1000):
                raise ScriptError(f"script[{n}]: text must be at most 1000 characters")
            steps.append(Step(step_id, kind, text))
        else:
            raise ScriptError(f"script[{n}]: must be an entry id or an object")
    if not steps:
        raise ScriptError("script: needs at least one step")
    return steps


def script_ids(steps: list[Step]) -> list[Any]:
    return [s.id if s.text is None and s.kind == kind_of(s.id) else
            {"id": s.id, "kind": s.kind, **({"text": s.text} if s.text else {})} for s in steps]


def base_context(settings: Settings, locale: str) -> dict[str, Any]:
    company = settings.company
    if locale == "en":
        return {"company": company.name_en, "department": company.department_en}
    return {"company": company.name, "department": company.department}


def fill(text: str, context: Mapping[str, Any]) -> str:
    """Fill ``{placeholders}``; an unknown one is dropped rather than read out as braces."""
    return _PLACEHOLDER.sub(lambda m: str(context.get(m.group(1)) or ""), text)


def text(settings: Settings, prompt_id: str, locale: str | None, custom: str | None = None,
         **context: Any) -> str:
    """The words of ``prompt_id`` in ``locale`` with ``context`` filled in (never raises)."""
    loc = locale_of(locale, settings)
    ctx = {**base_context(settings, loc), **{k: v for k, v in context.items() if v not in (None, "")}}
    if custom:
        return fill(custom, ctx)
    if prompt_id in LIBRARY_PROMPTS or prompt_id not in DEFAULTS[loc]:
        get_prompt = library_function("get_prompt")
        if get_prompt is not None:
            try:
                found = get_prompt(prompt_id, loc, context=ctx)
            except Exception:  # noqa: BLE001 - a library problem must not break a call
                found = None
            if isinstance(found, str) and found.strip():
                return fill(found, ctx)
    return fill(DEFAULTS[loc].get(prompt_id, DEFAULTS["zh-CN"].get(prompt_id, "")), ctx)


def template(settings: Settings, step_id: str, locale: str, custom: str | None = None) -> str:
    """The words of a step before filling: custom text, the library's entry, else the default."""
    if custom:
        return custom
    loc = locale_of(locale, settings)
    get_matcher = library_function("get_matcher")
    if get_matcher is not None:
        try:
            entry = get_matcher().library.get(loc, step_id)
        except Exception:  # noqa: BLE001 - a library problem: fall back to the handbook wording
            entry = None
        if entry is not None and entry.kind != "forbidden" and entry.text:
            return str(entry.text)
    return DEFAULTS[loc].get(step_id, DEFAULTS["zh-CN"].get(step_id, ""))


def needed_values(settings: Settings, steps: list[Step], locale: str,
                  extra: list[str] = ()) -> dict[str, list[str]]:  # type: ignore[assignment]
    """Placeholder → the step ids that speak it (beyond company/department, which settings give).
    ``extra``: further prompt ids the call may speak (the voicemail)."""
    needed: dict[str, list[str]] = {}
    spoken = [(s.id, s.text) for s in steps] + [(prompt_id, None) for prompt_id in extra]
    for step_id, custom in spoken:
        for name in _PLACEHOLDER.findall(template(settings, step_id, locale, custom)):
            if name not in ("company", "department") and step_id not in needed.setdefault(name, []):
                needed[name].append(step_id)
    return needed


def placeholders(settings: Settings, steps: list[Step], locale: str) -> set[str]:
    """Placeholders the script needs beyond company/department (for the explain panel)."""
    return set(needed_values(settings, steps, locale))


def _normal(value: str) -> str:
    return re.sub(r"[\s\W_]+", "", value.lower())


def _best(spoken: str, choices: Mapping[str, list[str]]) -> tuple[str, float] | None:
    """Best option for a spoken answer; a longer synonym wins ties ("不满意" over "满意")."""
    said = _normal(spoken)
    if not said:
        return None
    best: tuple[str, float, int] | None = None
    for option, synonyms in choices.items():
        for synonym in synonyms:
            target = _normal(synonym)
            if not target:
                continue
            if target in said:
                score = 100.0
            elif len(said) >= len(target):
                score = float(fuzz.partial_ratio(target, said))
            else:
                score = float(fuzz.ratio(target, said))
            key = (score, len(target))
            if best is None or key > (best[1], best[2]):
                best = (option, score, len(target))
    return (best[0], best[1]) if best else None


def scale_synonyms(locale: str) -> dict[str, list[str]]:
    get = library_function("get_choices")
    if get is not None:
        try:
            found = get("survey_answer", locale)
        except Exception:  # noqa: BLE001
            found = None
        if isinstance(found, Mapping) and found:
            merged = {k: list(v) for k, v in SCALE_SYNONYMS.items()}
            for key, values in found.items():
                answer = _LIBRARY_SCALE_KEYS.get(str(key), str(key))
                if answer in merged:
                    merged[answer] = list(dict.fromkeys([*merged[answer], *(str(v) for v in values)]))
            return merged
    return SCALE_SYNONYMS


def interpret(kind: str, digits: str | None, speech: str | None, locale: str = "zh-CN") -> str | None:
    """A keypad/speech answer → ``yes``/``no`` (yes/no kinds) or one of SCALE (``scale``); None if unclear."""
    digits = (digits or "").strip()[:4]
    speech = (speech or "").strip()[:500]
    if kind == "scale":
        if digits[:1] in {"1", "2", "3", "4", "5"}:
            return SCALE[int(digits[:1]) - 1]
        if speech:
            found = _best(speech, scale_synonyms(locale))
            if found and found[1] >= MIN_SPEECH_SCORE:
                return found[0]
        return None
    if digits[:1] == "1":
        return "yes"
    if digits[:1] == "2":
        return "no"
    if speech:
        found = _best(speech, YES_NO_SYNONYMS)
        if found and found[1] >= MIN_SPEECH_SCORE:
            return found[0]
    return None


def hint_for(kind: str, step_id: str) -> str:
    if kind == "scale":
        return "hint_scale"
    if kind == "convenient":
        return "hint_convenient"
    if kind == "confirm":
        return "hint_clear"
    if kind == "satisfied":
        return "hint_satisfied"
    return "hint_yes_no"


def speech_hints(kind: str) -> str:
    if kind == "scale":
        return ",".join(SCALE)
    return "是,不是,方便,不方便,清楚,不清楚,满意,不满意"
