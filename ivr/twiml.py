"""Pure functions that build the caller's TwiML (the bridge's are in ``ivr.bridge_twiml``).

Each takes plain values (texts already chosen by ``ivr.prompts``, absolute URLs) and returns a
``VoiceResponse``; tests parse the XML (``tests/twiml.py``). ``<Say>`` with the locale's voice is
``core.twiml.say`` (shared with outbound calls, the console's transfer and the outage fallback).
"""

from __future__ import annotations

from collections.abc import Sequence

from twilio.twiml.voice_response import Gather, VoiceResponse

from core.config import Settings

# re-exported: the flow builds every answer through this module
from core.twiml import empty as empty
from core.twiml import leave as leave
from core.twiml import say, says
from core.twiml import say_and_hangup as say_and_hangup


def _gather(settings: Settings, locale: str, action: str, *, num_digits: int | None = 1,
            timeout: int | None = None, speech: bool = True, hints: str | None = None,
            finish_on_key: str | None = None) -> Gather:
    kwargs: dict[str, object] = {
        "input": "dtmf speech" if speech else "dtmf",
        "action": action,
        "method": "POST",
        "timeout": timeout or settings.routing.gather_timeout_s,
    }
    if num_digits:
        kwargs["num_digits"] = num_digits
    if speech:
        kwargs["language"] = settings.voices[locale].gather_language  # cmn-Hans-CN for Mandarin
        kwargs["speech_timeout"] = "auto"
        if hints:
            kwargs["hints"] = hints
    if finish_on_key is not None:
        kwargs["finish_on_key"] = finish_on_key
    return Gather(**kwargs)


def menu(settings: Settings, locale: str, lines: Sequence[str], menu_text: str, *, action: str,
         no_input_url: str, hints: str | None = None) -> VoiceResponse:
    """Lines (greeting H1, reprompt…) then the menu inside ``<Gather input="dtmf speech">``.

    Gather requests ``action`` only when input arrived; silence falls through to the
    ``<Redirect>`` (reprompt or an agent).
    """
    response = VoiceResponse()
    says(response, lines, settings, locale)
    gather = _gather(settings, locale, action, hints=hints)
    say(gather, menu_text, settings, locale)
    response.append(gather)
    response.redirect(no_input_url, method="POST")
    return response


def enqueue(settings: Settings, locale: str, lines: Sequence[str], queue_name: str, *, wait_url: str,
            action: str) -> VoiceResponse:
    """Say ``lines`` then wait in ``queue_name`` (the waitUrl loop reassures)."""
    response = VoiceResponse()
    says(response, lines, settings, locale)
    response.enqueue(queue_name, wait_url=wait_url, wait_url_method="POST", action=action, method="POST")
    return response


def wait_loop(settings: Settings, locale: str, reassurance: str, *, action: str, input_timeout: int,
              pause_s: int, play_url: str | None = None, play_loops: int = 0,
              hints: str | None = None, listen: bool = True) -> VoiceResponse:
    """One waitUrl document (H3): reassurance inside a Gather that listens for "1" /
    "call me back" (H9), then hold audio and/or a pause; Twilio then fetches waitUrl again."""
    response = VoiceResponse()
    if listen:
        gather = _gather(settings, locale, action, timeout=input_timeout, hints=hints)
        say(gather, reassurance, settings, locale)
        response.append(gather)
    else:
        say(response, reassurance, settings, locale)
    if play_url and play_loops > 0:
        response.play(play_url, loop=play_loops)
    if pause_s > 0:
        response.pause(length=pause_s)
    return response


def voicemail(settings: Settings, locale: str, lines: Sequence[str], *, action: str, max_length: int,
              transcribe_callback: str | None = None) -> VoiceResponse:
    """H4: leave a message (``<Record>``); Twilio transcribes English messages when asked."""
    response = VoiceResponse()
    says(response, lines, settings, locale)
    _record(response, action, max_length, transcribe_callback)
    return response


def _record(response: VoiceResponse, action: str, max_length: int, transcribe_callback: str | None) -> None:
    kwargs: dict[str, object] = {"action": action, "method": "POST", "max_length": max_length,
                                 "play_beep": True, "finish_on_key": "#", "timeout": 5}
    if transcribe_callback:
        kwargs.update(transcribe=True, transcribe_callback=transcribe_callback)
    response.record(**kwargs)


def offer_then_voicemail(settings: Settings, locale: str, text: str, *, action: str,
                         voicemail_action: str, max_length: int,
                         transcribe_callback: str | None = None) -> VoiceResponse:
    """No agent logged in: "press 1 for a call-back", otherwise leave a message."""
    response = VoiceResponse()
    gather = _gather(settings, locale, action, speech=False, timeout=settings.routing.gather_timeout_s)
    say(gather, text, settings, locale)
    response.append(gather)
    _record(response, voicemail_action, max_length, transcribe_callback)
    return response


def ask_digits(settings: Settings, locale: str, lines: Sequence[str], *, action: str,
               no_input_url: str, num_digits: int | None = 1, finish_on_key: str | None = None,
               timeout: int | None = None) -> VoiceResponse:
    """A keypad question; silence goes to ``no_input_url``."""
    response = VoiceResponse()
    gather = _gather(settings, locale, action, num_digits=num_digits, speech=False, timeout=timeout,
                     finish_on_key=finish_on_key)
    says(gather, lines, settings, locale)
    response.append(gather)
    response.redirect(no_input_url, method="POST")
    return response


def redirect(lines: Sequence[str], settings: Settings, locale: str, url: str,
             pause_s: int = 0) -> VoiceResponse:
    response = VoiceResponse()
    says(response, lines, settings, locale)
    if pause_s > 0:
        response.pause(length=pause_s)
    response.redirect(url, method="POST")
    return response
