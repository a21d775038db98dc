"""Sign-in and roles, sessions with CSRF, lead pages hidden from agents (H25 audit)."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.models import AuditLog, Presence, User
from tests.console.helpers import csrf_token, login


def test_signed_out_console_redirects_to_sign_in(client):
    response = client.get("/console/")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    json = client.get("/console/", headers={"Accept": "application/json"})
    assert json.status_code == 401 and json.get_json()["error"]


def test_sign_in_with_csrf_and_audit(client, make_user, db):
    make_user("alice", display_name="Alice Wang")
    token = csrf_token(client)
    no_token = client.post("/console/login", data={"name": "alice", "password": "password123"})
    assert no_token.status_code == 400 and "CSRF" in no_token.get_data(as_text=True)
    wrong = client.post("/console/login", data={"name": "alice", "password": "nope-nope", "csrf_token": token})
    assert wrong.status_code == 400 and "用户名或密码不正确" in wrong.get_data(as_text=True)
    ok = client.post("/console/login?next=/console/", data={"name": "alice", "password": "password123",
                                                            "csrf_token": token})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/console/")
    page = client.get("/console/").get_data(as_text=True)
    assert "Alice Wang" in page and "坐席工作台" in page
    actions = [a.action for a in db.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert actions == ["sign_in_failed", "sign_in"]
    assert db.scalar(select(User).where(User.name == "alice")).presence == Presence.AWAY


def test_sign_in_validates_fields_by_name(client):
    token = csrf_token(client)
    page = client.post("/console/login", data={"name": "", "password": "", "csrf_token": token})
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and "用户名:必填" in text and "密码:必填" in text


def test_open_redirect_is_refused(client, make_user):
    make_user("alice")
    token = csrf_token(client)
    response = client.post("/console/login?next=//evil.example/", data={
        "name": "alice", "password": "password123", "csrf_token": token})
    assert response.headers["Location"].endswith("/console/")


def test_agents_are_refused_lead_pages_and_do_not_see_them(client, make_user):
    make_user("alice")
    login(client, "alice")
    assert client.get("/console/lead").status_code == 403
    assert "/console/lead" not in client.get("/console/").get_data(as_text=True)


def test_lead_sees_lead_nav_and_page(client, make_user):
    make_user("lin", role="lead")
    login(client, "lin")
    assert 'href="/console/lead"' in client.get("/console/").get_data(as_text=True)
    assert client.get("/console/lead").status_code == 200


def test_logout_needs_csrf_sets_offline_and_audits(client, make_user, db):
    make_user("alice")
    token = login(client, "alice")
    assert client.post("/console/logout").status_code == 400
    response = client.post("/console/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 302
    assert db.scalar(select(User).where(User.name == "alice")).presence == Presence.OFFLINE
    assert db.scalar(select(AuditLog).where(AuditLog.action == "sign_out")) is not None


def test_password_change_ends_sessions(client, make_user, app):
    make_user("alice")
    login(client, "alice")
    from werkzeug.security import generate_password_hash

    from core.db import session_scope

    with session_scope(app) as s:
        s.scalar(select(User).where(User.name == "alice")).password_hash = generate_password_hash("another-pass")
    assert client.get("/console/").status_code == 302


def test_language_switch(client, make_user):
    make_user("alice")
    login(client, "alice")
    client.get("/console/lang/en")
    page = client.get("/console/").get_data(as_text=True)
    assert "Agent desk" in page and 'lang="en"' in page
    assert client.get("/console/lang/xx").status_code == 404


def test_inactive_user_cannot_sign_in(client, make_user, app):
    make_user("gone")
    from core.db import session_scope

    with session_scope(app) as s:
        s.scalar(select(User).where(User.name == "gone")).active = False
    token = csrf_token(client)
    response = client.post("/console/login", data={"name": "gone", "password": "password123", "csrf_token": token})
    assert response.status_code == 400


def test_register_nav_api_for_other_parts(app, client, make_user):
    from flask import Blueprint

    from core.web.auth import current_console_user, login_required
    from core.web.nav import register_nav

    extra = Blueprint("extra_part", __name__)

    @extra.get("/console/extra")
    @login_required({"lead", "admin"})
    def page():
        return {"me": current_console_user().name}

    app.register_blueprint(extra)
    register_nav(app, "额外", "Extra", "extra_part.page", roles={"lead", "admin"})
    register_nav(app, "不存在", "Missing", "nowhere.page")  # no such endpoint: never shown
    make_user("lin", role="lead")
    login(client, "lin")
    home = client.get("/console/").get_data(as_text=True)
    assert 'href="/console/extra"' in home and "Missing" not in home
    assert client.get("/console/extra").get_json() == {"me": "lin"}


def test_api_and_ivr_are_csrf_exempt(client, twilio_post):
    assert client.post("/api/openapi.json").status_code in (401, 405)  # not 400 csrf
    assert twilio_post("/ivr/no-such-hook").status_code == 404  # signed, past CSRF, no such route


def test_the_top_bar_groups_pages_and_another_part_s_entry_lands_in_a_group(app, client, make_user):
    """Desk · Cases · Live ▾ · Reports ▾ · Campaigns · Admin ▾; a part's new lead page lands
    under Reports ▾ unless it names its group."""
    from flask import Blueprint

    from core.web.auth import login_required
    from core.web.nav import register_nav

    extra = Blueprint("planning_like", __name__)

    @extra.get("/console/planning")
    @login_required({"lead", "admin"})
    def plan():
        return {"ok": True}

    @extra.get("/console/settings-like")
    @login_required({"lead", "admin"})
    def admin_page():
        return {"ok": True}

    app.register_blueprint(extra)
    register_nav(app, "排班", "Planning", "planning_like.plan", roles={"lead", "admin"}, order=45)
    register_nav(app, "设置", "Settings", "planning_like.admin_page", roles={"lead", "admin"}, group="admin")
    make_user("lin", role="lead")
    login(client, "lin")
    page = client.get("/console/").get_data(as_text=True)
    groups = re.findall(r'<li (?:class="navgroup" )?data-group="(\w+)"', page)
    assert groups == ["desk", "cases", "live", "reports", "campaigns", "admin"]
    reports = page[page.index('data-group="reports"'):page.index('data-group="campaigns"')]
    admin = page[page.index('data-group="admin"'):]
    assert 'href="/console/planning"' in reports and 'href="/console/settings-like"' in admin
    make_user("alice", role="agent")
    agent = app.test_client()
    login(agent, "alice")
    page = agent.get("/console/").get_data(as_text=True)
    assert re.findall(r'<li (?:class="navgroup" )?data-group="(\w+)"', page) == ["desk", "cases", "reports", "admin"]
    assert 'href="/console/planning"' not in page
