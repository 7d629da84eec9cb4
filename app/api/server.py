"""How `python -m app` runs uvicorn: its settings, a protocol that stamps each request's arrival, exit 0 on SIGTERM.

The stamp is taken when the server reads the request's first bytes off the socket, before the
ASGI app is called: under load a request can wait in the event loop before the app sees it, and
that wait belongs in its latency budget and in ``timing.total_ms``. (Read by the middleware; when
the app is served another way, its own arrival time is used.) With HTTP pipelining a request read
ahead of time would carry the stamp of the one before it, which only overstates its wait.
"""

from __future__ import annotations

import contextvars
import signal
import time

from app.config import Settings

try:  # httptools (C) parses HTTP several times faster than h11 (pure Python): it is what uvicorn picks too
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as BaseProtocol
except ImportError:  # pragma: no cover - httptools not installed
    from uvicorn.protocols.http.h11_impl import H11Protocol as BaseProtocol  # type: ignore[assignment]

arrival_var: contextvars.ContextVar[float | None] = contextvars.ContextVar("jobrank_arrival", default=None)


class StampedProtocol(BaseProtocol):
    """uvicorn's HTTP protocol, recording in ``arrival_var`` when data arrived (the request task inherits it)."""

    def data_received(self, data: bytes) -> None:
        arrival_var.set(time.perf_counter())
        super().data_received(data)


def serve(settings: Settings) -> None:
    """Run uvicorn on app.main:app until SIGTERM/SIGINT; drain within the grace and return (exit 0)."""
    import uvicorn

    # uvicorn re-raises the signal it stopped on once it has shut down; with the default handler a
    # SIGTERM would then kill the process (exit 143) after a clean drain. Ignore that second delivery.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        http=StampedProtocol,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_s)),
        timeout_keep_alive=max(1, round(settings.keep_alive_s)),
        access_log=False,
    )
