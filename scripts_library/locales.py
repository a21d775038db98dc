"""Locale names: ``zh-CN`` and ``en``; Traditional-Chinese input (zh-TW, zh-HK) is read as Chinese."""

from __future__ import annotations

ACCEPTED = "zh-CN, zh-TW, zh-HK, zh, en (en-US, en-GB…)"


class UnknownLocale(ValueError):
    """The locale is not one the library serves."""


def canonical_locale(locale: str | None, default: str = "zh-CN") -> str:
    """Map a locale tag to the library locale: every ``zh*`` → ``zh-CN`` (traditional input
    is normalised to simplified by the matcher), every ``en*`` → ``en``."""
    if locale is None or not str(locale).strip():
        return default
    tag = str(locale).strip().replace("_", "-").lower()
    if tag in {"zh", "cmn", "yue"} or tag.startswith(("zh-", "cmn-", "yue-")):
        return "zh-CN"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    raise UnknownLocale(f"unknown locale {locale!r}: use one of {ACCEPTED}")
