"""Overload, slow clients and shutdown, against real uvicorn processes: 429 instead of queueing, 408 for a
trickling body, SIGTERM drains and exits 0; and the admission pieces in-process."""

from __future__ import annotations

import asyncio
import copy
import shutil
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from app.api import middleware
from app.api.body import budget_hint
from app.api.deps import ServiceState
from app.api.inference import run_admitted
from app.config import Settings
from app.main import create_app
from app.ranking.admission import AdmissionQueue, ClientGone, Overloaded
from app.ranking.engine import CostModel
from app.schemas import REQUEST_ID_RE
from benchmarks.overload import trickle
from tests.app.api.service import SHIPPED, Server
from tests.conftest import JOB, MEMBER

needs_model = pytest.mark.skipif(not (SHIPPED / "manifest.json").is_file(), reason="no shipped model in artifacts/")


def _jobs(tag: str, count: int) -> list[dict]:
    return [
        dict(copy.deepcopy(JOB), job_id=f"{tag}{i}", description=f"{JOB['description']} {tag} {i}")
        for i in range(count)
    ]


@pytest.fixture
def artifacts(tmp_path):
    shutil.copytree(SHIPPED, tmp_path / "artifacts" / SHIPPED.name)
    return tmp_path / "artifacts"


@needs_model
def test_overload_is_refused_at_once_with_429(artifacts, tmp_path):
    server = Server(artifacts, tmp_path / "service.log")
    try:
        body = {"member": MEMBER, "candidates": _jobs("o", 100), "budget_ms": 5}

        def post(_):
            with httpx.Client(base_url=server.url, timeout=30) as client:
                return client.post("/v1/rank", json=body)

        with ThreadPoolExecutor(24) as pool:
            answers = list(pool.map(post, range(48)))
        statuses = {a.status_code for a in answers}
        assert statuses <= {200, 429} and 200 in statuses and 429 in statuses, statuses
        shed = next(a for a in answers if a.status_code == 429)
        assert int(shed.headers["retry-after"]) >= 1 and shed.json()["detail"].startswith("overloaded")
        text = server.client.get("/metrics").text
        for needle in ('jobrank_shed_total{reason="budget"}', "jobrank_admitted_total", "jobrank_queue_depth"):
            assert needle in text, needle
        assert "jobrank_queue_wait_seconds_bucket" in text
    finally:
        server.stop()


def _send_slowly(port: int, declared: int, stop: threading.Event, replies: list[bytes]) -> None:
    """A body trickling at a byte every 0.2 s (for at most 10 s); see benchmarks/overload.py."""
    trickle(port, stop, replies, every_s=0.2, give_up_s=10)


@needs_model
def test_a_trickling_body_gets_408_and_the_connection_closes(artifacts, tmp_path):
    server = Server(artifacts, tmp_path / "service.log", JOBRANK_BODY_TIMEOUT_S="1")
    try:
        replies: list[bytes] = []
        stop = threading.Event()
        started = time.monotonic()
        _send_slowly(server.port, 10_000, stop, replies)  # returns when the server closes the connection
        answer = b"".join(replies)
        assert answer.startswith(b"HTTP/1.1 408") and b"JOBRANK_BODY_TIMEOUT_S" in answer, answer[:300]
        assert time.monotonic() - started < 5
    finally:
        server.stop()


@needs_model
def test_sigterm_drains_in_flight_work_and_exits_0(artifacts, tmp_path):
    server = Server(artifacts, tmp_path / "service.log", entry_point=True, JOBRANK_SHUTDOWN_GRACE_S="20")
    stop, replies = threading.Event(), []
    trickler = threading.Thread(target=_send_slowly, args=(server.port, 10_000, stop, replies), daemon=True)
    trickler.start()
    with ThreadPoolExecutor(1) as pool:  # in flight at SIGTERM: ~1 s of job encoding (more on a busy machine)
        put = pool.submit(lambda: httpx.put(server.url + "/v1/jobs", json={"jobs": _jobs("t", 250)}, timeout=60))
        time.sleep(0.6)
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        assert put.result().status_code == 200, put.result().text
    assert server.process.wait(30) == 0
    assert time.monotonic() - signalled < 20 + 2
    stop.set()
    trickler.join(5)
    answer = b"".join(replies)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 503"), answer[:300]
    server.client.close()


def test_work_whose_client_left_is_dropped_before_inference(tmp_path):
    state = ServiceState(settings=Settings(artifacts=tmp_path), registry=None, admission=AdmissionQueue(8))  # type: ignore[arg-type]
    gate, ran = threading.Event(), []
    state.executor.submit(gate.wait)  # the inference thread is busy

    class GoneRequest:
        async def receive(self):
            return {"type": "http.disconnect"}

    async def scenario():
        ticket = state.admission.admit(5.0, 1000.0, 0.0)
        with pytest.raises(ClientGone):
            await run_admitted(state, GoneRequest(), ticket, ran.append, "inference")  # type: ignore[arg-type]
        assert ticket.cancelled and state.admission.depth == 0

    asyncio.run(scenario())
    gate.set()
    state.executor.shutdown(wait=True)
    assert ran == []


