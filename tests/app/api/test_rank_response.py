"""POST /v1/rank writes its answer itself (issue 14): still the declared RankResponse, None fields left out."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.schemas import RankResponse
from tests.app.api.service import SHIPPED
from tests.conftest import JOB, MEMBER

needs_model = pytest.mark.skipif(not (SHIPPED / "manifest.json").is_file(), reason="no shipped model in artifacts/")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(artifacts=SHIPPED.parent))) as test_client:
        deadline = time.time() + 60
        while test_client.get("/readyz").status_code != 200 and time.time() < deadline:
            time.sleep(0.1)
        yield test_client


@needs_model
@pytest.mark.parametrize("explain", [False, True])
def test_the_answer_is_the_declared_model_without_none_fields(client, explain):
    second = {**JOB, "job_id": "second", "title": "Nurse"}
    answer = client.post("/v1/rank", json={"member": MEMBER, "candidates": [JOB, second], "explain": explain})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    parsed = RankResponse.model_validate_json(answer.content)  # the typed contract, field by field
    assert [r.rank for r in parsed.results] == [1, 2]
    data = answer.json()
    assert ("explain" in data) is explain
    assert all(("tier" in r) is explain for r in data["results"])  # None is left out, as response_model did


@needs_model
def test_openapi_still_declares_the_answer(client):
    ok = client.get("/openapi.json").json()["paths"]["/v1/rank"]["post"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/RankResponse")
