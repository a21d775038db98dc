"""Bilingual pages (zh-CN / en): the language is kept in the session, default the company's.

Templates call ``t("中文", "English")``; JavaScript gets its strings from the page (``data-``
attributes or a JSON block), so there is one place per string and no catalogue to drift.
"""

from __future__ import annotations

from flask import current_app, session

LOCALES = ("zh-CN", "en")


def current_lang() -> str:
    lang = session.get("lang")
    if lang in LOCALES:
        return lang
    return current_app.config["HOTLINE"].company.default_locale


def t(zh: str, en: str) -> str:
    """The string for the page's language."""
    return en if current_lang() == "en" else zh
