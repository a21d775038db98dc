"""The agent console: presence, the live call card, reply guidance, cases, the team lead's
live view — pages under ``/console/``, live updates by SSE.

It is built on the web shell (``core.web``: sign-in, roles, CSRF, nav, base template);
``agent_console.live.publish`` pushes to pages; the pages follow ``core.events``.
"""

from __future__ import annotations

from flask import Flask

from agent_console import (  # noqa: F401  (modules attach their routes to bp)
    alerts,
    case_page,
    cases_api,
    cases_views,
    console_api,
    ivr_views,
    lead_views,
    live,
    models,
    recordings,
    sim_views,
    simphone,
    supervise_api,
    transfer_api,
    views,
)
from agent_console.blueprint import bp
from core import db
from core.api import register_api
from core.web import set_home
from core.web.auth import LEAD_ROLES
from core.web.nav import register_nav

db.register_models("agent_console.models")


def init_app(app: Flask) -> None:
    """Register the console's blueprints, live updates and nav entries."""
    app.register_blueprint(bp)
    app.register_blueprint(ivr_views.bp)
    register_api(app, cases_api.bp)
    register_api(app, recordings.api_bp)
    register_api(app, supervise_api.bp)
    register_api(app, transfer_api.api_bp)
    live.init_app(app)
    simphone.init_app(app)
    set_home(app, "console.home")
    leads = set(LEAD_ROLES)
    register_nav(app, "工作台", "Desk", "console.home", order=10, group="desk")
    register_nav(app, "班长实时视图", "Lead live view", "console.lead", roles=leads, order=20, group="live")
    register_nav(app, "工单", "Cases", "console.cases_page", order=30, group="cases")
    if app.extensions.get("simulator") is not None:
        app.register_blueprint(sim_views.bp)
        register_nav(app, "模拟来电", "Simulate a caller", "console_sim.page", order=90, group="admin")


def start_background(app: Flask) -> None:
    """The serving process: raise long-call and service-level alerts every few seconds."""
    alerts.ensure_sweeper(app)
