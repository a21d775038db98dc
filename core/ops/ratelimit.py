"""Sliding-window rate limits kept in the database (``ops_rate_events``).

In the database, not in process memory, so the limit holds across gunicorn workers and web
machines: with N processes an in-memory counter would give an attacker N times the tries.
Keys are hashed (names and addresses are not stored in clear). Old events are pruned when
new ones are counted.

A sign-in view is limited without touching it: whoever registers it names its endpoint
(``limit_sign_in(app, endpoint)``; the web shell does for its sign-in page), then a ``before_request`` answers 429
(with ``Retry-After``) once ``ops.login_max_failures_per_name`` failures for that name, or
``ops.login_max_failures_per_ip`` for that client address, fall inside ``ops.login_window_s``;
an ``after_request`` counts a failed attempt (the page answered 4xx) and clears the name's
failures on success (a redirect). Another view can use the same limiter directly::

    from core.ops import login_limiter
    wait_s = login_limiter(app).retry_after(ip=request.remote_addr, name=name)
    ...
    login_limiter(app).hit(ip=..., name=...)      # a failure
    login_limiter(app).reset(name=...)            # a success
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from flask import Flask, Response, current_app, request
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from core.db import session_scope, utcnow
from core.ops.metrics import RATE_LIMITED
from core.ops.models import RateEvent

LOGIN_ENDPOINTS_KEY = "sign_in_endpoints"


class SlidingWindowLimiter:
    def __init__(self, app: Flask, name: str, window_s: float, limits: dict[str, int]):
        self.app = app
        self.name = name
        self.window = timedelta(seconds=window_s)
        self.limits = limits  # key kind (e.g. "ip", "name") → events allowed in the window

    def _key(self, kind: str, value: str) -> str:
        digest = hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()[:40]
        return f"{self.name[:20]}:{kind[:8]}:{digest}"

    def _keys(self, values: dict[str, str | None]) -> list[tuple[str, str]]:
        return [(kind, self._key(kind, value)) for kind, value in values.items()
                if value and kind in self.limits]

    def retry_after(self, **values: str | None) -> float:
        """Seconds until one more event is allowed for every given key (0: allowed now)."""
        now = utcnow()
        wait = 0.0
        with session_scope(self.app) as s:
            for kind, key in self._keys(values):
                limit = self.limits[kind]
                times = s.scalars(select(RateEvent.at).where(RateEvent.key == key, RateEvent.at > now - self.window)
                                  .order_by(RateEvent.at.desc()).limit(limit)).all()
                if len(times) >= limit:
                    wait = max(wait, (times[-1] + self.window - now).total_seconds())
        return wait

    def hit(self, **values: str | None) -> None:
        now = utcnow()
        with session_scope(self.app) as s:
            for _kind, key in self._keys(values):
                s.execute(delete(RateEvent).where(RateEvent.key == key, RateEvent.at <= now - self.window))
                s.add(RateEvent(key=key, at=now))

    def reset(self, **values: str | None) -> None:
        with session_scope(self.app) as s:
            for _kind, key in self._keys(values):
                s.execute(delete(RateEvent).where(RateEvent.key == key))


def login_limiter(app: Flask | None = None) -> SlidingWindowLimiter:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    limiter = app.extensions.get("ops_login_limiter")
    if limiter is None:
        ops = app.config["HOTLINE"].ops
        limiter = SlidingWindowLimiter(app, "login", ops.login_window_s,
                                       {"name": ops.login_max_failures_per_name,
                                        "ip": ops.login_max_failures_per_ip})
        app.extensions["ops_login_limiter"] = limiter
    return limiter


def _login_values() -> dict[str, str | None]:
    name = (request.form.get("name") or "").strip().lower()[:64]
    return {"ip": request.remote_addr or "unknown", "name": name or None}


def _too_many(wait_s: float) -> Response:
    minutes = max(1, math.ceil(wait_s / 60))
    body = ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>429</title></head><body>"
            f"<h1>登录尝试过多 · Too many sign-in attempts</h1><p>请 {minutes} 分钟后再试。"
            f" Please try again in {minutes} minute(s).</p></body></html>")
    response = Response(body, status=429, mimetype="text/html")
    response.headers["Retry-After"] = str(max(1, math.ceil(wait_s)))
    return response


def limit_sign_in(app: Flask, endpoint: str) -> None:
    """Rate-limit POSTs to ``endpoint`` (a sign-in form with ``name`` and ``password``)."""
    app.extensions.setdefault(LOGIN_ENDPOINTS_KEY, set()).add(endpoint)


def _is_sign_in() -> bool:
    return request.method == "POST" and request.endpoint in current_app.extensions.get(LOGIN_ENDPOINTS_KEY, ())


def _before_login() -> Response | None:
    if not _is_sign_in():
        return None
    try:
        wait_s = login_limiter().retry_after(**_login_values())
    except SQLAlchemyError:  # the database is down: sign-in fails on its own; do not 500 here
        return None
    if wait_s > 0:
        RATE_LIMITED.labels(limiter="login").inc()
        current_app.logger.warning("sign-in refused: rate limit (retry in %.0f s)", wait_s)
        response = _too_many(wait_s)
        response.headers["X-Hotline-Limited"] = "1"
        return response
    return None


def _after_login(response: Response) -> Response:
    if (not _is_sign_in()
            or response.headers.get("X-Hotline-Limited") or response.status_code == 413):
        return response  # a 413: the form was never read, and must not be read now
    values = _login_values()
    try:
        if 300 <= response.status_code < 400:
            login_limiter().reset(name=values["name"])
        elif response.status_code >= 400 and values["name"]:
            login_limiter().hit(**values)
    except SQLAlchemyError:
        current_app.logger.warning("sign-in rate limit: could not count the attempt (database error)")
    return response


def init_app(app: Flask) -> None:
    app.before_request(_before_login)
    app.after_request(_after_login)
