"""Returning TwiML from views. TwiML itself is always built with ``twilio.twiml``."""

from flask import Response
from twilio.twiml.voice_response import VoiceResponse


def twiml_response(twiml: VoiceResponse | str, status: int = 200) -> Response:
    return Response(str(twiml), status=status, mimetype="text/xml")
