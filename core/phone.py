"""Phone numbers: stored E.164 everywhere (phonenumbers), masked for agents (H25)."""

from __future__ import annotations

import phonenumbers

WITHHELD = {"anonymous", "unknown", "restricted", "private", "unavailable", ""}


class InvalidNumber(ValueError):
    """The text is not a dialable phone number; the message says why."""


def to_e164(raw: str, default_region: str = "CN") -> str:
    """Normalise ``raw`` to E.164, or raise InvalidNumber with a reason."""
    text = (raw or "").strip()
    if not text:
        raise InvalidNumber("empty phone number")
    if len(text) > 40:
        raise InvalidNumber("phone number too long")
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(f"not a valid number for its region: {text}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def caller_number(raw: str | None, default_region: str = "CN") -> str | None:
    """A Twilio ``From``: E.164 when it is a real number; None when withheld or unparseable.

    Client legs (``client:alice``) are not phone numbers either.
    """
    text = (raw or "").strip()
    if text.lower() in WITHHELD or text.startswith("client:"):
        return None
    try:
        return to_e164(text, default_region)
    except InvalidNumber:
        return None


def mask(e164: str | None) -> str:
    """138****5678 style: keep the first 3 national digits and the last 4 (H25)."""
    if not e164:
        return "—"
    digits = e164.lstrip("+")
    try:
        parsed = phonenumbers.parse(e164, None)
        digits = str(parsed.national_number)
    except phonenumbers.NumberParseException:
        pass
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 1)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
