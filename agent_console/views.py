"""Console pages: the agent's workspace and the team lead's live view (thin views)."""

from __future__ import annotations

from flask import render_template

from agent_console.auth import LEAD_ROLES, login_required
from agent_console.blueprint import bp


@bp.get("/")
@login_required()
def home():
    return render_template("console/agent.html")


@bp.get("/lead")
@login_required(set(LEAD_ROLES))
def lead():
    return render_template("console/lead.html")
