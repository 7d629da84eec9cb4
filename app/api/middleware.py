"""Pure-ASGI layer in front of the whole app: arrival time, request id, cheap refusals, access log, metrics.

:func:`install` puts it in front of FastAPI itself (its telemetry check, error handlers, body
limits, routing), so a request refused here never enters FastAPI: under overload most requests end
here, and what each refusal costs is taken from the work admitted (one event loop, and one GIL
shared with the inference thread). The arrival time it records (or the earlier one the server
stamped, app/api/server.py) is where a request's latency budget starts, so time spent waiting,
reading and parsing counts against it. Before a byte of the body is read: a draining process
answers 503 (Retry-After) to new work, a Content-Length over the cap answers 413, and a ranking
request finding 2 x JOBRANK_MAX_QUEUE others in flight answers 429 (connection closed). The body is
then read against the byte cap (413) and a deadline (JOBRANK_BODY_TIMEOUT_S: a client trickling
its body gets 408 and the connection closes); a ranking body is admitted or refused (429) off its
bytes, before it is parsed. Refusals are answered from pre-encoded bytes and logged once a second
with their counts, not one line each. Under `python -m app` a door comes first (:meth:`ServiceMiddleware.door`,
called by app/api/server.py before the HTTP parser): when the work queued would already take
``DOOR_SHARE`` of the largest budget asked for lately, a ranking request is answered 429 from its
first bytes and its body skipped as it arrives (`jobrank_shed_total{reason="door"}`).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import re
import time
import uuid
from collections import Counter

from fastapi import FastAPI

from app import metrics
from app.api import server
from app.api.body import budget_hint, count_hint
from app.api.deps import ServiceState
from app.api.errors import overloaded_detail
from app.api.server import arrival_var
from app.logs import request_id_var
from app.ranking.admission import Overloaded, Ticket
from app.schemas import REQUEST_ID_RE

log = logging.getLogger("jobrank.access")
ROUTES = {
    "/v1/rank",
    "/v1/jobs",
    "/v1/models",
    "/v1/admin/reload",
    "/healthz",
    "/readyz",
    "/metrics",
    "/docs",
    "/openapi.json",
}
QUIET = {"/healthz", "/readyz", "/metrics"}  # probes and scrapes: metrics only, no access log line
WORK = {"/v1/rank", "/v1/jobs", "/v1/admin/reload"}  # refused while draining
POLL_S = 0.25  # how often a body read looks at the drain flag
# Ranking requests past the middleware's door and not answered yet, at most this many times
# JOBRANK_MAX_QUEUE: when the loop falls behind (a starved CPU), each one holds its body in memory;
# more are refused (429) before their body is read, which is what lets the loop catch up.
IN_FLIGHT_PER_QUEUE_SLOT = 2
DOOR_BUDGET_MEMORY_S = 10.0  # how long the door remembers the largest budget a ranking request asked for
# The door closes when the work queued would take this share of that budget: the requests it lets in
# find room after their body is read (many pass the door in one turn of the loop), and what is queued
# keeps the inference thread busy meanwhile.
DOOR_SHARE = 0.6
SHED_STATUSES = {429, 503}  # answered by the thousand under overload: counted in one log line a second
# Request ids made here: a random prefix per process and a counter (uuid4 per request reads
# os.urandom, a system call that gives up the GIL, which the inference thread then holds).
_ID_PREFIX = uuid.uuid4().hex[:16]  # 32 hex characters in all, as a uuid4 hex
_ID_COUNTER = itertools.count()


class Refusal(Exception):
    """Answer this status and detail now; ``close`` the connection when the body was not read to its end."""

    def __init__(self, status: int, detail: str, retry_after: int | None = None, close: bool = True):
        super().__init__(detail)
        self.status, self.detail, self.retry_after, self.close = status, detail, retry_after, close


class ServiceApp(FastAPI):
    """FastAPI with :class:`ServiceMiddleware` (see :func:`install`) in front of everything FastAPI does
    per request (its telemetry check, its middleware stack, routing)."""

    service_middleware: ServiceMiddleware | None = None

    async def __call__(self, scope, receive, send) -> None:
        front = self.service_middleware
        await (front or super().__call__)(scope, receive, send)


def install(app: ServiceApp, state: ServiceState) -> None:
    """Put :class:`ServiceMiddleware` in front of ``app``: a request it refuses never enters FastAPI; and
    its :meth:`~ServiceMiddleware.door` in front of the HTTP parser when `python -m app` serves it."""
    app.service_middleware = ServiceMiddleware(functools.partial(FastAPI.__call__, app), state)
    server.door = app.service_middleware.door


# The X-Request-ID header in a request's unparsed head (every header line follows a CRLF).
_HEAD_REQUEST_ID = re.compile(rb"\r\nx-request-id:([^\r\n]*)\r\n", re.IGNORECASE)


def request_id_from(headers: dict[bytes, bytes]) -> str:
    """The X-Request-ID header when it is a safe id (see app/schemas.py), else a new one."""
    given = headers.get(b"x-request-id")
    if given is not None:
        text = given.decode("latin-1").strip()
        if REQUEST_ID_RE.match(text):
            return text
    return new_request_id()


def new_request_id() -> str:
    """A request id made here: the process's prefix and the next count."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


