"""Where a ``next=`` parameter may send the browser: only a plain path on this site.

Browsers treat ``//host``, ``/\\host`` and paths with tabs or newlines stripped out as other
sites, so anything that is not a plain absolute path — before or after percent-decoding — is
refused; callers fall back to their default page. Used by sign-in and the language switch.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def _plain_path(value: str) -> bool:
    if not value.startswith("/") or value.startswith("//"):
        return False
    if "\\" in value or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value):
        return False  # backslashes, spaces, tabs, CR/LF and other control characters
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a plain same-site path (also once and twice decoded), else None."""
    if not value or len(value) > 2000:
        return None
    once = unquote(value)
    if all(_plain_path(v) for v in (value, once, unquote(once))) and "%" not in unquote(once):
        return value
    return None
