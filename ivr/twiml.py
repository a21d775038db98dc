"""Pure functions that build the caller's TwiML (tested by parsing the XML)."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from core.config import Settings


def say(response: VoiceResponse | object, text: str, settings: Settings, locale: str) -> None:
    voice = settings.voices[locale]
    kwargs = {"language": voice.say_language}
    if voice.say_voice:
        kwargs["voice"] = voice.say_voice
    response.say(text, **kwargs)  # type: ignore[attr-defined]


def greeting(settings: Settings, locale: str) -> VoiceResponse:
    """H1: name the company and department."""
    response = VoiceResponse()
    company = settings.company
    if locale == "en":
        text = f"Hello, {company.name_en} {company.department_en}. How can I help you?"
    else:
        text = f"您好!{company.name}{company.department},请问有什么可以帮到你?"
    say(response, text, settings, locale)
    return response
