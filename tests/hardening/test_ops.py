"""/healthz, /metrics, structured logs with call_sid, security headers and cookies,
ProxyFix, and the sign-in rate limit."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.ops import observe_queue_wait, record_job_lag
from tests.conftest import twilio_form

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def samples(client: Any, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    out = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_healthz_reports_database_scheduler_gateway(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] in ("ok", "degraded")
    checks = body["checks"]
    assert checks["database"]["ok"] is True
    assert checks["gateway"] == {"ok": True, "mode": "simulator", "clock": "manual"}
    assert "leader" in checks["scheduler"]
    assert checks["spool"]["pending"] == 0


def test_healthz_names_the_scheduler_leader(app, client):
    from core.db import session_scope, utcnow
    from scheduler.lease import try_acquire

    with session_scope(app) as s:
        assert try_acquire(s, "node-a:123:abcd", 30, utcnow(app))
    scheduler = client.get("/healthz").get_json()["checks"]["scheduler"]
    assert scheduler["leader"] == "node-a:123:abcd"
    metrics = samples(client)
    assert metrics[("hotline_scheduler_leader", ())] == 1
    assert metrics[("hotline_scheduler_renewed_seconds_ago", ())] >= 0


def test_metrics_count_webhooks_by_route_and_read_the_queue(app, client, twilio_post):
    before = samples(client)
    key = ("hotline_request_seconds_count", (("method", "POST"), ("route", "/ivr/voice")))
    assert twilio_post("/ivr/voice").status_code == 200
    after = samples(client)
    assert after[key] - before.get(key, 0) == 1
    assert after[("hotline_queue_length", ())] == 0
    assert after[("hotline_database_up", ())] == 1
    assert ("hotline_agents", (("presence", "available"),)) in after


def test_metrics_hooks_for_job_lag_and_queue_waits(client):
    record_job_lag("dial_due", 2.5)
    observe_queue_wait(42, "bridged")
    after = samples(client)
    assert after[("hotline_job_lag_seconds", (("job", "dial_due"),))] == 2.5
    assert after[("hotline_queue_wait_seconds_count", (("outcome", "bridged"),))] >= 1


def test_queue_wait_is_observed_from_the_enqueue_action(client, twilio_post):
    key = ("hotline_queue_wait_seconds_count", (("outcome", "hangup"),))
    before = samples(client).get(key, 0)
    twilio_post("/ivr/queue/done", QueueResult="hangup", QueueTime="75")
    assert samples(client)[key] - before == 1


@pytest.mark.parametrize("app_overrides", [{"ops": {"metrics_token": "s3cret"}}])
def test_metrics_token(client, app_overrides):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert samples(client, Authorization="Bearer s3cret")


def test_logs_are_json_with_the_call_sid(app, client, capsys):
    form = twilio_form(app, CallSid="CA" + "7" * 32)
    client.post("/ivr/voice", data=form, headers={"X-Twilio-Signature": "forged"},
                base_url="https://hotline.test")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    rejected = [line for line in lines if "invalid Twilio signature" in line["msg"]]
    assert rejected and rejected[0]["call_sid"] == "CA" + "7" * 32
    assert rejected[0]["level"] == "warning" and rejected[0]["path"] == "/ivr/voice"


def test_console_pages_get_security_headers_webhooks_do_not(client, twilio_post):
    page = client.get("/console/login")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" in page.headers  # public_url is https in the tests
    cookie = page.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    webhook = twilio_post("/ivr/voice")
    assert "Content-Security-Policy" not in webhook.headers


@pytest.mark.parametrize("app_overrides", [{"server": {"public_url": "http://127.0.0.1:5000"}}])
def test_cookies_not_secure_over_plain_http(client, app_overrides):
    page = client.get("/console/login")
    assert "Secure" not in page.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in page.headers


# -- sign-in rate limit ---------------------------------------------------------------------

def sign_in(client: Any, name: str, password: str, **environ: Any) -> Any:
    page = client.get("/console/login", **environ).get_data(as_text=True)
    token = CSRF_META.search(page).group(1)
    return client.post("/console/login", data={"name": name, "password": password, "csrf_token": token},
                       **environ)


@pytest.mark.parametrize("app_overrides", [{"ops": {"login_max_failures_per_name": 3,
                                                    "login_max_failures_per_ip": 5}}])
def test_sign_in_rate_limit_per_name_and_per_address(app, client, make_user, app_overrides):
    make_user("alice", role="agent", password="right-password")
    make_user("bob", role="agent", password="bob-password")
    for _ in range(3):
        assert sign_in(client, "alice", "wrong").status_code == 400
    limited = sign_in(client, "alice", "right-password")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert "Too many sign-in attempts" in limited.get_data(as_text=True)
    # another name from the same address still works until the address limit
    assert sign_in(client, "bob", "bob-password").status_code == 302
    client.post("/console/logout", data={})
    assert sign_in(client, "carol", "x").status_code == 400
    assert sign_in(client, "dave", "x").status_code == 400  # 5 failures from this address now
    assert sign_in(client, "bob", "bob-password").status_code == 429


@pytest.mark.parametrize("app_overrides", [{"server": {"proxy_fix": 1},
                                            "ops": {"login_max_failures_per_name": 50,
                                                    "login_max_failures_per_ip": 2}}])
def test_rate_limit_uses_the_client_address_behind_a_proxy(app, client, make_user, app_overrides):
    make_user("alice", role="agent", password="right-password")
    one = {"headers": {"X-Forwarded-For": "203.0.113.7"}}
    other = {"headers": {"X-Forwarded-For": "198.51.100.9"}}
    assert sign_in(client, "x1", "bad", **one).status_code == 400
    assert sign_in(client, "x2", "bad", **one).status_code == 400
    assert sign_in(client, "alice", "right-password", **one).status_code == 429
    assert sign_in(client, "alice", "right-password", **other).status_code == 302


@pytest.mark.parametrize("app_overrides", [{"ops": {"login_max_failures_per_name": 2}}])
def test_success_clears_the_names_failures(app, client, make_user, app_overrides):
    make_user("alice", role="agent", password="right-password")
    assert sign_in(client, "alice", "wrong").status_code == 400
    assert sign_in(client, "alice", "right-password").status_code == 302
    client.post("/console/logout", data={})
    assert sign_in(client, "alice", "wrong").status_code == 400
    assert sign_in(client, "alice", "right-password").status_code == 302
