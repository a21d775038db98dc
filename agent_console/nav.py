"""The console's navigation registry: other parts add their pages to the top bar.

``register_nav(label_zh, label_en, endpoint, roles=None, order=50)`` — call it from your
part's ``init_app(app)`` (any order relative to the console; registering twice is harmless).
An item shows only when its endpoint exists in the app and the signed-in user's role is in
``roles`` (``None`` = everyone signed in). Items are sorted by ``order`` then label.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for

from core.models import User


@dataclass(frozen=True)
class NavItem:
    label_zh: str
    label_en: str
    endpoint: str
    roles: frozenset[str] | None
    order: int

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


_ITEMS: dict[str, NavItem] = {}


def register_nav(label_zh: str, label_en: str, endpoint: str, roles: set[str] | None = None,
                 order: int = 50) -> None:
    """Add (or replace) the nav entry for ``endpoint``."""
    _ITEMS[endpoint] = NavItem(label_zh, label_en, endpoint, frozenset(roles) if roles else None, order)


def nav_items(user: User | None) -> list[dict[str, object]]:
    """Entries visible to ``user`` in this app: ``{label_zh, label_en, url, active}``."""
    if user is None:
        return []
    out = []
    for item in sorted(_ITEMS.values(), key=lambda i: (i.order, i.label_en)):
        if item.endpoint not in current_app.view_functions:
            continue
        if item.roles is not None and user.role not in item.roles:
            continue
        out.append({"label_zh": item.label_zh, "label_en": item.label_en,
                    "url": url_for(item.endpoint), "active": request.endpoint == item.endpoint})
    return out
