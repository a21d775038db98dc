"""The web shell every console page is built on: sign-in and roles (``auth``), CSRF
(``csrf``), server-side console sessions (``sessions``), the navigation registry (``nav``),
the page language (``i18n``), the base template ``console/base.html`` and its assets.

Parts build pages on it::

    from core.web.auth import current_console_user, login_required
    from core.web.nav import register_nav

    def init_app(app):                      # the part's init_app
        register_nav(app, "外呼活动", "Campaigns", "campaigns.index", roles={"lead", "admin"},
                     group="campaigns")

Templates extend ``console/base.html``; ``t(zh, en)``, ``console_user``, ``lang``, ``nav_groups``
and ``company`` are in every template. ``set_home(app, endpoint)`` names the page sign-in
leads to (the agent console's desk).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, has_request_context

from core.web import auth, csrf, nav
from core.web.blueprint import bp
from core.web.i18n import current_lang, t

HOME_KEY = "web_home"


def set_home(app: Flask, endpoint: str) -> None:
    """The page signed-in users land on (after sign-in, from the forbidden page)."""
    app.extensions[HOME_KEY] = endpoint


def init_app(app: Flask) -> None:
    """CSRF, sign-in, the nav registry, the shell's blueprint and the template context."""
    csrf.init_app(app)
    auth.init_app(app)
    nav.init_app(app)
    app.register_blueprint(bp)

    @app.template_filter("console_time")
    def _console_time(value: str | None) -> str:
        """An ISO UTC time from a service as local time (``hours.timezone``)."""
        if not value:
            return "—"
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.astimezone(ZoneInfo(app.config["HOTLINE"].hours.timezone)).strftime("%Y-%m-%d %H:%M")

    @app.context_processor
    def _console_context() -> dict[str, object]:
        if not has_request_context():
            return {}
        user = auth.current_console_user()
        return {"console_user": user, "lang": current_lang(), "t": t, "nav_items": nav.nav_items(user),
                "nav_groups": nav.nav_groups(user), "home_url": auth.home_url(),
                "is_lead": auth.has_role(user, auth.LEAD_ROLES), "company": app.config["HOTLINE"].company}
