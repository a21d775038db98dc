"""TwiML pieces every part uses; TwiML itself is always built with ``twilio.twiml``.

- ``say``/``says``: a ``<Say>`` in the locale's configured language and voice
  (``voices.<locale>``: Twilio's ``language``/``voice`` pair, e.g. ``cmn-CN`` with a Google
  voice for Mandarin); empty lines are not spoken.
- ``hangup``/``empty``/``leave``: the answers that say nothing; ``say_and_hangup``: last words.
- ``absolute_url``: the URL Twilio requests and signs (``public_url`` + path + query), for
  every action, waitUrl, status callback and call URL we hand to Twilio.
- ``twiml_response``: a view's XML answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from flask import Response
from twilio.twiml.voice_response import Gather, VoiceResponse

from core.config import Settings


def twiml_response(twiml: VoiceResponse | str, status: int = 200) -> Response:
    return Response(str(twiml), status=status, mimetype="text/xml")


def absolute_url(settings: Settings, path: str, **params: object) -> str:
    """An absolute webhook URL (what Twilio requests and signs); ``None`` values are left out."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{settings.public_url}{path}" + (f"?{query}" if query else "")


def say(node: VoiceResponse | Gather, text: str, settings: Settings, locale: str) -> None:
    """A ``<Say>`` with the locale's configured language/voice pair (nothing for an empty text)."""
    if not text:
        return
    voice = settings.voices[locale]
    kwargs: dict[str, Any] = {"language": voice.say_language}
    if voice.say_voice:
        kwargs["voice"] = voice.say_voice
    node.say(text, **kwargs)


def says(node: VoiceResponse | Gather, lines: Iterable[str], settings: Settings, locale: str) -> None:
    for line in lines:
        say(node, line, settings, locale)


def empty() -> VoiceResponse:
    """``<Response/>``: Twilio goes on (a status callback's answer, an ignored event)."""
    return VoiceResponse()


def hangup() -> VoiceResponse:
    response = VoiceResponse()
    response.hangup()
    return response


def say_and_hangup(settings: Settings, locale: str, lines: Iterable[str]) -> VoiceResponse:
    """The last words of a call (the closing H10, a refusal, a message left on a machine)."""
    response = VoiceResponse()
    says(response, lines, settings, locale)
    response.hangup()
    return response


def leave() -> VoiceResponse:
    """Take the caller out of the queue; the call continues at Enqueue's action."""
    response = VoiceResponse()
    response.leave()
    return response
