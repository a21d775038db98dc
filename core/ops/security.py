"""Web security for the console and API: headers, cookies, proxy headers, sign-in rate limit.

- Every response outside ``/ivr/`` (Twilio reads TwiML, not pages) gets a Content-Security-
  Policy allowing only this origin, ``X-Frame-Options: DENY``, ``Referrer-Policy``,
  ``X-Content-Type-Options: nosniff``; HSTS when ``public_url`` is https.
- Session (and Flask-Login remember) cookies: ``HttpOnly``, ``SameSite=Lax``, ``Secure``
  when ``public_url`` is https.
- ``server.proxy_fix: N`` trusts N proxies' ``X-Forwarded-*`` headers (werkzeug ProxyFix),
  so ``request.remote_addr`` (rate limits, audit) is the client's, not the balancer's.
- Sign-in rate limit (``core.ops.ratelimit``) applied to the console's sign-in endpoint.
- ``<int:…>`` URL converters are bounded to a database integer (404 beyond it, never a 500).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

#: ``<int:…>`` URL parts beyond a database integer (PostgreSQL ``integer``) do not match (404):
#: a path like ``/api/campaigns/10847543128030707706`` would otherwise reach the database
#: and fail there (SQLite OverflowError, PostgreSQL NumericValueOutOfRange) with a 500.
MAX_URL_INT = 2**31 - 1


class DatabaseIntConverter(IntegerConverter):
    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_URL_INT, signed: bool = False) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def _headers(https: bool):
    def add(response: Response) -> Response:
        if request.path.startswith("/ivr/"):
            return response
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if https:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return add


def init_app(app: Flask) -> None:
    settings = app.config["HOTLINE"]
    https = settings.public_url.startswith("https://")
    app.config.update(
        SESSION_COOKIE_SECURE=https, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https, REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax",
    )
    if settings.server.proxy_fix:
        n = settings.server.proxy_fix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n,  # type: ignore[method-assign]
                                x_prefix=n)
    app.after_request(_headers(https))
    # Before the parts register their blueprints (app.py calls ops.init_app first).
    app.url_map.converters["int"] = DatabaseIntConverter
