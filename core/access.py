"""Who is asking: the one place that resolves a request's user from a bearer token or a
console session, for routes that accept both (the simulator's control API).

Bearer tokens (``Authorization: Bearer …``) win over the session cookie; a session request
that changes state must also carry the CSRF token (the console's CSRF check does that by path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Response, jsonify, request
from flask_login import current_user

from core.db import session
from core.models import Role, User
from core.users import user_for_token

LEAD_ROLES = frozenset({Role.LEAD.value, Role.ADMIN.value})


def bearer_token() -> str | None:
    """The bearer token of this request, or None when it sent none."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def request_user() -> User | None:
    """The bearer token's user, else the signed-in console user, else None."""
    token = bearer_token()
    if token is not None:
        return user_for_token(session(), token)
    if current_user and current_user.is_authenticated:
        return getattr(current_user, "row", None)
    return None


def role_guard(roles: Iterable[str]) -> Callable[[], Response | tuple[Response, int] | None]:
    """A ``before_request`` check: 401 JSON when nobody is signed in, 403 for other roles."""
    allowed = frozenset(roles)

    def guard() -> tuple[Response, int] | None:
        user = request_user()
        if user is None:
            return jsonify(error="sign in first (a lead or admin session or bearer token)"), 401
        if user.role not in allowed:
            return jsonify(error=f"this needs the role {' or '.join(sorted(allowed))}"), 403
        return None

    return guard
