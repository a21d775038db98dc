"""Schemathesis against ``/api/openapi.json``: every operation, every check (no 5xx; status codes,
content types, headers and bodies conform to the document for every status; valid requests are
accepted and invalid ones refused; routes refuse a missing token), positive and negative data,
with a lead's bearer token, on the test backend (SQLite, or PostgreSQL with
``HOTLINE_TEST_BACKEND=postgresql``). Bounded: a few examples per operation, no deadline.

Valid data may still be refused with 422: the request matches the schema, but a rule the schema
cannot state refuses it (a number that cannot be dialed, ``from`` after ``to``, a department
not in the settings); every operation that can answer 422 documents it."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import ChecksConfig

#: the default "valid data accepted" statuses, plus 422 (see above)
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


@pytest.fixture
def api_schema(app: Any, make_user: Any) -> Any:
    _, token = make_user("schema-lead", role="lead")
    app.config["HOTLINE_TEST_TOKEN"] = token
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    checks: ChecksConfig = schema.config.checks
    checks.update(included_check_names=["all"])
    checks.positive_data_acceptance.expected_statuses = POSITIVE_STATUSES
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.timeout(1200)  # one test runs every operation (subtests); PostgreSQL under load is slow
@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_accepts_valid_and_refuses_invalid_input(case: Any, app: Any) -> None:
    token = app.config["HOTLINE_TEST_TOKEN"]
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
