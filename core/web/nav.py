"""The console's navigation registry: parts add their pages to the top bar.

``register_nav(app, label_zh, label_en, endpoint, roles=None, order=50, group=None)`` — call it
from your part's ``init_app(app)`` (any order; registering twice is harmless). The entries live
on the app (``app.extensions["nav"]``), so two apps in one process never share them.
An item shows only when its endpoint exists in the app and the signed-in user's role is in
``roles`` (``None`` = everyone signed in). Items are sorted by ``order`` then label.

The top bar shows a few groups so it fits one row on a 1280 px screen:
Desk · Cases · Live ▾ · Reports ▾ · Campaigns · Admin ▾. An item goes into ``group`` when given,
else into Reports ▾ (a lead's page).
A group with one visible item is a plain link to it; with more it is a drop-down.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for

from core.models import User


@dataclass(frozen=True)
class NavItem:
    label_zh: str
    label_en: str
    endpoint: str
    roles: frozenset[str] | None
    order: int
    group: str | None = None

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


@dataclass(frozen=True)
class NavGroup:
    key: str
    label_zh: str
    label_en: str
    order: int


GROUPS: dict[str, NavGroup] = {g.key: g for g in (
    NavGroup("desk", "工作台", "Desk", 10),
    NavGroup("cases", "工单", "Cases", 20),
    NavGroup("live", "实时", "Live", 30),
    NavGroup("reports", "报表", "Reports", 40),
    NavGroup("campaigns", "外呼活动", "Campaigns", 50),
    NavGroup("admin", "管理", "Admin", 60),
)}
DEFAULT_GROUP = "reports"

NAV_KEY = "nav"



def init_app(app: Flask) -> None:
    """An empty registry of this app's nav entries."""
    app.extensions.setdefault(NAV_KEY, {})


def _items(app: Flask) -> dict[str, NavItem]:
    return app.extensions.setdefault(NAV_KEY, {})


def register_nav(app: Flask, label_zh: str, label_en: str, endpoint: str, roles: set[str] | None = None,
                 order: int = 50, group: str | None = None) -> None:
    """Add (or replace) ``app``'s nav entry for ``endpoint`` (``group``: a key of ``GROUPS``)."""
    if group is not None and group not in GROUPS:
        raise ValueError(f"group: must be one of {', '.join(GROUPS)} (got {group!r})")
    _items(app)[endpoint] = NavItem(label_zh, label_en, endpoint, frozenset(roles) if roles else None, order, group)


def _visible(user: User) -> list[NavItem]:
    out = []
    for item in sorted(_items(current_app).values(), key=lambda i: (i.order, i.label_en)):
        if item.endpoint not in current_app.view_functions:
            continue
        if item.roles is not None and user.role not in item.roles:
            continue
        out.append(item)
    return out


def _entries(items: list[NavItem]) -> list[dict[str, object]]:
    """Each item as ``{label_zh, label_en, url, active}``: active is the page's own entry, or the
    entry whose address is the longest prefix of the page's (a month under Monthly)."""
    entries = [{"label_zh": i.label_zh, "label_en": i.label_en, "url": url_for(i.endpoint),
                "active": request.endpoint == i.endpoint} for i in items]
    if not any(e["active"] for e in entries):
        under = [e for e in entries if request.path.startswith(str(e["url"]).rstrip("/") + "/")
                 and str(e["url"]).rstrip("/") != "/console"]
        if under:
            max(under, key=lambda e: len(str(e["url"])))["active"] = True
    return entries


def nav_items(user: User | None) -> list[dict[str, object]]:
    """Entries visible to ``user`` in this app: ``{label_zh, label_en, url, active}``, flat."""
    return _entries(_visible(user)) if user is not None else []


def nav_groups(user: User | None) -> list[dict[str, object]]:
    """The top bar for ``user``: ``{key, label_zh, label_en, url, active, items}`` per group.

    ``url`` is set (and ``items`` empty) for a group with one visible item: it is that item's
    link, with the item's label."""
    if user is None:
        return []
    items = _visible(user)
    members: dict[str, list[dict[str, object]]] = {}
    for item, entry in zip(items, _entries(items), strict=True):
        key = item.group or DEFAULT_GROUP
        members.setdefault(key, []).append(entry)
    out = []
    for key, entries in sorted(members.items(), key=lambda kv: GROUPS[kv[0]].order):
        active = any(e["active"] for e in entries)
        if len(entries) == 1:
            out.append({"key": key, **entries[0], "items": []})
        else:
            group = GROUPS[key]
            out.append({"key": key, "label_zh": group.label_zh, "label_en": group.label_en, "url": None,
                        "active": active, "items": entries})
    return out
