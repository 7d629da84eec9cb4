"""The HTTP contract in-process (FastAPI's test client): refusals, OpenAPI, metrics, logs and the defects
of issues 11 and 16 (each test here failed on the code before them)."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.lifecycle import reload_models
from app.logs import JsonFormatter
from app.main import create_app
from app.ranking.registry import ReloadReport
from tests.app.api.service import REPO, SHIPPED
from tests.conftest import JOB, MEMBER

needs_model = pytest.mark.skipif(not (SHIPPED / "manifest.json").is_file(), reason="no shipped model in artifacts/")


@pytest.fixture(scope="module")
def client():
    app = create_app(Settings(artifacts=SHIPPED.parent, max_candidates=300))
    with TestClient(app) as test_client:
        deadline = time.time() + 60
        while test_client.get("/readyz").status_code != 200 and time.time() < deadline:
            time.sleep(0.1)
        yield test_client


class Lines(logging.Handler):
    """jobrank's log lines as the JSON objects they are written as."""

    def __init__(self):
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@needs_model
def test_draining_refuses_new_work_with_503(client):
    state = client.app.state.service
    state.draining = True
    try:
        refused = client.post("/v1/rank", json={"member": MEMBER, "candidates": [JOB]})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert refused.json()["detail"].startswith("shutting down")
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["draining"] is True
    finally:
        state.draining = False
    assert client.post("/v1/rank", json={"member": MEMBER, "candidates": [JOB]}).status_code == 200


@needs_model
def test_the_candidate_limit_is_checked_before_validation(client):
    junk = {"member": MEMBER, "candidates": [{"not": "a job"}] * 5_000}
    response = client.post("/v1/rank", json=junk)
    assert (
        response.status_code == 422
        and response.json()["detail"] == "candidates: at most 300 jobs per request (got 5000)"
    )


@needs_model
def test_large_bodies_are_parsed_in_the_parser_thread(client, monkeypatch):
    from app.api import body as body_module

    threads = []
    decode = body_module.decode
    monkeypatch.setattr(body_module, "decode", lambda *a: threads.append(threading.current_thread().name) or decode(*a))
    small = {"member": MEMBER, "candidates": [JOB]}
    large = {"member": MEMBER, "candidates": [dict(JOB, job_id=f"p{i}", description="x" * 2_000) for i in range(200)]}
    assert client.post("/v1/rank", json=small).status_code == 200
    assert client.post("/v1/rank", json=large).status_code == 200
    assert not threads[0].startswith("parser") and threads[1].startswith("parser")


@needs_model
def test_the_cache_hit_rate_counts_ranking_lookups_only(client):
    jobs = [dict(JOB, job_id=f"h{i}", title=f"Hit rate {i}") for i in range(4)]
    engine = client.app.state.service.registry.active
    before = dict(engine.lookups)
    assert client.put("/v1/jobs", json={"jobs": jobs}).status_code == 200
    assert client.put("/v1/jobs", json={"jobs": jobs}).json()["already_cached"] == 4  # 4 cache hits, not ranking
    assert engine.lookups == before
    client.post("/v1/rank", json={"member": MEMBER, "candidates": jobs + [dict(JOB, job_id="h-new", title="New")]})
    assert engine.lookups == {"hit": before["hit"] + 4, "miss": before["miss"] + 1}
    rate = next(
        line for line in client.get("/metrics").text.splitlines() if line.startswith("jobrank_job_cache_hit_rate")
    )
    assert float(rate.split()[-1]) == pytest.approx(engine.cache_hit_rate())
    listed = client.get("/v1/models").json()["models"][0]["cache"]["hit_rate"]
    assert listed == pytest.approx(engine.cache_hit_rate(), abs=1e-4)


@needs_model
def test_log_lines_carry_the_answers_request_id(client, monkeypatch):
    engine = client.app.state.service.registry.active
    ranked = engine.ranked

    def logging_ranked(*args, **kwargs):
        logging.getLogger("jobrank.engine").info("ranking")  # written in the inference thread
        return ranked(*args, **kwargs)

    monkeypatch.setattr(engine, "ranked", logging_ranked)
    lines = Lines()
    logging.getLogger("jobrank").addHandler(lines)
    try:
        answer = client.post(
            "/v1/rank",
            json={"member": MEMBER, "candidates": [JOB], "request_id": "from-body"},
            headers={"x-request-id": "hdr"},
        )
    finally:
        logging.getLogger("jobrank").removeHandler(lines)
    assert answer.json()["request_id"] == "from-body" == answer.headers["x-request-id"]
    mine = [line for line in lines.lines if line["msg"] in ("ranking", "request")]
    assert [line["msg"] for line in mine] == ["ranking", "request"]
    assert {line.get("request_id") for line in mine} == {"from-body"}


@needs_model
def test_openapi_lists_every_answer_with_its_shape(client):
    doc = client.get("/openapi.json").json()
    rank = doc["paths"]["/v1/rank"]["post"]
    assert {"200", "413", "422", "429", "503"} <= set(rank["responses"])
    assert rank["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ValidationErrorBody")
    assert "Retry-After" in rank["responses"]["429"]["headers"]
    assert rank["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/RankRequest")
    assert "401" in doc["paths"]["/v1/admin/reload"]["post"]["responses"]
    assert "503" in doc["paths"]["/readyz"]["get"]["responses"]
    schemas = doc["components"]["schemas"]
    assert "DE" in schemas["Location"]["properties"]["country"]["enum"]
    assert "EUR" in schemas["SalaryRange"]["properties"]["currency"]["enum"]
    assert schemas["RankRequest"]["properties"]["explain"]["type"] == "boolean"


def test_readyz_shows_no_absolute_path(tmp_path):
    with TestClient(create_app(Settings(artifacts=tmp_path / "nothing-here"))) as test_client:
        time.sleep(0.3)
        ready = test_client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["last_reload"]["refused"]
        assert str(tmp_path) not in ready.text and "/tmp" not in ready.text


def test_gc_freeze_runs_once_however_many_reloads(tmp_path, monkeypatch):
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    monkeypatch.setattr(gc, "set_threshold", lambda *a: None)
    state = create_app(Settings(artifacts=tmp_path)).state.service
    state.registry.reload = lambda: ReloadReport(ok=True, at="now", seconds=0.0)  # type: ignore[method-assign]
    state.registry.active = SimpleNamespace(name="m", version="1")  # type: ignore[assignment]

    async def reloads():
        for _ in range(3):
            await reload_models(state)

    asyncio.run(reloads())
    assert frozen == [1]


def test_the_default_artifacts_folder_is_relative_to_the_working_directory():
    settings = Settings.from_env({})
    assert settings.artifacts == Path("artifacts") and not settings.artifacts.is_absolute()


def test_the_entry_point_refuses_a_bad_variable_in_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "app"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "JOBRANK_SHUTDOWN_GRACE_S": "soon"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "JOBRANK_SHUTDOWN_GRACE_S" in result.stderr
