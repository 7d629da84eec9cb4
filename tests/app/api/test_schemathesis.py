"""Property-based contract test: schemathesis generates requests from the OpenAPI document (a bounded
number per operation) and checks every answer: no 5xx, a documented status, the documented body."""

from __future__ import annotations

import time

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.main import create_app
from tests.app.api.service import SHIPPED

pytestmark = pytest.mark.skipif(not (SHIPPED / "manifest.json").is_file(), reason="no shipped model in artifacts/")
EXAMPLES = 100  # per operation: ~11 s in all on the 2-core machine
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema():
    app = create_app(Settings(artifacts=SHIPPED.parent, admin_token="schemathesis", max_candidates=50))
    with TestClient(app) as client:
        deadline = time.time() + 60
        while client.get("/readyz").status_code != 200 and time.time() < deadline:
            time.sleep(0.1)
        # Not the reload: it would load the model again on every example.
        yield schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/v1/admin/reload")


def test_every_answer_is_documented_and_no_input_breaks_the_service(api_schema):
    # A loop over the operations rather than schemathesis' pytest plugin, whose fixture loader does
    # not work with this pytest.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/rank", "/v1/jobs", "/readyz", "/v1/models"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def answers_as_documented(case):
            case.call_and_validate(checks=CHECKS)

        answers_as_documented()