class ShedLog:
    """Refusals under overload: the first of each second logged in full, the rest counted into one line."""

    def __init__(self, every_s: float = 1.0):
        self.every_s = every_s
        self.counts: Counter[tuple[str, int]] = Counter()
        self.since = 0.0

    def should_log(self, route: str, status: int, now: float) -> bool:
        """Count this refusal; True when it is to be logged in full (the counts seen since go out first)."""
        if now - self.since < self.every_s:
            self.counts[(route, status)] += 1
            return False
        if self.counts:
            counts = {f"{route} {status}": n for (route, status), n in sorted(self.counts.items())}
            log.info("refused", extra={"counts": counts, "seconds": round(now - self.since, 1)})
            self.counts.clear()
        self.since = now
        return True


class ServiceMiddleware:
    """Wraps every HTTP request; see the module docstring."""

    def __init__(self, app, state: ServiceState):
        self.app = app
        self.state = state
        self.max_body_bytes = state.settings.max_body_bytes
        self.body_timeout_s = state.settings.body_timeout_s
        self.shed_log = ShedLog()
        self.in_flight, self.max_in_flight = 0, IN_FLIGHT_PER_QUEUE_SLOT * state.settings.max_queue
        # The largest budget ranking requests asked for lately: the door refuses only what even that
        # budget would not fit, so a client with a larger budget than the default is not turned away.
        self.door_budget_ms, self.door_budget_at = state.settings.default_budget_ms, 0.0

    def door(self, head: bytes) -> bytes | None:
        """A whole 429 answer (keep-alive) for a ranking request with this ``head`` (request line and
        headers, unparsed), when even the cheapest request would be refused now with ``DOOR_SHARE`` of
        the largest budget asked for lately; else None (it goes the usual way: parsed, body read, admitted or not).
        Called by app/api/server.py before the HTTP parser sees the request."""
        engine = self.state.registry.active
        if engine is None or self.state.draining:
            return None
        now = time.perf_counter()
        if now - self.door_budget_at > DOOR_BUDGET_MEMORY_S:
            self.door_budget_ms = self.state.settings.default_budget_ms
        try:
            self.state.admission.check(engine.costs.request_ms(0), DOOR_SHARE * self.door_budget_ms, 0.0, "door")
        except Overloaded as exc:
            metrics.REQUESTS.labels("/v1/rank", "429").inc()
            if log.isEnabledFor(logging.INFO):
                self.shed_log.should_log("/v1/rank", 429, now)
            answer, payload = _door_answer(overloaded_detail(exc), exc.retry_after_s)
            given = _HEAD_REQUEST_ID.search(head)  # the client's id is echoed, as on the usual path
            request_id = request_id_from({b"x-request-id": given.group(1)} if given else {})
            return answer + b"\r\nx-request-id: " + request_id.encode() + b"\r\n\r\n" + payload
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        now = time.perf_counter()
        started = min(now, arrival_var.get() or now)
        headers = dict(scope.get("headers") or [])
        request_id = request_id_from(headers)
        state = scope.setdefault("state", {})
        state.update(started=started, request_id=request_id, log={})
        token = request_id_var.set(request_id)
        route = scope["path"] if scope["path"] in ROUTES else "other"
        status = {"code": 500}
        counted = False  # in self.in_flight

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = list(message.get("headers", [])) + [
                    (b"x-request-id", state["request_id"].encode("latin-1"))
                ]
            await send(message)

        try:
            if self.state.draining and route in WORK:
                metrics.SHED.labels("draining").inc()
                raise Refusal(503, "shutting down: not taking new work", retry_after=1)
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise self._too_large()
            if route == "/v1/rank":
                if self.in_flight >= self.max_in_flight:
                    metrics.SHED.labels("in flight").inc()
                    raise Refusal(429, self._in_flight_detail(), retry_after=1)  # body unread: connection closed
                self.in_flight, counted = self.in_flight + 1, True
            body_receive = receive
            if scope["method"] in ("POST", "PUT", "PATCH"):
                body = await self._read_body(receive, started + self.body_timeout_s)
                body_receive = _replay(body, receive)
                if route == "/v1/rank":
                    state["ticket"] = self._admit(body, started)
            await self.app(scope, body_receive, send_wrapper)
        except Refusal as refusal:
            status["code"] = refusal.status
            head, payload = _encoded(refusal.status, refusal.detail, refusal.retry_after, refusal.close)
            await send({"type": "http.response.start", "status": refusal.status, "headers": [*head, _id(state)]})
            await send({"type": "http.response.body", "body": payload})
        finally:
            if counted:
                self.in_flight -= 1
            if state.get("ticket") is not None:  # whatever happened, its place in the queue is given back
                self.state.admission.release(state["ticket"])
            finished = time.perf_counter()
            seconds = finished - started
            extra = state.get("log", {})
            code = status["code"]
            metrics.REQUESTS.labels(route, str(code)).inc()
            metrics.REQUEST_LATENCY.labels(route, extra.get("model", "-"), extra.get("tier", "-")).observe(seconds)
            if route not in QUIET and log.isEnabledFor(logging.INFO):
                if code not in SHED_STATUSES or self.shed_log.should_log(route, code, finished):
                    log.info(
                        "request",
                        extra={
                            "request_id": state["request_id"],
                            "method": scope["method"],
                            "route": route,
                            "status": code,
                            "ms": round(seconds * 1000, 2),
                            **extra,
                        },
                    )
            request_id_var.reset(token)

    async def _read_body(self, receive, deadline: float) -> bytes:
        """The whole body, or a :class:`Refusal` (413 too large, 408 too slow, 503 draining meanwhile)."""
        chunks, size = [], 0
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise Refusal(408, f"body: not received within {self.body_timeout_s:g} s (JOBRANK_BODY_TIMEOUT_S)")
            if self.state.draining:  # a body still arriving is not work in flight yet
                raise Refusal(503, "shutting down: not taking new work", retry_after=1)
            try:
                async with asyncio.timeout(min(left, POLL_S)):  # one timer, not a task per chunk (wait_for)
                    message = await receive()
            except TimeoutError:
                continue
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _admit(self, body: bytes, started: float) -> Ticket | None:
        """A place in the inference queue for a ranking body, or a 429 Refusal: decided off the body's
        bytes, before it is parsed. The jobs are counted only when the cheapest request would fit."""
        engine = self.state.registry.active
        if engine is None:
            return None  # the route answers 503
        budget = budget_hint(body, self.state.settings.default_budget_ms)
        if budget >= self.door_budget_ms:
            self.door_budget_ms, self.door_budget_at = budget, time.perf_counter()
        elapsed = (time.perf_counter() - started) * 1000.0
        queue, costs = self.state.admission, engine.costs
        try:
            queue.check(costs.request_ms(0), budget, elapsed)
            return queue.admit(costs.request_ms(count_hint(body)), budget, elapsed)
        except Overloaded as exc:
            raise Refusal(429, overloaded_detail(exc), retry_after=exc.retry_after_s, close=False) from None

    def _in_flight_detail(self) -> str:
        return f"overloaded: {self.max_in_flight} ranking requests in flight ({IN_FLIGHT_PER_QUEUE_SLOT} x JOBRANK_MAX_QUEUE)"

    def _too_large(self) -> Refusal:
        return Refusal(413, f"body: larger than {self.max_body_bytes} bytes (JOBRANK_MAX_BODY_BYTES)")


def _id(state: dict) -> tuple[bytes, bytes]:
    return (b"x-request-id", state["request_id"].encode("latin-1"))


@functools.lru_cache(maxsize=64)
def _encoded(status: int, detail: str, retry_after: int | None, close: bool) -> tuple[list, bytes]:
    """A refusal's headers and JSON body, encoded once (the details are a few fixed sentences)."""
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))  # the rest of the body (if any) is never read
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    return headers, body


@functools.lru_cache(maxsize=64)
def _door_answer(detail: str, retry_after: int) -> tuple[bytes, bytes]:
    """An HTTP/1.1 429 answer's status line and headers (keep-alive; the request id goes last) and its
    JSON body, encoded once."""
    head, payload = _encoded(429, detail, retry_after, False)
    lines = [b"HTTP/1.1 429 Too Many Requests", *(name + b": " + value for name, value in head)]
    return b"\r\n".join(lines), payload


def _replay(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
