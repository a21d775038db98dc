"""The reports part's page blueprint (``/console/...``, endpoints ``reports.*``) and view helpers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from core.config import Settings

bp = Blueprint("reports", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/reports-static")

LEADS = {"lead", "admin"}


def settings() -> Settings:
    return current_app.config["HOTLINE"]


def bad_request(message: str, status: int = 400) -> Any:
    """Bad input on a page: the console's error page with the reason, never a 500."""
    return render_template("console/error.html", status=status, message=message), status


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def secs(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}s"


def init_filters(app: Any) -> None:
    app.add_template_filter(pct, "pct")
    app.add_template_filter(secs, "secs")
