"""Two apps in one process keep their own registries: nav entries, the OpenAPI document,
health checks and metric collectors live on the app (``app.extensions``), not in modules."""

from __future__ import annotations

from flask import Blueprint

from core.api import Reply, api_blueprint, register_api, reply, responses
from core.ops.health import add_health_check
from core.web.auth import login_required
from core.web.nav import register_nav
from tests.console.helpers import login


def _extra_page(app):
    extra = Blueprint("only_here", __name__)

    @extra.get("/console/only-here")
    @login_required({"lead", "admin"})
    def page():
        return {"ok": True}

    app.register_blueprint(extra)


def test_a_nav_entry_of_one_app_never_shows_in_another(make_app, make_user):
    first, second = make_app(), make_app()
    for app in (first, second):
        _extra_page(app)  # the endpoint exists in both: only the registry decides
    register_nav(first, "仅此", "Only here", "only_here.page", roles={"lead", "admin"})
    make_user("lin", role="lead")  # both apps share the test's database
    pages = []
    for app in (first, second):
        client = app.test_client()
        login(client, "lin")
        pages.append(client.get("/console/").get_data(as_text=True))
    assert 'href="/console/only-here"' in pages[0]
    assert 'href="/console/only-here"' not in pages[1]
    assert "campaigns.index" in first.extensions["nav"] and "campaigns.index" in second.extensions["nav"]


def test_the_openapi_document_and_health_checks_are_per_app(make_app):
    first, second = make_app(), make_app()
    only_here = api_blueprint("only_here_api", __name__)

    @only_here.get("/only-here", responses=responses({200: Reply}))
    def only_here_view():
        """Only in the first app."""
        return reply(Reply, {})

    register_api(first, only_here)
    add_health_check(first, "only_here", lambda app: {"ok": True, "note": "first"})
    docs = [app.test_client().get("/api/openapi.json").get_json()["paths"] for app in (first, second)]
    assert "/api/only-here" in docs[0] and "/api/only-here" not in docs[1]
    assert "/api/queue" in docs[0] and "/api/queue" in docs[1]
    checks = [app.test_client().get("/healthz").get_json()["checks"] for app in (first, second)]
    assert checks[0]["only_here"] == {"ok": True, "note": "first"} and "only_here" not in checks[1]
    assert "scheduler" in checks[0] and "scheduler" in checks[1]


def test_two_apps_keep_their_own_clock_and_library(make_app, tmp_path):
    """Each app's simulator drives that app's clock only; each app reads its own library folder
    with its own company names; outside both, the wall clock and the shipped library."""
    from core import clock, db
    from scripts_library import service

    first = make_app({"library": {"dir": str(tmp_path / "lib-first")}, "company": {"name": "国购"}})
    second = make_app({"library": {"dir": str(tmp_path / "lib-second")}})
    prompts = tmp_path / "lib-second" / "zh-CN" / "prompts_inbound.yaml"
    prompts.write_text(prompts.read_text(encoding="utf-8").replace(
        '"{company}{department},我能帮助您吗?"', '"{company}{department},请讲。"'), encoding="utf-8")
    with second.app_context():
        service.reload()

    first.extensions["simulator"].advance(2 * 3600)  # two virtual hours on the first app only
    with first.test_request_context("/"):
        first_now = clock.utcnow()
        first_greeting = service.get_prompt("greeting_short")
    with second.test_request_context("/"):
        second_now = clock.utcnow()
        second_greeting = service.get_prompt("greeting_short")
    with db.session_scope(second):  # a job's session works on its app's clock
        assert abs((db.utcnow() - second_now).total_seconds()) < 60
    assert (first_now - second_now).total_seconds() > 7000
    assert abs((clock.utcnow() - second_now).total_seconds()) < 60  # no app: the wall clock
    assert clock.utcnow(first) >= first_now
    assert first_greeting.startswith("国购") and first_greeting.endswith("我能帮助您吗?")
    assert second_greeting.endswith(",请讲。") and not second_greeting.startswith("国购")
    assert service.get_prompt("greeting_short").endswith("我能帮助您吗?")  # no app: the shipped library
    with first.app_context():
        assert service.get_matcher() is not service.get_matcher(tmp_path / "lib-second")
