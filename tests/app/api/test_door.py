"""The door in front of the HTTP parser (app/api/server.py): a ranking request refused under overload is
answered 429 from its first bytes, its body skipped as it arrives, the connection kept for the next one."""

from __future__ import annotations

import contextvars
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app import metrics
from app.api import server
from app.api.server import StampedProtocol, arrival_var
from app.config import Settings
from app.main import create_app
from app.ranking.admission import AdmissionQueue
from tests.app.api.service import SHIPPED, Server
from tests.app.api.test_overload import _jobs, artifacts  # noqa: F401  (the fixture)
from tests.conftest import MEMBER

needs_model = pytest.mark.skipif(not (SHIPPED / "manifest.json").is_file(), reason="no shipped model in artifacts/")
REFUSED = b"HTTP/1.1 429 Too Many Requests\r\ncontent-length: 2\r\n\r\n{}"


class _Transport:
    written: list[bytes]

    def __init__(self):
        self.written = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return False


class _Loop:
    def call_later(self, delay, callback):
        return type("Timer", (), {"cancel": lambda self: None})()


def _protocol(parsed: list[bytes]) -> StampedProtocol:
    """A StampedProtocol without uvicorn's set-up; what reaches the HTTP parser goes to ``parsed``."""
    protocol = object.__new__(StampedProtocol)
    protocol.transport, protocol.loop, protocol.pipeline = _Transport(), _Loop(), []
    protocol.timeout_keep_alive, protocol.timeout_keep_alive_task = 5, None
    protocol.timeout_keep_alive_handler = lambda: None
    protocol.parser = type("Parser", (), {"feed_data": lambda self, data: parsed.append(data)})()
    return protocol


def _request(body: bytes, path: bytes = b"/v1/rank", extra: bytes = b"") -> bytes:
    return b"POST " + path + b" HTTP/1.1\r\nHost: t\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_a_refused_request_is_answered_and_its_body_skipped_across_reads(monkeypatch):
    monkeypatch.setattr(server, "door", lambda head: REFUSED)
    parsed: list[bytes] = []
    protocol = _protocol(parsed)
    body = b'{"candidates": [' + b"0, " * 5000 + b"0]}"
    following = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
    data = _request(body) + following
    context = contextvars.copy_context()  # the arrival stamp stays in here, not in the other tests
    for at in range(0, len(data), 4096):  # the socket delivers it in pieces
        context.run(protocol.data_received, data[at : at + 4096])
    assert protocol.transport.written == [REFUSED]
    assert b"".join(parsed) == following and protocol._skip == 0
    assert context.get(arrival_var) is not None and arrival_var.get() is None


def test_buffered_reads_skip_a_refused_body_and_feed_the_parser_only_what_follows(monkeypatch):
    """The loop reads into the protocol's buffer (asyncio.BufferedProtocol): a refused body is dropped
    there, in small reads or in one read holding the whole request and the next one."""
    monkeypatch.setattr(server, "door", lambda head: REFUSED)
    body = b'{"candidates": [' + b"0, " * 20000 + b"0]}"
    following = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
    data = _request(body) + following
    for piece_size in (16384, len(data)):
        parsed: list[bytes] = []
        protocol = _protocol(parsed)
        context = contextvars.copy_context()
        for at in range(0, len(data), piece_size):  # the socket delivers it into the protocol's buffer
            piece = data[at : at + piece_size]
            buffer = protocol.get_buffer(len(piece))
            assert len(buffer) >= len(piece)
            buffer[: len(piece)] = piece
            context.run(protocol.buffer_updated, len(piece))
        assert protocol.transport.written == [REFUSED] and parsed == [following] and protocol._skip == 0


