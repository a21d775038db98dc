"""The reports part's page blueprint (``/console/...``, endpoints ``reports.*``) and view helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template
from sqlalchemy.orm import Session

from agent_console.lookups import option_label
from core.config import Settings
from core.db import session
from core.models import User
from core.web.auth import current_console_user
from core.web.i18n import current_lang, t

bp = Blueprint("reports", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/reports-static")

LEADS = {"lead", "admin"}


def settings() -> Settings:
    return current_app.config["HOTLINE"]


def bad_request(message: str, status: int = 400) -> Any:
    """Bad input on a page: the console's error page with the reason, never a 500."""
    return render_template("console/error.html", status=status, message=message), status


def saved(step: Callable[[Session, User], Any], refused: type[Exception], done: str,
          then: Callable[[Any], str], reason: Callable[[Any], str] = str) -> Any:
    """A form's change made by the signed-in user, ``step(session, user)``: when it raises
    ``refused``, the error page (400) with ``reason(error)`` and nothing saved; else saved,
    ``done`` flashed and a redirect to ``then(what the step returned)``."""
    user = current_console_user()
    assert user is not None
    s = session()
    try:
        result = step(s, user)
    except refused as exc:
        s.rollback()
        return bad_request(reason(exc))
    s.commit()
    flash(done)
    return redirect(then(result))


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def secs(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}s"


#: Case kinds (H13 and the ones the parts open) in both languages.
CASE_KINDS: dict[str, tuple[str, str]] = {
    "routine": ("常规服务", "Routine"), "repair": ("报修", "Repair"), "complaint": ("投诉", "Complaint"),
    "inquiry": ("咨询", "Inquiry"), "message": ("留言", "Message"), "manager_callback": ("经理回电", "Manager call-back"),
    "recovery": ("挂断回访", "Recovery call-back"), "follow_up": ("跟进", "Follow-up"), "fees": ("缴费", "Fees"),
    "emergency": ("紧急", "Emergency"),
}


#: H16/H18 survey questions (the scheduler's step ids).
SURVEY_ITEMS: dict[str, tuple[str, str]] = {
    "survey_timeliness": ("及时性", "Timeliness"), "survey_attitude": ("服务态度", "Staff attitude"),
    "survey_quality": ("维修质量", "Quality"),
}


def item_label(item: str) -> str:
    names = SURVEY_ITEMS.get(item)
    return t(*names) if names else item


def kind_label(kind: str) -> str:
    names = CASE_KINDS.get(kind)
    return t(*names) if names else kind


#: Case statuses in both languages.
CASE_STATUSES: dict[str, tuple[str, str]] = {
    "open": ("待处理", "Open"), "dispatched": ("已派部门", "Dispatched"), "resolved": ("已解决", "Resolved"),
    "closed": ("已关闭", "Closed"),
}


def status_label(status: str) -> str:
    names = CASE_STATUSES.get(status)
    return t(*names) if names else status


def menu_label(option: str) -> str:
    """A menu choice as the caller heard it (``-``: none)."""

    if option in (None, "", "-"):
        return t("未选择", "No choice")
    return option_label(settings(), option, current_lang()) or option


def service_level_target() -> float:
    """The service level the reports colour green from (``wallboard.service_level_target``)."""
    return settings().wallboard.service_level_target


def init_filters(app: Any) -> None:
    app.add_template_global(service_level_target, "service_level_target")
    app.add_template_filter(status_label, "case_status")
    app.add_template_filter(menu_label, "menu")
    app.add_template_filter(pct, "pct")
    app.add_template_filter(secs, "secs")
    app.add_template_filter(kind_label, "kind")
    app.add_template_filter(item_label, "item")
