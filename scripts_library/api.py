"""``POST /api/check`` and ``POST /api/suggest``: the CLI's JSON over HTTP.

Body ``{"text": str, "locale"?: str, "k"?: int, "kinds"?: [str], "context"?: {placeholder: value}}``; any
bearer token (agent, lead or admin). Bad input answers 400 ``{"error": ...}``, never 500.
"""

from __future__ import annotations

from typing import Literal

from flask import Flask
from pydantic import Field, RootModel, field_validator

from core.api import Body, Reply, api_auth, api_blueprint, register_api, reply, responses, whole_number
from core.config import ConfigError

from . import service
from .loader import LibraryError
from .locales import canonical_locale

bp = api_blueprint("library_api", __name__)

MAX_K = 50
#: what ``canonical_locale`` accepts: empty (zh-CN) or a zh/cmn/yue/en tag with any region, any case
HowMany = whole_number(0, MAX_K)
LOCALE_PATTERN = r"^\s*(([Zz][Hh]|[Cc][Mm][Nn]|[Yy][Uu][Ee]|[Ee][Nn])([-_].*)?)?\s*$"


class LibraryRequest(Body):
    """What was said or typed, in which language, with the placeholders' values."""

    text: str = Field(description="what was said or typed; empty gives []; at most library.max_text_chars")
    locale: str | None = Field(default=None, pattern=LOCALE_PATTERN,
                               description="zh-CN (default; any zh-*), zh-TW, zh-HK or en")
    k: HowMany | None = Field(
        default=None, description="suggest only: how many replies (default library.default_k)")
    kinds: list[Literal["approved", "prompt"]] = Field(
        default=["approved"], min_length=1, description="suggest only: which kinds of entries to rank")
    context: dict[str, str | int | float] | None = Field(
        default=None, description="placeholder values: title, hours, agent_id, company…")

    @field_validator("locale", mode="before")
    @classmethod
    def _known_locale(cls, locale: object) -> object:
        if isinstance(locale, str):
            canonical_locale(locale)  # UnknownLocale (a ValueError) names the accepted tags
        return locale

    @field_validator("text")
    @classmethod
    def _not_too_long(cls, text: str) -> str:
        limit = service.current_settings().max_text_chars
        if len(text) > limit:
            raise ValueError(f"{len(text)} characters, the limit is {limit}")
        return text


class Flag(Reply):
    """A forbidden phrasing found in the text, with the approved alternatives."""

    start: int
    end: int
    situation: str
    forbidden: str
    score: float
    alternatives: list[str]


class Flags(RootModel[list[Flag]]):
    """Every flagged span, in text order."""


class Suggestion(Reply):
    id: str
    situation: str
    text: str
    score: float


class Suggestions(RootModel[list[Suggestion]]):
    """Approved replies, best first."""


@bp.post("/check", responses=responses({200: Flags}, 413))
@api_auth()
def check_view(body: LibraryRequest):
    """Flag forbidden phrasing (same JSON as ``python -m scripts_library check``)."""
    return reply(Flags, service.check(body.text, canonical_locale(body.locale), body.context))


@bp.post("/suggest", responses=responses({200: Suggestions}, 413))
@api_auth()
def suggest_view(body: LibraryRequest):
    """Rank approved replies for what was just said (same JSON as ``python -m scripts_library suggest``)."""
    k = service.current_settings().default_k if body.k is None else body.k
    return reply(Suggestions, service.suggest(body.text, canonical_locale(body.locale), k, body.context,
                                              tuple(body.kinds)))


def init_app(app: Flask) -> None:
    """Register the blueprint, apply the ``library:`` settings and load the library once."""
    settings = app.config.get("HOTLINE")
    library = getattr(settings, "library", None)
    company = getattr(settings, "company", None)
    defaults = {}
    if company is not None:
        defaults = {"zh-CN": {"company": company.name, "department": company.department},
                    "en": {"company": company.name_en, "department": company.department_en}}
    service.configure(library, defaults, app=app)  # on the app: app.extensions["scripts_library"]
    service.learn_in_background(app=app)  # a request never waits for the learned layer to train
    try:
        if library is not None and library.dir:
            service.ensure_library(library.dir)
        with app.app_context():
            service.get_matcher()
    except LibraryError as exc:
        raise ConfigError(f"invalid setting library.dir: the script library does not load: {exc}") from exc
    register_api(app, bp)
