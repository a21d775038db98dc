"""TwiML pieces every part uses; TwiML itself is always built with ``twilio.twiml``.

- ``say``/``says``: a ``<Say>`` in the locale's configured language and voice
  (``voices.<locale>``: Twilio's ``language``/``voice`` pair, e.g. ``cmn-CN`` with a Google
  voice for Mandarin); empty lines are not spoken.
- ``hangup``/``empty``/``leave``: the answers that say nothing; ``say_and_hangup``: last words.
- ``absolute_url``: the URL Twilio requests and signs (``public_url`` + path + query), for
  every action, waitUrl, status callback and call URL we hand to Twilio.
- ``twiml_response``: a view's XML answer (``to_xml``: twilio's serialisation, written directly).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from flask import Response
from twilio.twiml import TwiML
from twilio.twiml.voice_response import Gather, VoiceResponse

from core.config import Settings


def twiml_response(twiml: VoiceResponse | str, status: int = 200) -> Response:
    return Response(twiml if isinstance(twiml, str) else to_xml(twiml), status=status, mimetype="text/xml")


_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                            "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"})
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def to_xml(node: TwiML) -> str:
    """``str(node)`` — the same characters twilio's ElementTree serialisation writes (the XML
    declaration, attributes sorted, ElementTree's escaping, `` />`` for an empty verb) — written
    directly from the TwiML tree: a quarter of the CPU of building ElementTree elements first."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>']
    if not _write(node, parts):
        return str(node)  # a bare string nested in a verb: twilio's own rules for text and tails
    return "".join(parts)


def _write(node: TwiML, parts: list[str]) -> bool:
    attributes = "".join(f' {key}="{_attribute(node.attrs[key])}"' for key in sorted(node.attrs))
    value = node.value
    if isinstance(value, dict):
        value = json.dumps(value)
    if not value and not node.verbs:
        parts.append(f"<{node.name}{attributes} />")
        return True
    parts.append(f"<{node.name}{attributes}>")
    if value:
        parts.append(str(value).translate(_TEXT))
    for verb in node.verbs:
        if isinstance(verb, str) or not _write(verb, parts):
            return False
    parts.append(f"</{node.name}>")
    return True


def _attribute(value: object) -> str:
    return (str(value).lower() if isinstance(value, bool) else str(value)).translate(_ATTRIBUTE)


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
