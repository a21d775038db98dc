"""Every route in the url_map has a known access rule, and the rule holds.

A new route must be added to one of the tables below or this test fails: anonymous visitors
are refused (401/403 or sent to sign-in) everywhere except ``PUBLIC``; agents get 403 on
``LEAD_ONLY``; leads get 403 on ``ADMIN_ONLY``. ``/ivr/`` needs Twilio's signature (403) and
the simulator's Twilio REST paths Twilio's basic auth (401).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.console.helpers import csrf_token, login

#: reachable without signing in, and why
PUBLIC = {
    "web.login": "the sign-in page",
    "web.set_lang": "language switch (stores the choice in the session only; safe next=)",
    "ops_healthz": "load balancer health check (no data)",
    "ops_metrics": "Prometheus scrape (counts only, no numbers or names); keep the port internal",
    "api.openapi_json": "the API description",
    "api.api_docs": "the API reference page (renders the public API description)",
    "api.static": "static files (the API reference page's Swagger UI)",
    "static": "static files", "console.static": "static files", "web.static": "static files", "reports.static": "static files",
    "campaigns.static": "static files", "planning.static": "static files",
    "ivr_media.hold_audio": "hold music Twilio fetches",
    "simulator_rest.recording": "recording audio, fetched by URL like Twilio's RecordingUrl (simulator only)",
}

#: caller-facing webhooks: Twilio's X-Twilio-Signature or 403
SIGNED_PREFIX = "/ivr/"
#: the fake Twilio's REST API: Twilio's basic auth (AccountSid:AuthToken) or 401
TWILIO_BASIC = "simulator_rest."

#: lead or admin only (agents get 403), per endpoint; a set of methods when not all
LEAD_ONLY: dict[str, set[str] | None] = {
    **dict.fromkeys(["scheduler_api.create_campaign", "scheduler_api.cancel", "scheduler_api.upload_contacts",
                     "scheduler_api.pause", "scheduler_api.resume", "scheduler_api.start",
                     "scheduler_api.dnc_add"], None),
    **dict.fromkeys(["console.api_lead_set_presence", "console.api_lead_ack", "console.api_lead_state",
                     "console.api_reveal", "console.lead"], None),
    # a lead listens to, coaches or barges in on an agent's call (audited)
    **dict.fromkeys(["console.api_lead_supervise", "console_api_supervise.post_call_supervise"], None),
    **dict.fromkeys(["reports.audit_page", "reports.audit_csv", "reports.incidents_page",
                     "reports.incident_record", "reports.incident_page", "reports.incident_report",
                     "reports.library_page", "reports.library_entry", "reports.library_retire",
                     "reports.library_new", "reports.library_restore", "reports.library_save",
                     "reports.reports_page", "reports.export_csv", "reports.monthly_index",
                     "reports.monthly_page", "reports.monthly_post", "reports.monthly_export",
                     "reports.wallboard_page", "reports.wallboard_data"], None),
    **dict.fromkeys(["campaigns.index", "campaigns.create", "campaigns.detail", "campaigns.act",
                     "campaigns.progress_json", "campaigns.upload", "campaigns.dnc"], None),
    **dict.fromkeys(["campaigns.attempts_csv", "campaigns.contact_page"], None),
    **dict.fromkeys(["planning.planning_page", "planning.planning_data", "planning.replay_page",
                     "planning.replay_result", "planning.replay_json", "planning.roster_page",
                     "planning.replay_start", "planning.roster_add", "planning.roster_delete"], None),
    **dict.fromkeys(["reports.library_candidate_accept", "reports.library_candidate_dismiss"], None),
    **dict.fromkeys(["simulator_control.calls", "simulator_control.place", "simulator_control.act",
                     "simulator_control.timeline"], None),
    **dict.fromkeys(["reports.quality_spot_checks", "reports.quality_review_complete", "reports.quality_report",
                     "reports.quality_report_csv"], None),
}

#: admins only (leads and agents get 403)
ADMIN_ONLY = {"web.sign_out_everywhere"}

#: any signed-in user (console session or bearer token); what they see is their own or masked
SIGNED_IN = {
    "ivr_api.post_presence", "ivr_api.get_call", "ivr_api.get_queue", "ivr_api.post_call_control", "ivr_api.post_call_disposition",
    "console.api_disposition", "scheduler_api.list_campaigns",
    "scheduler_api.get_campaign", "scheduler_api.list_contacts", "scheduler_api.dnc_list",
    "scheduler_api.rates", "console_api_cases.list_cases", "console_api_cases.create_case",
    "library_api.check_view", "library_api.suggest_view", "reports_api.summary_view",
    "console.home", "console.api_answer", "console.api_caller", "console.api_transcript", "console.api_case",
    "console.api_desk", "console.api_guide", "console.api_hangup", "console.api_manager",
    "console.api_presence", "console.api_speak", "console.api_control", "console.cases_page", "console.department_page",
    "console.events", "web.logout", "reports.handover_page", "reports.handover_log_page",
    "reports.handover_acknowledge", "reports.handover_submit", "console_sim.page", "console_sim.place",
    "console_sim.act", "console_sim.stream",
    "scheduler_api.attempts_csv", "scheduler_api.contact_detail", "scheduler_api.disposition",
    "console.case_page", "console.case_update", "console.ring_sound", "console_api_cases.update_case",
    "reports.library_candidate_new", "scheduler_api.preview_next", "scheduler_api.preview_dial",
    # quality: an agent sees only the reviews of their own calls (403 for anyone else's)
    "reports.quality_review", "reports.quality_mine", "quality_api.reviews_view",
    # call recordings: leads/admins or the agent who took the call (checked per call; 403 to others)
    "console.play_recording", "console.api_recording", "recording_api.post_recording",
    # transfers: the agent on the call or a lead (checked per call; 403 to others)
    "transfer_api.post_transfer", "console.api_transfer",
    "scheduler_api.preview_skip", "campaigns.preview_desk", "campaigns.preview_next_json",
    "campaigns.preview_dial_now", "campaigns.preview_skip_contact",
}

NEVER_CALL_SIGNED_IN = {"console.events", "console_sim.stream", "web.logout"}  # streams; ends session


def _url(rule: Any) -> str:
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>",
                  lambda m: "1" if m.group(1) in ("int", "float") else "x", rule.rule)


def _pairs(app: Any) -> list[tuple[Any, str]]:
    return [(rule, method) for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def _classified(endpoint: str, path: str) -> bool:
    return (endpoint in PUBLIC or endpoint in LEAD_ONLY or endpoint in ADMIN_ONLY or endpoint in SIGNED_IN
            or path.startswith(SIGNED_PREFIX) or endpoint.startswith(TWILIO_BASIC))


def test_every_route_has_a_known_access_rule(app) -> None:
    unknown = sorted({f"{method} {rule.rule} ({rule.endpoint})" for rule, method in _pairs(app)
                      if not _classified(rule.endpoint, rule.rule)})
    assert not unknown, "add these routes to a table in tests/security/test_route_roles.py: " + ", ".join(unknown)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = sorted((set(LEAD_ONLY) | ADMIN_ONLY | SIGNED_IN) - endpoints)
    assert not stale, f"tables name routes that no longer exist: {stale}"


def _send(web: Any, rule: Any, method: str, headers: dict[str, str]) -> Any:
    return web.open(_url(rule), method=method, json={}, headers=headers)


def _refused(response: Any) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/console/login" in response.headers.get("Location", "")


def test_anonymous_visitors_are_refused_everywhere_but_public_routes(app) -> None:
    web = app.test_client()
    csrf = csrf_token(web)  # a real token, so the route's own check is what answers
    open_routes = []
    for rule, method in _pairs(app):
        if rule.endpoint in PUBLIC:
            continue
        for headers in ({"X-CSRFToken": csrf}, {"X-CSRFToken": csrf, "X-Requested-With": "fetch"}):
            response = _send(web, rule, method, headers)
            expected = 401 if rule.endpoint.startswith(TWILIO_BASIC) else None
            expected = 403 if rule.rule.startswith(SIGNED_PREFIX) else expected
            ok = response.status_code == expected if expected else _refused(response)
            if not ok:
                open_routes.append(f"{method} {rule.rule} → {response.status_code}")
    assert not open_routes


@pytest.mark.parametrize("role,table", [("agent", "lead"), ("lead", "admin")])
def test_roles_below_the_rule_get_403(app, make_user, role: str, table: str) -> None:
    _user, token = make_user("someone", role=role)
    web = app.test_client()
    csrf = login(web, "someone")
    guarded = set(LEAD_ONLY) | ADMIN_ONLY if table == "lead" else ADMIN_ONLY
    checked, allowed = 0, []
    for rule, method in _pairs(app):
        if rule.endpoint not in guarded or method not in (LEAD_ONLY.get(rule.endpoint) or {method}):
            continue
        headers = {"X-CSRFToken": csrf, "X-Requested-With": "fetch"}
        if rule.rule.startswith(("/api/", "/simulator/")):
            bearer = {**headers, "Authorization": f"Bearer {token}"}
            for auth in (bearer, headers) if rule.rule.startswith("/simulator/") else (bearer,):
                if _send(web, rule, method, auth).status_code != 403:
                    allowed.append(f"{method} {rule.rule}")
        elif _send(web, rule, method, headers).status_code != 403:
            allowed.append(f"{method} {rule.rule}")
        checked += 1
    assert checked >= len(guarded) and not allowed
