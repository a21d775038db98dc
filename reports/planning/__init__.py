"""Workforce planning for team leads: forecast arrivals and handle times per interval, staff
them with Erlang C and Erlang A (plus shrinkage), roster agents on shift templates (H24), and
replay a past or forecast day through the real webhooks and the simulator under changes.

Modules: ``erlang`` (formulas), ``forecast``, ``staffing``, ``roster`` (+ ``models``),
``arrivals`` / ``replay`` / ``compare`` / ``whatif`` (what-if replay), ``service`` (what the
pages show), ``views`` (``/console/planning``), ``cli`` (``flask replay``, ``flask planning``),
``worker`` (a replay started from the page, in its own process).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from core import db
from core.web.nav import register_nav
from ivr.routing import add_preference
from reports.periods import to_local
from reports.planning import cli, roster, views

db.register_models("reports.planning.models")


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    cli.init_app(app)
    add_preference(app, roster.prefer_rostered)  # routing offers rostered agents first
    leads = {"lead", "admin"}
    register_nav(app, "排班规划", "Planning", "planning.planning_page", roles=leads, order=44)

    @app.template_filter("plan_time")
    def _plan_time(value: Any) -> str:
        """A naive-UTC datetime as local ``MM-DD HH:MM`` (``hours.timezone``)."""
        if value is None:
            return "—"
        return to_local(value, app.config["HOTLINE"].hours.zone).strftime("%m-%d %H:%M")
