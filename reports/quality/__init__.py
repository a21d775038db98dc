"""Automatic quality review of every call and the team lead's spot-checks (docs/quality.md).

``scorecard`` scores a call from the handbook (pure), ``review`` stores the result after each
call ends (a scheduler tick hook, never inside a webhook), ``sampling`` draws the lead's daily
spot-checks, ``checks`` records the lead's decisions, ``figures`` and ``views``/``api`` report them.
"""

from __future__ import annotations

from flask import Flask

from core import db
from core.api import register_api
from core.web.nav import register_nav
from reports.quality import api, views
from reports.quality.review import score_due
from reports.quality.scorecard import clock
from scheduler.engine import add_tick_hook

db.register_models("reports.quality.models")


def init_app(app: Flask) -> None:
    register_api(app, api.bp)
    app.add_template_global(views.item_name, "item_name")
    app.add_template_global(views.result_name, "result_name")
    app.add_template_global(clock, "clock")
    app.add_template_global(views.local_time, "local_time")
    leads = {"lead", "admin"}
    register_nav(app, "质检抽查", "Spot-checks", "reports.quality_spot_checks", roles=leads, order=44, group="reports")
    register_nav(app, "质检报表", "QA report", "reports.quality_report", roles=leads, order=45, group="reports")
    register_nav(app, "我的质检", "My reviews", "reports.quality_mine", order=46, group="reports")
    add_tick_hook(app, score_due)  # score each answered call once it ended (and its wrap-up)
