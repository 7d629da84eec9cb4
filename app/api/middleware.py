"""Pure-ASGI middleware: arrival time, request id, body-size limit, access log and request metrics.

The arrival time it records is where a request's latency budget starts, so time spent reading and
parsing the body counts against the budget.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from app import metrics
from app.logs import request_id_var

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


class ServiceMiddleware:
    """Wraps every HTTP request; see the module docstring."""

    def __init__(self, app, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:128] or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state.update(started=started, request_id=request_id, log={})
        token = request_id_var.set(request_id)
        route = scope["path"] if scope["path"] in ROUTES else "other"
        status = {"code": 500}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (b"x-request-id", state["request_id"].encode("latin-1", "replace"))
                ]
            await send(message)

        try:
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._too_large(send_wrapper)
                return
            body_receive = receive
            if scope["method"] in ("POST", "PUT", "PATCH"):
                body, too_large = await self._read_body(receive)
                if too_large:
                    await self._too_large(send_wrapper)
                    return
                body_receive = _replay(body, receive)
            await self.app(scope, body_receive, send_wrapper)
        finally:
            seconds = time.perf_counter() - started
            extra = state.get("log", {})
            metrics.REQUESTS.labels(route, str(status["code"])).inc()
            metrics.REQUEST_LATENCY.labels(route, extra.get("model", "-"), extra.get("tier", "-")).observe(seconds)
            if route not in QUIET:
                log.info(
                    "request",
                    extra={
                        "request_id": state["request_id"],
                        "method": scope["method"],
                        "route": route,
                        "status": status["code"],
                        "ms": round(seconds * 1000, 2),
                        **extra,
                    },
                )
            request_id_var.reset(token)

    async def _read_body(self, receive) -> tuple[bytes, bool]:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), False

    async def _too_large(self, send) -> None:
        body = json.dumps(
            {"detail": f"body: larger than {self.max_body_bytes} bytes (JOBRANK_MAX_BODY_BYTES)"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
