"""Sign-out ends the session on the server: a cookie copied before it is refused afterwards;
admins can sign any user out everywhere."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.console.helpers import login, post_json


def _cookie(web) -> str:
    cookie = web.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replay(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value)
    return other.get("/console/api/desk", headers={"X-Requested-With": "fetch"})


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, make_user) -> None:
    make_user("alice")
    web = app.test_client()
    csrf = login(web, "alice")
    stolen = _cookie(web)
    assert _replay(app, stolen).status_code == 200
    assert web.post("/console/logout", data={"csrf_token": csrf}).status_code == 302
    assert _replay(app, stolen).status_code == 401
    page = app.test_client()
    page.set_cookie("session", stolen)
    assert page.get("/console/").status_code == 302  # to the sign-in page


def test_signing_out_one_browser_keeps_the_other(app, make_user) -> None:
    make_user("alice")
    first, second = app.test_client(), app.test_client()
    csrf = login(first, "alice")
    login(second, "alice")
    first.post("/console/logout", data={"csrf_token": csrf})
    assert second.get("/console/api/desk", headers={"X-Requested-With": "fetch"}).status_code == 200


def test_an_admin_signs_a_user_out_everywhere(app, make_user, db) -> None:
    alice, _ = make_user("alice")
    make_user("root", role="admin")
    browsers = [app.test_client(), app.test_client()]
    for web in browsers:
        login(web, "alice")
    admin = app.test_client()
    csrf = login(admin, "root")
    done = post_json(admin, f"/console/api/users/{alice.id}/sign-out-everywhere", csrf)
    assert done.status_code == 200 and done.get_json()["ended"] == 2
    for web in browsers:
        assert web.get("/console/api/desk", headers={"X-Requested-With": "fetch"}).status_code == 401
    from core.models import AuditLog

    assert db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "sign_out_everywhere")) == 1
    assert admin.get("/console/api/desk", headers={"X-Requested-With": "fetch"}).status_code == 200


def test_only_admins_sign_others_out(app, make_user) -> None:
    alice, _ = make_user("alice")
    make_user("lin", role="lead")
    victim = app.test_client()
    login(victim, "alice")
    lead = app.test_client()
    csrf = login(lead, "lin")
    assert post_json(lead, f"/console/api/users/{alice.id}/sign-out-everywhere", csrf).status_code == 403
    assert victim.get("/console/api/desk", headers={"X-Requested-With": "fetch"}).status_code == 200
    assert post_json(app.test_client(), f"/console/api/users/{alice.id}/sign-out-everywhere", csrf).status_code in (
        400, 401)


def test_a_user_signs_out_everywhere_from_one_browser(app, make_user) -> None:
    make_user("alice")
    first, second = app.test_client(), app.test_client()
    csrf = login(first, "alice")
    login(second, "alice")
    first.post("/console/logout", data={"csrf_token": csrf, "everywhere": "1"})
    assert second.get("/console/api/desk", headers={"X-Requested-With": "fetch"}).status_code == 401
