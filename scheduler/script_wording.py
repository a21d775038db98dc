"""Every text an outbound contact hears: a step's or prompt's words in the contact's language
with the campaign's, contact's and case's values filled in.

Texts come from ``scripts_library.service.get_prompt(id, locale, context)`` when the library
provides it, else from the handbook's wording below (docs/handbook.md H16–H22).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.config import Settings
from ivr.prompts import library_function, locale_of
from scheduler.script import Step

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

_PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")


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