def test_what_the_door_does_not_refuse_goes_to_the_parser_untouched(monkeypatch):
    parsed: list[bytes] = []
    monkeypatch.setattr(server, "door", lambda head: None)  # admitted at the door
    protocol = _protocol(parsed)
    context = contextvars.copy_context()
    context.run(protocol.data_received, _request(b"{}"))
    monkeypatch.setattr(server, "door", lambda head: REFUSED)
    # Other routes, chunked bodies and Expect: 100-continue never meet the door.
    context.run(protocol.data_received, _request(b"{}", path=b"/v1/jobs"))
    context.run(protocol.data_received, b"POST /v1/rank HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    context.run(protocol.data_received, _request(b"{}", extra=b"Expect: 100-continue\r\n"))
    assert len(parsed) == 4 and protocol.transport.written == []


def test_the_door_refuses_only_what_the_largest_recent_budget_would_not_fit(tmp_path):
    app = create_app(Settings.from_env({"JOBRANK_DEFAULT_BUDGET_MS": "50"}, artifacts=tmp_path))
    front = app.service_middleware
    assert front is not None and server.door == front.door
    shed = metrics.SHED.labels("door")._value.get(), metrics.SHED.labels("budget")._value.get()
    front.state.registry.active = type("Engine", (), {"costs": type("C", (), {"request_ms": lambda s, n: 2.0})()})()
    queue: AdmissionQueue = front.state.admission
    assert front.door(b"") is None  # an empty queue admits
    queue_ticket = queue.admit(30.0, 0.0, 0.0, force=True)  # 30 ms of work ahead: over the door's share of 50 ms
    answer = front.door(b"")
    assert answer is not None and answer.startswith(b"HTTP/1.1 429 ") and b"\r\nretry-after: 1\r\n" in answer
    assert (metrics.SHED.labels("door")._value.get(), metrics.SHED.labels("budget")._value.get()) == (
        shed[0] + 1,
        shed[1],
    )  # counted once, as a door refusal
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert json.loads(payload)["detail"].startswith("overloaded") and b"x-request-id: " in head
    assert int(head.split(b"content-length: ")[1].split(b"\r\n")[0]) == len(payload)
    # The client's X-Request-ID is echoed when it is a safe id, as on the usual path; else a new one.
    given = front.door(b"POST /v1/rank HTTP/1.1\r\nHost: t\r\nX-Request-ID: trace-42\r\n\r\n")
    assert given is not None and b"\r\nx-request-id: trace-42\r\n" in given
    unsafe = front.door(b"POST /v1/rank HTTP/1.1\r\nx-request-id: a b<c>\r\n\r\n")
    assert unsafe is not None and b"a b<c>" not in unsafe and b"\r\nx-request-id: " in unsafe
    front.door_budget_ms, front.door_budget_at = 500.0, time.perf_counter()  # a client asked for 500 ms lately
    assert front.door(b"") is None
    front.door_budget_ms, front.door_budget_at = 50.0, time.perf_counter()
    queue.release(queue_ticket)
    queue.admit(20.0, 0.0, 0.0, force=True)  # 20 ms ahead: the middleware decides, after the body
    assert front.door(b"") is None


@needs_model
def test_under_overload_the_door_sheds_and_the_connection_serves_the_next_request(artifacts, tmp_path):  # noqa: F811
    server_process = Server(artifacts, tmp_path / "service.log", entry_point=True, JOBRANK_DEFAULT_BUDGET_MS="5")
    try:
        body = json.dumps({"member": MEMBER, "candidates": _jobs("d", 100), "budget_ms": 5}).encode()

        def post(_):
            with httpx.Client(base_url=server_process.url, timeout=30) as client:
                return [client.post("/v1/rank", content=body).status_code for _ in range(4)]

        with ThreadPoolExecutor(16) as pool:
            statuses = {s for answers in pool.map(post, range(32)) for s in answers}
        assert statuses <= {200, 429} and 429 in statuses, statuses
        metrics = server_process.client.get("/metrics").text
        door = [line for line in metrics.splitlines() if line.startswith('jobrank_shed_total{reason="door"}')]
        assert door and float(door[0].split()[-1]) > 0, metrics[-3000:]
        with socket.create_connection(("127.0.0.1", server_process.port), timeout=30) as sock:
            sock.sendall(_request(body) + b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            received = b""
            while received.count(b"HTTP/1.1 ") < 2 or not received.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                assert chunk, received
                received += chunk
            first, second = received.split(b"HTTP/1.1 ")[1:3]
            assert first[:3] in (b"200", b"429") and second.startswith(b"200")
    finally:
        server_process.stop()