def test_a_refused_ranking_request_never_enters_fastapi_nor_counts_its_jobs(tmp_path, monkeypatch):
    app = create_app(Settings.from_env({}, artifacts=tmp_path))
    state = app.state.service
    state.registry = SimpleNamespace(active=SimpleNamespace(costs=CostModel()))  # a model is loaded
    state.admission.depth, state.admission.pending_ms = 1, 10_000.0  # 10 s of work queued
    entered, counted = [], []
    monkeypatch.setattr(FastAPI, "__call__", lambda *args: entered.append(args))
    monkeypatch.setattr(middleware, "count_hint", lambda raw: counted.append(raw))
    body = b'{"member": {}, "candidates": [], "budget_ms": 50}'
    chunks = [{"type": "http.request", "body": body[:20], "more_body": True}]
    chunks.append({"type": "http.request", "body": body[20:], "more_body": False})
    sent: list[dict] = []

    async def receive():
        return chunks.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/rank", "headers": [], "query_string": b""}
    asyncio.run(app(scope, receive, send))
    start, answer = sent
    headers = dict(start["headers"])
    assert start["status"] == 429 and headers[b"retry-after"] == b"10" and b"connection" not in headers
    assert REQUEST_ID_RE.match(headers[b"x-request-id"].decode())
    assert answer["body"].startswith(b'{"detail": "overloaded') and entered == [] and counted == []
    assert state.admission.depth == 1  # no place taken


def test_check_refuses_what_even_the_cheapest_request_would_not_fit():
    queue = AdmissionQueue(8)
    queue.check(5.0, 50.0, 0.0)  # an empty queue admits
    queue.admit(38.0, 50.0, 0.0)
    with pytest.raises(Overloaded) as refused:
        queue.check(5.0, 50.0, 0.0)  # (38 + 5) > 0.8 * 50
    assert refused.value.reason == "budget" and queue.depth == 1
    queue.check(5.0, 1000.0, 0.0)  # a larger budget still fits


def test_budget_hint_finds_the_key_at_either_end_or_in_between():
    jobs = b",".join(b'{"job_id": "j%d", "title": "t"}' % i for i in range(200))
    assert budget_hint(b'{"budget_ms": 20, "candidates": [' + jobs + b"]}", 50.0) == 20.0
    assert budget_hint(b'{"candidates": [' + jobs + b'], "budget_ms": 30}', 50.0) == 30.0
    middle = b'{"candidates": [' + jobs + b'], "budget_ms": 40, "member": {"text": "' + b"x" * 2000 + b'"}}'
    assert budget_hint(middle, 50.0) == 40.0
    assert budget_hint(b'{"text": "\\"budget_ms\\": 3", "candidates": []}', 50.0) == 50.0


def test_request_ids_made_here_are_unique_safe_and_uuid_sized():
    ids = {middleware.request_id_from({}) for _ in range(1000)}
    assert len(ids) == 1000 and all(REQUEST_ID_RE.match(i) and len(i) == 32 for i in ids)
    assert middleware.request_id_from({b"x-request-id": b"given-1"}) == "given-1"


def test_refusals_are_logged_once_a_second_with_their_counts(caplog):
    shed = middleware.ShedLog(every_s=1.0)
    with caplog.at_level("INFO", logger="jobrank.access"):
        logged = [shed.should_log("/v1/rank", 429, 100.0 + i / 1000) for i in range(500)]
        assert logged[0] and not any(logged[1:]) and caplog.records == []
        assert shed.should_log("/v1/rank", 429, 101.5)
    (line,) = caplog.records
    assert line.getMessage() == "refused" and line.counts == {"/v1/rank 429": 499}


def test_a_ranking_request_beyond_the_in_flight_bound_is_refused_before_its_body_is_read(tmp_path):
    app = create_app(Settings.from_env({"JOBRANK_MAX_QUEUE": "4"}, artifacts=tmp_path))
    front = app.service_middleware
    assert front is not None and front.max_in_flight == 8
    front.in_flight = 8
    sent: list[dict] = []

    async def receive():
        raise AssertionError("the body was read")

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/rank", "headers": [], "query_string": b""}
    asyncio.run(app(scope, receive, send))
    headers = dict(sent[0]["headers"])
    assert sent[0]["status"] == 429 and headers[b"connection"] == b"close" and headers[b"retry-after"] == b"1"
    assert b"in flight" in sent[1]["body"] and front.in_flight == 8
