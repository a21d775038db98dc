"""Scheduled e-mail of the daily summary and the monthly report (settings ``email.*``).

``deliver_due(app, now)`` runs on the scheduler leader's tick: after ``email.daily_at`` local
time it sends yesterday's summary, and on ``email.monthly_day`` last month's report (H23), each
once (a ``ReportDelivery`` row per kind and period is claimed before sending). A failed send is
recorded with its reason and tried again on later ticks, at most ``MAX_ATTEMPTS`` times.
Messages are plain text with the figures, and the report tables as CSV attachments (the
reports' CSV helper). Sent with the standard library's ``smtplib``.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import session_scope
from reports import csvout, trends
from reports.models import ReportDelivery
from reports.periods import Period, month_last_day, period, to_local
from reports.summary import summary

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
DAILY_TABLES = ("calls", "agents", "menu-options", "case-types", "trend")
MONTHLY_TABLES = ("calls", "agents", "menu-options", "case-types", "complaints", "rates", "trend")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _secs(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}s"


def body_lines(settings: Settings, report: dict[str, Any], zh: bool) -> list[str]:
    """The figures a lead reads first, one per line."""
    t = (lambda a, b: a) if zh else (lambda a, b: b)
    c, k, board = report["calls"], report["cases"], settings.wallboard
    lines = [
        f"{t('来电', 'Calls in')}: {c['in']}  {t('接听', 'answered')}: {c['answered']}  "
        f"{t('放弃', 'abandoned')}: {c['abandoned']}",
        f"{t('服务水平', 'Service level')}: {_pct(c['service_level'])} "
        f"({t('目标', 'target')} {_pct(board.service_level_target)})",
        f"{t('平均应答速度', 'Average speed of answer')}: {_secs(c['asa_s'])}  "
        f"{t('平均处理时长', 'average handle time')}: {_secs(c['aht_s'])}  "
        f"{t('超过 5 分钟', 'over 5 min')}: {c['over_5_min']}",
        f"{t('案件', 'Cases')}: {k['total']}  {t('未结', 'open')}: {k['open']}  {t('答复超时', 'overdue')}: {k['overdue']}",
        f"{t('总满意率', 'Overall satisfaction')}: {_pct(report['rates']['satisfaction']['overall'])}",
        "",
        t("按坐席(接听 / 平均处理时长):", "By agent (answered / average handle time):"),
    ]
    lines += [f"  {a['display_name']} {a['agent_code'] or ''}: {a['answered_in'] + a['answered_out']} / "
              f"{_secs(a['aht_s'])}" for a in report["by_agent"]] or [t("  (无)", "  (none)")]
    trend = report.get("trend")
    if trend:
        lines += ["", f"{t('与上一周期对比', 'Against the previous period')} ({trend['previous_from']}):"]
        shown = {"pct": _pct, "secs": _secs, "count": lambda v: "—" if v is None else str(v)}
        for row in trend["rows"]:
            fmt = shown[row["format"]]
            lines.append(f"  {row['label_zh'] if zh else row['label_en']}: {fmt(row['current'])} "
                         f"({t('上期', 'previous')} {fmt(row['previous'])})")
    return lines


def compose(s: Session, settings: Settings, kind: str, p: Period, now: datetime) -> EmailMessage:
    """The e-mail for the daily summary (``kind`` daily) or the monthly report of ``p``."""
    zh = settings.company.default_locale != "en"
    report = summary(s, settings, p, now)
    report["trend"] = trends.trend_block(s, settings, p, report, now)
    company = settings.company.name + settings.company.department if zh else \
        f"{settings.company.name_en} {settings.company.department_en}"
    what = (("每日汇总", "daily summary") if kind == "daily" else ("客服月报", "monthly report"))[0 if zh else 1]
    label = p.first.isoformat() if kind == "daily" else p.first.strftime("%Y-%m")
    message = EmailMessage()
    message["Subject"] = f"{company} {what} {label}"
    message["From"] = settings.email.sender
    message["To"] = ", ".join(settings.email.recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.email.sender.rpartition("@")[2] or None)
    head = f"{company} · {what} · {p.label()} ({settings.hours.timezone})"
    message.set_content("\n".join([head, "", *body_lines(settings, report, zh), ""]), charset="utf-8")
    for name in DAILY_TABLES if kind == "daily" else MONTHLY_TABLES:
        header, rows = csvout.table(name, report)
        message.add_attachment(csvout.csv_text(header, rows).encode("utf-8"), maintype="text", subtype="csv",
                               filename=f"hotline-{name}-{label}.csv")
    return message


def send(settings: Settings, message: EmailMessage) -> None:
    """Hand ``message`` to the SMTP server (``email.smtp_*``); raises OSError/SMTPException."""
    cfg = settings.email
    if cfg.smtp_security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(cfg.smtp_host, cfg.smtp_port, timeout=cfg.smtp_timeout_s,
                                                context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.smtp_timeout_s)
    with client:
        if cfg.smtp_security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if cfg.smtp_user:
            client.login(cfg.smtp_user, cfg.smtp_password or "")
        client.send_message(message)


def due(settings: Settings, now: datetime) -> list[tuple[str, str, date, date]]:
    """(kind, period key, first, last) of the reports that should have gone out by ``now``."""
    local = to_local(now, settings.hours.zone)
    hour, minute = (int(x) for x in settings.email.daily_at.split(":"))
    if (local.hour, local.minute) < (hour, minute):
        return []
    yesterday = local.date() - timedelta(days=1)
    out = [("daily", yesterday.isoformat(), yesterday, yesterday)]
    if local.day == settings.email.monthly_day:
        last_month = local.date().replace(day=1) - timedelta(days=1)
        first = last_month.replace(day=1)
        out.append(("monthly", first.strftime("%Y-%m"), first, month_last_day(first)))
    return out


def _claim(s: Session, kind: str, key: str, recipients: list[str]) -> ReportDelivery | None:
    """This process's turn to send (kind, key): a new row, or a failed one with attempts left."""
    row = s.scalar(select(ReportDelivery).where(ReportDelivery.kind == kind, ReportDelivery.period == key))
    if row is None:
        row = ReportDelivery(kind=kind, period=key, status="sending", attempts=0, recipients=recipients)
        s.add(row)
        try:
            s.flush()
        except IntegrityError:  # another process claimed it first
            s.rollback()
            return None
    elif row.status != "failed" or row.attempts >= MAX_ATTEMPTS:
        return None
    row.status, row.attempts = "sending", row.attempts + 1
    s.commit()
    return row


def deliver_due(app: Flask, now: datetime) -> int:
    """Send what is due and not yet sent; returns how many e-mails went out."""
    settings: Settings = app.config["HOTLINE"]
    if not settings.email.enabled or not settings.email.recipients:
        return 0
    sent = 0
    for kind, key, first, last in due(settings, now):
        with session_scope(app) as s:
            row = _claim(s, kind, key, list(settings.email.recipients))
            if row is None:
                continue
            try:
                send(settings, compose(s, settings, kind, period(settings, first, last), now))
            except (OSError, smtplib.SMTPException) as exc:
                log.warning("e-mail of the %s report %s failed: %s", kind, key, exc)
                row.status, row.error = "failed", str(exc)[:300]
            else:
                row.status, row.sent_at, row.error = "sent", now, None
                sent += 1
            s.commit()
    return sent
