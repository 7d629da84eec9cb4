"""The sweep's own logic: the open-loop schedule, latency from the scheduled time, percentiles, the knee."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from benchmarks.load_test import open_loop, schedule
from benchmarks.sweep import (
    answer_class,
    bisect_rate,
    find_knee,
    histogram_percentiles,
    rate_plan,
    summarise_step,
)

SERVICE_S = 0.05  # the fake server's time per request, one at a time


class _Slow(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers["content-length"]))
        time.sleep(SERVICE_S)
        body = b'{"degraded": false}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    """A single-threaded server: requests queue behind each other, as in an overloaded service."""
    server = HTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_schedule_is_fixed_by_the_rate_alone() -> None:
    assert schedule(4, 20.0) == [0.0, 0.05, 0.1, 0.15]
    with pytest.raises(ValueError):
        schedule(3, 0)


def test_latency_counts_from_the_scheduled_time(slow_server: str) -> None:
    # 10 requests offered at 100 rps to a server that does 20 rps: the queue grows by ~40 ms per request.
    # A closed-loop client (send, await, send) would see ~50 ms each and hide the queue; here the last waits ~0.5 s.
    results = asyncio.run(open_loop(slow_server, [b"{}"] * 10, 100.0))
    latencies = sorted(r["latency_ms"] for r in results)
    assert [r["status"] for r in results] == [200] * 10
    assert latencies[0] >= SERVICE_S * 1000 * 0.9
    assert latencies[-1] >= 10 * SERVICE_S * 1000 - 90 - 20  # queueing is visible, not hidden


def test_answer_classes() -> None:
    assert [answer_class(s) for s in (200, 429, 503, 500, 404, "error: ReadTimeout")] == [
        "200",
        "429",
        "503",
        "other",
        "other",
        "other",
    ]


def test_histogram_percentiles_match_the_data() -> None:
    values = [float(v) for v in range(1, 1001)]  # 1..1000 ms
    got = histogram_percentiles(values)
    assert got["p50"] == pytest.approx(500, rel=0.01)
    assert got["p99"] == pytest.approx(990, rel=0.01)
    assert got["max"] == pytest.approx(1000, rel=0.01)


def test_step_summary_counts_classes_goodput_and_degraded() -> None:
    results = [{"status": 200, "latency_ms": 10.0, "degraded": False}] * 6
    results += [{"status": 200, "latency_ms": 80.0, "degraded": True}] * 2
    results += [{"status": 429, "latency_ms": 1.0}, {"status": "error: ConnectError", "latency_ms": 5.0}]
    step = summarise_step(results, rate=5.0, seconds=2.0, budget_ms=50.0)
    assert step["classes"] == {"200": 8, "429": 1, "503": 0, "other": 1}
    assert step["error_share"] == pytest.approx(0.2)
    assert step["goodput_rps"] == pytest.approx(3.0)  # 6 answers within 50 ms over 2 s
    assert step["degraded_share"] == pytest.approx(0.25)


def _step(rate: float, p99: float, error_share: float = 0.0) -> dict:
    return {"offered_rps": rate, "latency_ms": {"p99": p99}, "error_share": error_share}


def test_knee_is_the_highest_rate_within_budget_and_without_errors() -> None:
    steps = [_step(20, 12), _step(30, 18), _step(45, 40), _step(67.5, 120), _step(101, 900)]
    assert find_knee(steps, 50) == 45
    assert bisect_rate(steps, 50) == pytest.approx(56.2, abs=0.1)
    shed = [_step(20, 12), _step(30, 5, error_share=0.3)]  # fast 429s are not capacity
    assert find_knee(shed, 50) == 20
    assert find_knee([_step(20, 80)], 50) is None and bisect_rate([_step(20, 80)], 50) is None


def test_rate_plan_grows_geometrically() -> None:
    assert rate_plan(20, 1.5, 100) == [20, 30, 45, 67.5]
    with pytest.raises(ValueError):
        rate_plan(20, 1.0, 100)
