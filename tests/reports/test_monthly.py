"""Monthly report (H23): counts, complaints with results, charts, analysis, sign-off, HTML export."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.models import AuditLog, Call
from reports.models import MonthlyReport
from tests.reports.seed import local

URL = "/console/reports/monthly/2026-11"


def test_page_shows_counts_complaints_and_chart_canvases(lead_client, seeded):
    client, _ = lead_client
    page = client.get(URL).get_data(as_text=True)
    assert "2026-11-01 – 2026-11-30" in page
    assert 'data-kpi="in">10<' in page  # the seeded day's 9 calls and X0 on the 19th
    assert "K3" in page and "已满意" in page  # the complaint and its result (H17)
    assert "K4" in page and "待回访" in page
    for chart in ("daily", "cases", "complaints", "satisfaction"):
        assert f'data-chart="{chart}"' in page
    assert "vendor/chart.umd.js" in page and "@media print" in client.get(
        "/console/reports-static/reports.css").get_data(as_text=True)


def test_analysis_sign_off_freezes_the_figures(lead_client, seeded, db):
    client, token = lead_client
    empty = client.post(URL, data={"csrf_token": token, "action": "sign_off", "analysis": ""})
    assert empty.status_code == 400 and "analysis" in empty.get_data(as_text=True)
    saved = client.post(URL, data={"csrf_token": token, "action": "save", "analysis": "本月报修较多,C3 超时。"})
    assert saved.status_code == 302
    assert "本月报修较多" in client.get(URL).get_data(as_text=True)
    signed = client.post(URL, data={"csrf_token": token, "action": "sign_off",
                                    "analysis": "本月报修较多,已安排工程部跟进。"})
    assert signed.status_code == 302
    report = db.scalar(select(MonthlyReport).where(MonthlyReport.month == "2026-11"))
    db.refresh(report)
    assert report.signed_off_at is not None and report.analysis == "本月报修较多,已安排工程部跟进。"
    assert report.snapshot["summary"]["calls"]["in"] == 10
    # A call logged afterwards does not change the signed report …
    db.add(Call(call_sid="CAlate", purpose="caller", started_at=local(16, 0), status="completed"))
    db.commit()
    page = client.get(URL).get_data(as_text=True)
    assert 'data-kpi="in">10<' in page and "林班长" in page and "已签发" in page
    # … and the analysis is locked until the report is re-opened (audited).
    locked = client.post(URL, data={"csrf_token": token, "action": "save", "analysis": "changed"})
    assert locked.status_code == 400
    assert client.post(URL, data={"csrf_token": token, "action": "reopen"}).status_code == 302
    assert 'data-kpi="in">11<' in client.get(URL).get_data(as_text=True)
    actions = [a.action for a in db.scalars(select(AuditLog).where(AuditLog.target == "2026-11").order_by(AuditLog.id))]
    assert actions == ["monthly_analysis", "monthly_analysis", "monthly_sign_off", "monthly_reopen"]


def test_export_is_one_self_contained_printable_file(lead_client, seeded):
    client, token = lead_client
    client.post(URL, data={"csrf_token": token, "action": "sign_off", "analysis": "分析:服务水平偏低。"})
    response = client.get(URL + "/export.html")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="hotline-monthly-2026-11.html"'
    html = response.get_data(as_text=True)
    assert "分析:服务水平偏低。" in html and "@media print" in html
    assert "Chart.js v4" in html  # the chart library is inlined: the file works offline
    assert "<textarea" not in html and 'src="/' not in html and 'href="/console' not in html


def test_bad_month_and_agents(lead_client, client, make_user):
    lead, _ = lead_client
    assert lead.get("/console/reports/monthly/2026-13").status_code == 400
    assert lead.get("/console/reports/monthly/november").status_code == 400
    assert lead.get("/console/reports/monthly/9999-12").status_code == 400
    assert lead.get("/console/reports/monthly/9999-12/export.html").status_code == 400
    assert lead.get("/console/reports/monthly").status_code == 302


def test_month_boundaries_are_local(app, db, seeded):
    from reports.monthly import month_period

    p = month_period(app.config["HOTLINE"], "2026-11")
    assert p.start == local(0, 0, day=p.first) and p.end == local(0, 0, day=p.last + timedelta(days=1))
    assert p.days == 30
