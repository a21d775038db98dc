"""What a campaign call says: the pure TwiML builders (voicemail after the beep, lines then hang
up, a question in a ``<Gather>``, the line to an agent) and ``Run``, one webhook request's view of
an attempt — its campaign, contact, script steps and texts filled from the campaign, the contact
and its case — which speaks steps up to the next question."""

from __future__ import annotations

from typing import Any

from twilio.twiml.voice_response import Gather, VoiceResponse

from core.config import Settings
from core.db import session
from core.models import Case
from core.twiml import say, say_and_hangup, says
from ivr.prompts import locale_of
from scheduler import engine
from scheduler import script as scripts
from scheduler.case_values import case_values
from scheduler.models import Attempt, Campaign, Contact
from scheduler.script import Step
from scheduler.script_answers import hint_for, speech_hints
from scheduler.script_wording import text

# -- pure TwiML builders -------------------------------------------------------------------------

def voicemail_twiml(settings: Settings, locale: str, message: str) -> VoiceResponse:
    """After the beep (DetectMessageEnd): the message, then hang up."""
    return say_and_hangup(settings, locale, [message])


def hangup_twiml(settings: Settings, locale: str, lines: list[str]) -> VoiceResponse:
    return say_and_hangup(settings, locale, lines)


def question_twiml(settings: Settings, locale: str, lines: list[str], question: str, hint: str, *,
                   action: str, no_input_url: str, hints: str, timeout: int) -> VoiceResponse:
    """Lines, then the question in ``<Gather input="dtmf speech" numDigits=1>``; silence → no_input_url."""
    response = VoiceResponse()
    says(response, lines, settings, locale)
    gather = Gather(input="dtmf speech", num_digits=1, action=action, method="POST", timeout=timeout,
                    language=settings.voices[locale].gather_language, speech_timeout="auto", hints=hints)
    say(gather, question, settings, locale)
    say(gather, hint, settings, locale)
    response.append(gather)
    response.redirect(no_input_url, method="POST")
    return response


def enqueue_twiml(settings: Settings, locale: str, lines: list[str], *, wait_url: str, action: str) -> VoiceResponse:
    response = VoiceResponse()
    says(response, lines, settings, locale)
    response.enqueue(settings.queue.name, wait_url=wait_url, wait_url_method="POST", action=action, method="POST")
    return response


# -- the script runner ---------------------------------------------------------------------------

class Run:
    """One webhook request's view of an attempt: its campaign, contact, script and texts."""

    def __init__(self, settings: Settings, attempt: Attempt):
        self.settings = settings
        self.attempt = attempt
        self.contact: Contact = attempt.contact
        self.campaign: Campaign = attempt.campaign
        self.locale = locale_of(self.contact.locale or self.campaign.locale, settings)
        self.steps: list[Step] = scripts.parse_script(self.campaign.script, self.campaign.purpose)
        self.s = session()

    def context(self) -> dict[str, Any]:
        contact, campaign = self.contact, self.campaign
        ctx: dict[str, Any] = {**campaign.context, **contact.context}
        ctx.setdefault("agent_id", campaign.agent_code or "")
        ctx.setdefault("surname", campaign.agent_surname or "")
        ctx.setdefault("title", contact.title or contact.name or ("机主" if self.locale == "zh-CN" else "the owner"))
        ctx.setdefault("name", contact.name or "")
        ctx.setdefault("case_ref", contact.case_ref or "")
        if contact.case_id:
            case = self.s.get(Case, contact.case_id)
            if case is not None:
                for key, value in case_values(self.s, self.settings, case, self.locale).items():
                    if not str(ctx.get(key) or "").strip():
                        ctx[key] = value
        return ctx

    def text(self, prompt_id: str, custom: str | None = None) -> str:
        return text(self.settings, prompt_id, self.locale, custom, **self.context())

    def url(self, kind: str, **params: Any) -> str:
        return engine.outbound_url(self.settings, kind, attempt=self.attempt.id, **params)

    def record(self, key: str, answer: Any) -> None:
        self.attempt.answers = {**(self.attempt.answers or {}), key: answer}
        self.contact.outcome = {**(self.contact.outcome or {}), key: answer}

    def render_from(self, index: int, lines: list[str] | None = None, tries: int = 0) -> VoiceResponse:
        """Speak steps from ``index`` until a question (a Gather) or the close (hang up)."""
        lines = list(lines or [])
        for i in range(index, len(self.steps)):
            step = self.steps[i]
            if step.kind in scripts.QUESTION_KINDS:
                hint = self.text(hint_for(step.kind, step.id))
                if self.campaign.optout_key and i == self.first_question():
                    hint += self.text("outbound_optout_hint")
                return question_twiml(
                    self.settings, self.locale, lines, self.text(step.id, step.text), hint,
                    action=self.url("input", step=i), no_input_url=self.url("noinput", step=i, tries=tries),
                    hints=speech_hints(step.kind), timeout=self.settings.routing.gather_timeout_s)
            lines.append(self.text(step.id, step.text))
            if step.kind == "close":
                break
        self.finish("answered")
        return hangup_twiml(self.settings, self.locale, lines)

    def first_question(self) -> int:
        return next((i for i, step in enumerate(self.steps) if step.kind in scripts.QUESTION_KINDS), -1)

    def finish(self, result: str) -> None:
        if self.attempt.result in (None, "answered"):
            self.attempt.result = result
