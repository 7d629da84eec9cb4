"""Faster code, same answers: fixed requests ranked as the shipped model was ranked when it shipped.

The fixture (fixtures/rankings_main.json) was recorded by record_rankings.py with the shipped model
(re-recorded whenever a new model ships; it names the model version it holds); each request is asked
twice (jobs not cached, then cached) and must come back in the same order with every score within 1e-6.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.app.api.service import SHIPPED

FIXTURE = Path(__file__).parent / "fixtures" / "rankings_main.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))
TOLERANCE = 1e-6 + 1e-12  # scores are rounded to 6 decimals: a last-bit difference may move one step


@pytest.fixture(scope="module")
def client():
    if not (SHIPPED / "manifest.json").is_file():
        pytest.skip("no shipped model in artifacts/")
    with TestClient(create_app(Settings(artifacts=SHIPPED.parent))) as test_client:
        deadline = time.time() + 60
        while test_client.get("/readyz").status_code != 200 and time.time() < deadline:
            time.sleep(0.1)
        model = test_client.get("/readyz").json()["model"]
        if model != CASES[0]["model"]:
            pytest.skip(f"fixture recorded for {CASES[0]['model']}, serving {model}: record it again")
        yield test_client


def flat(result: dict) -> list[float]:
    return [result["score"], result["scores"]["relevance"], result["scores"]["engagement"]]


@pytest.mark.parametrize("case", CASES, ids=[c["request"].get("request_id", "") for c in CASES])
def test_the_same_ranking_and_scores_as_before(client, case):
    for _ in ("cold", "warm"):
        answer = client.post("/v1/rank", json=case["request"])
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert [(r["job_id"], r["rank"], r.get("tier")) for r in results] == [
            (r["job_id"], r["rank"], r.get("tier")) for r in case["results"]
        ]
        for got, want in zip(results, case["results"], strict=True):
            assert flat(got) == pytest.approx(flat(want), abs=TOLERANCE, rel=0), got["job_id"]
            assert set(got) == set(want) and set(got["scores"]) == set(want["scores"])
