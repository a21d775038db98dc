"""The agent console: sign-in, presence, the live call card, reply guidance, cases,
the team lead's live view — pages under ``/console/``, live updates by SSE.

Other parts build pages on it: see ``agent_console.auth`` (``login_required``,
``current_console_user``) and ``agent_console.nav`` (``register_nav``); templates extend
``console/base.html``; ``agent_console.live.publish`` pushes to pages; the pages follow ``core.events``.
"""

from __future__ import annotations

from flask import Flask, has_request_context


def init_app(app: Flask) -> None:
    """Register the console's blueprints, CSRF, sign-in, live updates and the template context."""
    from agent_console import (  # noqa: F401  (modules attach their routes to bp)
        auth,
        case_page,
        cases_api,
        cases_views,
        console_api,
        csrf,
        ivr_views,
        lead_views,
        live,
        models,
        simphone,
        views,
    )
    from agent_console.blueprint import bp
    from agent_console.i18n import current_lang, t
    from agent_console.nav import nav_groups, nav_items, register_nav
    from core.api import register_api

    csrf.init_app(app)
    auth.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(ivr_views.bp)
    register_api(app, cases_api.bp)
    live.init_app(app)
    simphone.init_app(app)
    leads = set(auth.LEAD_ROLES)
    register_nav("工作台", "Desk", "console.home", order=10)
    register_nav("班长实时视图", "Lead live view", "console.lead", roles=leads, order=20)
    register_nav("工单", "Cases", "console.cases_page", order=30)
    if app.extensions.get("simulator") is not None:
        from agent_console import sim_views

        app.register_blueprint(sim_views.bp)
        register_nav("模拟来电", "Simulate a caller", "console_sim.page", order=90)

    @app.template_filter("console_time")
    def _console_time(value: str | None) -> str:
        """An ISO UTC time from a service as local time (``hours.timezone``)."""
        from datetime import datetime
        from zoneinfo import ZoneInfo

        if not value:
            return "—"
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.astimezone(ZoneInfo(app.config["HOTLINE"].hours.timezone)).strftime("%Y-%m-%d %H:%M")

    @app.context_processor
    def _console_context() -> dict[str, object]:
        if not has_request_context():
            return {}
        user = auth.current_console_user()
        return {"console_user": user, "lang": current_lang(), "t": t, "nav_items": nav_items(user),
                "nav_groups": nav_groups(user),
                "is_lead": auth.has_role(user, auth.LEAD_ROLES), "company": app.config["HOTLINE"].company}


def start_background(app: Flask) -> None:
    """The serving process: raise long-call and service-level alerts every few seconds."""
    from agent_console.alerts import ensure_sweeper

    ensure_sweeper(app)
