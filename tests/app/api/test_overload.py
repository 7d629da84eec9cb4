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

import httpx
import pytest

from app.api.deps import ServiceState
from app.api.inference import run_admitted
from app.config import Settings
from app.ranking.admission import AdmissionQueue, ClientGone
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
