"""The ranking service against a real uvicorn process on a free port (httpx), serving the shipped model."""

from __future__ import annotations

import copy
import json
import random
import shutil
import signal
import time

import httpx
import pytest

from tests.app.api.service import SHIPPED, Server
from tests.conftest import JOB, MEMBER

TOKEN = "test-admin-token"
MAX_BODY = 2_000_000

pytestmark = pytest.mark.skipif(not (SHIPPED / "manifest.json").is_file(), reason="no shipped model in artifacts/")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("service")
    artifacts = root / "artifacts"
    shutil.copytree(SHIPPED, artifacts / SHIPPED.name)
    srv = Server(
        artifacts,
        root / "service.log",
        JOBRANK_ADMIN_TOKEN=TOKEN,
        JOBRANK_MAX_BODY_BYTES=str(MAX_BODY),
        JOBRANK_MAX_CANDIDATES="300",
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def generated_request(tiny_dataset) -> dict:
    """One member's candidate list from the generator, as a request body."""
    from training.data.dataset import load_dataset
    from training.data.lists import load_lists

    candidate_list = max(load_lists(load_dataset(tiny_dataset), ("test",), None, seed=0), key=len)
    return {
        "member": candidate_list.member.model_dump(mode="json"),
        "candidates": [job.model_dump(mode="json") for job in candidate_list.jobs[:120]],
    }


def _scores(response: httpx.Response) -> dict[str, float]:
    return {r["job_id"]: r["score"] for r in response.json()["results"]}


def _rank(server, body, **extra) -> httpx.Response:
    return server.client.post("/v1/rank", json={**body, **extra})


def test_ranks_a_generated_request(server, generated_request):
    response = _rank(server, generated_request, budget_ms=30_000, request_id="req-1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["request_id"] == "req-1" and response.headers["x-request-id"] == "req-1"
    assert body["model"]["name"] == "jobrank-ranker" and body["model"]["version"]
    assert body["tier"] == "ranker" and body["degraded"] is False
    results = body["results"]
    assert [r["rank"] for r in results] == list(range(1, len(results) + 1))
    assert sorted(r["job_id"] for r in results) == sorted(j["job_id"] for j in generated_request["candidates"])
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    for r in results:
        assert 0 <= r["scores"]["relevance"] <= 4 and 0 <= r["scores"]["engagement"] <= 1 and 0 <= r["score"] <= 1
    assert body["timing"]["budget_ms"] == 30_000 and body["timing"]["total_ms"] > 0
    assert len(set(scores)) > len(scores) // 2  # a real ranking, not a constant


def test_scores_are_deterministic_and_independent_of_candidate_order(server, generated_request):
    first = _scores(_rank(server, generated_request, budget_ms=30_000))
    again = _scores(_rank(server, generated_request, budget_ms=30_000))
    shuffled = copy.deepcopy(generated_request)
    random.Random(7).shuffle(shuffled["candidates"])
    reordered = _scores(_rank(server, shuffled, budget_ms=30_000))
    assert first == again == reordered
    # Which other jobs share the request changes a job's score by float32 rounding at most.
    half = copy.deepcopy(generated_request)
    half["candidates"] = half["candidates"][::2]
    subset = _scores(_rank(server, half, budget_ms=30_000))
    assert all(abs(subset[job_id] - first[job_id]) <= 2e-6 for job_id in subset)


def test_top_k_returns_the_best_k(server, generated_request):
    full = _rank(server, generated_request, budget_ms=30_000).json()["results"]
    top = _rank(server, generated_request, budget_ms=30_000, top_k=5).json()["results"]
    assert top == full[:5]
    assert len(_rank(server, generated_request, top_k=10_000).json()["results"]) == len(full)


def _fresh_jobs(body: dict, tag: str) -> dict:
    """The same request with every job's content changed, so none is in the cache."""
    out = copy.deepcopy(body)
    for job in out["candidates"]:
        job["job_id"] = f"{tag}-{job['job_id']}"
        job["description"] = f"{job.get('description', '')} Ref {tag}."
    return out


@pytest.mark.parametrize("budget", [30_000.0, 40.0, 5.0, 0.5, 0.001])
def test_every_budget_gets_a_valid_answer(server, generated_request, budget):
    body = _fresh_jobs(generated_request, f"b{budget}")
    response = _rank(server, body, budget_ms=budget, explain=True)
    assert response.status_code == 200, response.text
    data = response.json()
    assert len(data["results"]) == len(body["candidates"])
    counts = data["explain"]["counts"]
    assert counts["cached"] + counts["encoded"] + counts["features_only"] == len(body["candidates"])
    tiers = {r["tier"] for r in data["results"]}
    if data["tier"] == "ranker":
        assert tiers == {"ranker"} and not data["degraded"] and counts["features_only"] == 0
    else:
        assert data["degraded"] and counts["features_only"] > 0 and "features" in tiers
    if budget == 30_000.0:
        assert data["tier"] == "ranker"
    if budget <= 0.5:  # nothing but the features tier fits
        assert data["tier"] == "features" and data["degraded"]
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)


def test_indexed_jobs_are_served_from_the_cache(server, generated_request):
    body = _fresh_jobs(generated_request, "indexed")
    put = server.client.put("/v1/jobs", json={"jobs": body["candidates"]})
    assert put.status_code == 200, put.text
    assert put.json()["encoded"] == len(body["candidates"]) and put.json()["already_cached"] == 0
    assert server.client.put("/v1/jobs", json={"jobs": body["candidates"]}).json()["already_cached"] == len(
        body["candidates"]
    )
    data = _rank(server, body, budget_ms=30_000, explain=True).json()
    assert data["explain"]["counts"]["cached"] == len(body["candidates"]) and data["tier"] == "ranker"
    # Same id, new content: a new cache key (a stale embedding is never served for an edited job).
    edited = copy.deepcopy(body)
    edited["candidates"][0]["title"] = "Completely different title"
    counts = _rank(server, edited, budget_ms=30_000, explain=True).json()["explain"]["counts"]
    assert counts["cached"] == len(body["candidates"]) - 1 and counts["encoded"] == 1


def _bad(path: str, value) -> dict:
    body = {"member": copy.deepcopy(MEMBER), "candidates": [copy.deepcopy(JOB)]}
    target = body
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    target[keys[-1]] = value
    return body


@pytest.mark.parametrize(
    "path,value,field",
    [
        ("member.location.country", "XX", "member.location.country"),
        ("member.years_experience", -3, "member.years_experience"),
        ("member.years_experience", "many", "member.years_experience"),
        ("member.seniority", "boss", "member.seniority"),
        ("member.skills", "Python", "member.skills"),
        ("member.min_salary", {"amount": 5, "currency": "EURO"}, "member.min_salary.currency"),
        ("member.open_to_relocation", "perhaps", "member.open_to_relocation"),
        ("member.nickname", "x", "member.nickname"),
        ("candidates.0.job_id", "", "candidates[0].job_id"),
        ("candidates.0.salary", {"min": 9, "max": 5, "currency": "EUR"}, "candidates[0].salary"),
        ("candidates.0.workplace_type", "moon", "candidates[0].workplace_type"),
        ("candidates.0.posted_at", "yesterday", "candidates[0].posted_at"),
        ("candidates.0.description", "x" * 20_001, "candidates[0].description"),
        ("candidates", {"job_id": "j"}, "candidates"),
        ("top_k", 0, "top_k"),
        ("budget_ms", -5, "budget_ms"),
        ("explain", "loud", "explain"),
        ("explain", 1, "explain"),
        ("member.open_to_relocation", 0, "member.open_to_relocation"),
        ("request_id", "r" * 129, "request_id"),
        ("request_id", "abc\r\nSet-Cookie: x=1", "request_id"),
        ("request_id", "id with spaces", "request_id"),
        ("member", None, "member"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(server, path, value, field):
    response = server.client.post("/v1/rank", json=_bad(path, value))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith(field), detail
    assert "Traceback" not in response.text


def test_request_level_limits(server):
    body = {"member": MEMBER, "candidates": [JOB, JOB]}
    duplicate = server.client.post("/v1/rank", json=body)
    assert duplicate.status_code == 422 and duplicate.json()["detail"].startswith("candidates[1].job_id: duplicate")
    many = {"member": MEMBER, "candidates": [dict(JOB, job_id=f"j{i}") for i in range(301)]}
    too_many = server.client.post("/v1/rank", json=many)
    assert too_many.status_code == 422 and too_many.json()["detail"].startswith("candidates: at most 300")
    missing = server.client.post("/v1/rank", json={"member": MEMBER})
    assert missing.status_code == 422 and missing.json()["detail"].startswith("candidates: Field required")
    broken = server.client.post("/v1/rank", content=b'{"member": ', headers={"content-type": "application/json"})
    assert broken.status_code == 422 and "JSON" in broken.json()["detail"]
    huge = server.client.post("/v1/rank", content=b"x" * (MAX_BODY + 10), headers={"content-type": "application/json"})
    assert huge.status_code == 413 and huge.json()["detail"].startswith("body: larger than")
    assert server.client.get("/v1/nowhere").status_code == 404


def test_operations_endpoints(server, generated_request):
    assert server.client.get("/healthz").json() == {"status": "ok"}
    ready = server.client.get("/readyz").json()
    assert ready["ready"] is True and ready["model"]["name"] == "jobrank-ranker"
    models = server.client.get("/v1/models").json()
    assert models["active"]["name"] == "jobrank-ranker"
    metrics = models["models"][0]["metrics"]
    for key in ("ndcg@10", "teacher_ndcg@10", "engagement_auc", "combined"):
        assert isinstance(metrics[key], float)
    assert server.client.get("/docs").status_code == 200
    assert "/v1/rank" in server.client.get("/openapi.json").json()["paths"]
    _rank(server, generated_request)
    text = server.client.get("/metrics").text
    for needle in (
        'jobrank_request_latency_seconds_bucket{le="0.025",model=',
        'route="/v1/rank"',
        'jobrank_requests_total{route="/v1/rank",status="200"}',
        "jobrank_job_cache_hit_rate",
        "jobrank_budget_misses_total",
        "jobrank_degraded_total",
        'jobrank_model_info{name="jobrank-ranker"',
        "jobrank_model_last_reload_ok 1.0",
    ):
        assert needle in text, needle


def test_logs_are_json_lines_without_member_profiles(server, generated_request):
    _rank(server, generated_request, request_id="log-check")
    time.sleep(0.2)
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == "log-check"]
    assert mine and mine[-1]["route"] == "/v1/rank" and mine[-1]["status"] == 200
    assert generated_request["member"]["headline"] not in server.log.read_text()


def test_reload_needs_the_token(server):
    assert server.client.post("/v1/admin/reload").status_code == 401
    assert server.client.post("/v1/admin/reload", headers={"authorization": "Bearer wrong"}).status_code == 401


def _reload(server) -> httpx.Response:
    return server.client.post("/v1/admin/reload", headers={"authorization": f"Bearer {TOKEN}"})


def test_reload_swaps_in_a_new_version_and_refuses_a_corrupted_one(server, generated_request):
    folder = server.artifacts / "jobrank-ranker"
    manifest = json.loads((folder / "manifest.json").read_text())
    old_version = manifest["version"]
    manifest["version"] = old_version + "-next"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    response = _reload(server)
    assert response.status_code == 200, response.text
    assert response.json()["reload"]["loaded"] == {"jobrank-ranker": old_version + "-next"}
    assert _rank(server, generated_request).json()["model"]["version"] == old_version + "-next"

    interaction = folder / "interaction.onnx"
    data = bytearray(interaction.read_bytes())
    data[len(data) // 2] ^= 0xFF
    interaction.write_bytes(bytes(data))
    manifest["version"] = old_version + "-corrupt"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    refused = _reload(server)
    assert refused.status_code == 422
    assert "interaction.onnx: sha256 does not match" in refused.json()["detail"]
    ready = server.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["last_reload"]["ok"] is False
    for answer_text in (refused.text, ready.text, server.client.get("/v1/models").text):
        assert str(server.artifacts) not in answer_text and str(server.artifacts.parent) not in answer_text
    answer = _rank(server, generated_request)
    assert answer.status_code == 200 and answer.json()["model"]["version"] == old_version + "-next"
    assert "jobrank_model_last_reload_ok 0.0" in server.client.get("/metrics").text
    shutil.rmtree(folder)
    shutil.copytree(SHIPPED, folder)


def test_sighup_reloads(server):
    before = server.client.get("/readyz").json()["last_reload"]["at"]
    time.sleep(1.1)  # the report's time has second resolution
    server.process.send_signal(signal.SIGHUP)
    deadline = time.time() + 30
    while time.time() < deadline:
        last = server.client.get("/readyz").json()["last_reload"]
        if last["at"] != before:
            assert last["ok"] is True
            return
        time.sleep(0.2)
    pytest.fail("SIGHUP did not reload the models")


def test_reload_is_disabled_without_a_token(tmp_path):
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    with TestClient(create_app(Settings(artifacts=tmp_path, admin_token=None))) as client:
        response = client.post("/v1/admin/reload", headers={"authorization": "Bearer anything"})
        assert response.status_code == 403 and "JOBRANK_ADMIN_TOKEN" in response.json()["detail"]
        assert client.get("/healthz").status_code == 200
        not_ready = client.get("/readyz")  # an empty artifacts folder: alive, never ready, says why
        assert not_ready.status_code == 503 and not_ready.json()["ready"] is False
        assert client.post("/v1/rank", json={"member": MEMBER, "candidates": [JOB]}).status_code == 503


def test_equal_scores_keep_the_candidates_order(server):
    twins = [dict(JOB, job_id=job_id) for job_id in ("z-first", "a-second", "m-third")]  # same content, same score
    results = _rank(server, {"member": MEMBER, "candidates": twins}, budget_ms=30_000).json()["results"]
    assert len({r["score"] for r in results}) == 1
    assert [r["job_id"] for r in results] == ["z-first", "a-second", "m-third"]


def test_a_bad_request_id_header_is_replaced(server):
    response = server.client.post(
        "/v1/rank", json={"member": MEMBER, "candidates": [JOB]}, headers={"x-request-id": "bad id; evil"}
    )
    assert response.status_code == 200
    given = response.headers["x-request-id"]
    assert given != "bad id; evil" and given == response.json()["request_id"] and len(given) == 32
