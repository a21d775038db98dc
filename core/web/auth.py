"""Console sign-in, sessions and roles (H25 audit).

API for the other parts' pages (campaigns, reports…)::

    from core.web.auth import login_required, current_console_user
    from core.web.nav import register_nav

    @bp.get("/campaigns")
    @login_required({"lead", "admin"})      # agents get a 403 page; signed-out users the sign-in page
    def campaigns():
        user = current_console_user()       # the core.models.User row (request session) or None
        return render_template("campaigns.html")   # {% extends "console/base.html" %}

    def init_app(app):                      # your part's init_app
        register_nav(app, "外呼活动", "Campaigns", "campaigns.campaigns", roles={"lead", "admin"})

- ``login_required()`` / ``@login_required`` (any signed-in user) or ``login_required(roles)``.
  Requests that want JSON (``Accept: application/json``, ``fetch`` with ``X-Requested-With``,
  ``text/event-stream``) get 401/403 JSON instead of a redirect / page.
- Every POST outside ``/api/``, ``/ivr/`` and ``/simulator/`` needs the CSRF token: forms put
  ``<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">``, scripts send the
  ``X-CSRFToken`` header with the value of ``<meta name="csrf-token">`` (base.html has it).
- Base template blocks: ``title``, ``content``, ``scripts`` (and ``head``); ``t(zh, en)`` picks
  the page language; ``console_user`` and ``lang`` are in every template.
- Sign-ins, failed sign-ins and sign-outs are written to the audit log (H25).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import session as db_session
from core.models import AuditLog, Presence, Role, User
from core.ops.ratelimit import limit_sign_in
from core.presence import announce, set_presence
from core.redirects import safe_next
from core.users import check_password
from core.web import sessions as console_sessions
from core.web.blueprint import bp
from core.web.i18n import LOCALES, t

login_manager = LoginManager()
LEAD_ROLES = frozenset({Role.LEAD.value, Role.ADMIN.value})


class ConsoleUser(UserMixin):
    """Flask-Login's view of a ``User`` row and one server-side session (``sessions``); the id
    changes when the password does, and stops loading once the session is ended."""

    def __init__(self, row: User, session_key: str = ""):
        self.row = row
        self.session_key = session_key

    def get_id(self) -> str:
        return f"{self.row.id}:{_fingerprint(self.row)}:{self.session_key}"


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:12]


@login_manager.user_loader
def _load_user(user_id: str) -> ConsoleUser | None:
    raw_id, _, rest = user_id.partition(":")
    fingerprint, _, key = rest.partition(":")
    if not raw_id.isdigit():
        return None
    s = db_session()
    user = s.get(User, int(raw_id))
    if user is None or not user.active or _fingerprint(user) != fingerprint:
        return None
    if not console_sessions.alive(s, user.id, key):
        return None  # signed out (here or everywhere): the copied cookie is worthless
    return ConsoleUser(user, key)


def current_console_user() -> User | None:
    """The signed-in ``User`` (loaded in the request's session), or None."""
    if current_user and current_user.is_authenticated:
        return current_user.row
    return None


def has_role(user: User | None, roles: Iterable[str] | None) -> bool:
    return user is not None and (roles is None or user.role in set(roles))


def wants_json() -> bool:
    accept = request.accept_mimetypes
    return (request.headers.get("X-Requested-With") == "fetch" or request.is_json
            or "text/event-stream" in (request.headers.get("Accept") or "")
            or (accept.best == "application/json"))


def login_required(roles: set[str] | Callable | None = None) -> Callable:
    """Page views: require a signed-in user, optionally with one of ``roles``."""
    if callable(roles):  # used bare: @login_required
        return login_required(None)(roles)
    allowed = frozenset(roles) if roles else None

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_console_user()
            if user is None:
                if wants_json():
                    return jsonify(error="sign in first"), 401
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if allowed is not None and user.role not in allowed:
                if wants_json():
                    return jsonify(error=f"this needs the role {' or '.join(sorted(allowed))}"), 403
                return render_template("console/forbidden.html"), 403
            return view(*args, **kwargs)

        return wrapper

    return decorator


def home_url() -> str:
    """The page signed-in users land on (``core.web.set_home``), else the console's root."""
    endpoint = current_app.extensions.get("web_home")
    return url_for(endpoint) if endpoint and endpoint in current_app.view_functions else "/console/"


def audit(s: Session, user_id: int | None, action: str, target: str | None = None, **detail: Any) -> None:
    s.add(AuditLog(user_id=user_id, action=action, target=target, detail=detail))


def authenticate(s: Session, name: str, password: str) -> User | None:
    """The active user with this name and password; audits success and failure (H25)."""
    user = s.scalar(select(User).where(User.name == name))
    ok = user is not None and user.active and check_password(user, password)
    audit(s, user.id if ok and user else None, "sign_in" if ok else "sign_in_failed", target=name[:120],
          ip=request.remote_addr)
    return user if ok else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    errors: dict[str, str] = {}
    name = ""
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        password = request.form.get("password") or ""
        if not name:
            errors["name"] = t("用户名:必填", "name: required")
        elif len(name) > 64:
            errors["name"] = t("用户名:最多 64 个字符", "name: at most 64 characters")
        if not password:
            errors["password"] = t("密码:必填", "password: required")
        if not errors:
            s = db_session()
            user = authenticate(s, name, password)
            if user is None:
                s.commit()
                errors["password"] = t("用户名或密码不正确", "name or password: not recognised")
            else:
                lang = session.get("lang")
                session.clear()  # no fixation: a fresh session on sign-in
                if lang:
                    session["lang"] = lang
                if user.presence == Presence.OFFLINE and set_presence(s, user, Presence.AWAY):
                    s.commit()
                    announce(current_app._get_current_object(), user.id, user.presence)
                key = console_sessions.start(s, user.id, current_app.permanent_session_lifetime)
                s.commit()
                login_user(ConsoleUser(user, key))
                for hook in current_app.extensions.get("console_sign_in_hooks", []):
                    hook(user)
                return redirect(safe_next(request.args.get("next")) or home_url())
    status = 400 if errors else 200
    return render_template("console/login.html", errors=errors, name=name), status


@bp.post("/logout")
def logout():
    """Sign out: the session ends on the server too; ``everywhere=1`` ends all of the user's."""
    user = current_console_user()
    if user is not None:
        s = db_session()
        everywhere = request.form.get("everywhere") == "1"
        if everywhere:
            console_sessions.end_all(s, user.id)
        else:
            console_sessions.end(s, current_user.session_key)
        audit(s, user.id, "sign_out_everywhere" if everywhere else "sign_out", target=user.name)
        changed = set_presence(s, user, Presence.OFFLINE)  # routing stops offering calls
        s.commit()
        if changed:
            announce(current_app._get_current_object(), user.id, Presence.OFFLINE)
    logout_user()
    flash(t("您已退出。", "You are signed out."))
    return redirect(url_for("web.login"))


@bp.post("/api/users/<int:user_id>/sign-out-everywhere")
@login_required({Role.ADMIN.value})
def sign_out_everywhere(user_id: int):
    """Admins: end every console session of ``user_id`` (a lost laptop, a leaver). Audited (H25)."""
    s = db_session()
    target = s.get(User, user_id)
    if target is None:
        return jsonify(error=f"user: no user {user_id}"), 404
    ended = console_sessions.end_all(s, target.id)
    me = current_console_user()
    audit(s, me.id if me else None, "sign_out_everywhere", target=target.name, ended=ended)
    s.commit()
    return jsonify(user=target.name, ended=ended)


@bp.get("/lang/<code>")
def set_lang(code: str):
    if code not in LOCALES:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or home_url())


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    limit_sign_in(app, "web.login")
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.extensions.setdefault("console_sign_in_hooks", [])

    @login_manager.unauthorized_handler
    def _unauthorized():
        if wants_json():
            return jsonify(error="sign in first"), 401
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
