"""The one decision on showing a customer's phone number in an API response (H25).

``phone_for(viewer, number)``: agents (and anyone without a lead role) get ``139****5678``;
leads and admins get the full number, and each response that showed any full number leaves
one audit entry (``phone_numbers_shown``: who, which path, how many). Values that are not
phone numbers (``client:alice``, withheld) pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from sqlalchemy.exc import SQLAlchemyError

from core.db import session
from core.models import AuditLog, Role, User
from core.phone import mask

REVEAL_ROLES = frozenset({Role.LEAD.value, Role.ADMIN.value})


def _is_number(value: str) -> bool:
    return value.startswith("+") or value[:1].isdigit()


def phone_for(viewer: User | None, number: str | None) -> str | None:
    """``number`` as ``viewer`` may see it; full numbers are noted for the audit entry."""
    if not number or not _is_number(number):
        return number
    if viewer is None or viewer.role not in REVEAL_ROLES:
        return mask(number)
    if has_request_context():
        g.phones_shown = g.get("phones_shown", 0) + 1
        g.phones_shown_by = viewer.id
    return number


def with_phones(viewer: User | None, row: Mapping[str, Any], *fields: str) -> dict[str, Any]:
    """A copy of ``row`` with each of ``fields`` passed through ``phone_for``."""
    out = dict(row)
    for field in fields:
        if field in out:
            out[field] = phone_for(viewer, out[field])
    return out


def _audit_shown(response: Response) -> Response:
    shown = g.pop("phones_shown", 0)
    if not shown or response.status_code >= 400:
        return response
    s = session()
    try:
        s.add(AuditLog(user_id=g.pop("phones_shown_by", None), action="phone_numbers_shown",
                       target=request.path[:200], detail={"count": shown, "method": request.method}))
        s.commit()
    except SQLAlchemyError:
        s.rollback()
        current_app.logger.warning("could not audit the phone numbers shown on %s", request.path)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_audit_shown)
