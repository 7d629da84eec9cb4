"""How `python -m app` runs uvicorn: its settings, a protocol that stamps each request's arrival, exit 0 on SIGTERM.

The stamp is taken when the server reads the request's first bytes off the socket, before the
ASGI app is called: under load a request can wait in the event loop before the app sees it, and
that wait belongs in its latency budget and in ``timing.total_ms``. (Read by the middleware; when
the app is served another way, its own arrival time is used.) With HTTP pipelining a request read
ahead of time would carry the stamp of the one before it, which only overstates its wait.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
import signal
import time
from collections.abc import Callable

from app.config import Settings

try:  # httptools (C) parses HTTP several times faster than h11 (pure Python): it is what uvicorn picks too
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as BaseProtocol
except ImportError:  # pragma: no cover - httptools not installed
    from uvicorn.protocols.http.h11_impl import H11Protocol as BaseProtocol  # type: ignore[assignment]

arrival_var: contextvars.ContextVar[float | None] = contextvars.ContextVar("jobrank_arrival", default=None)

# The door (app/api/middleware.py sets it): given a ranking request's head, the bytes of a whole 429
# answer when the service refuses it before parsing anything, else None.
door: Callable[[bytes], bytes | None] | None = None
RANK_START = b"POST /v1/rank HTTP/1.1\r\n"
HEAD_SCAN = 16384  # a head not complete within these first bytes goes to the parser (uvicorn's limit too)
_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*([0-9]{1,12})[ \t]*\r\n", re.IGNORECASE)
_NOT_AT_THE_DOOR = re.compile(rb"\r\n(transfer-encoding|expect):", re.IGNORECASE)  # left to the full path


# The one buffer every connection's socket reads land in (see StampedProtocol.get_buffer): the loop reads
# into it and buffer_updated consumes it before the next read, so one per process (one loop) is enough.
_READS = memoryview(bytearray(256 * 1024))


class StampedProtocol(BaseProtocol, asyncio.BufferedProtocol):
    """uvicorn's HTTP protocol, recording in ``arrival_var`` when data arrived (the request task inherits
    it), with a door in front of the HTTP parser: under overload a ranking request is answered 429 from
    its first bytes and its body skipped as it arrives (the connection stays open), so a refusal costs
    no parsing, no ASGI task and no body copy into Python objects: the socket is read into one shared
    buffer (a buffered protocol) and only bytes that are not skipped become a ``bytes`` object."""

    _skip = 0  # body bytes of a request refused at the door, still to arrive

    def get_buffer(self, sizehint: int) -> memoryview:
        return _READS

    def buffer_updated(self, nbytes: int) -> None:
        self._received(_READS[:nbytes])

    def data_received(self, data: bytes) -> None:  # a loop that does not read into buffers
        self._received(memoryview(data))

    def _received(self, data: memoryview) -> None:
        """What the socket delivered: skip what belongs to a refused body, refuse at the door what it
        refuses, and give the rest to the HTTP parser (only that part is copied into ``bytes``)."""
        arrival_var.set(time.perf_counter())
        skipped = min(self._skip, len(data))
        self._skip -= skipped
        data = data[skipped:]
        while data and door is not None and data[: len(RANK_START)] == RANK_START and self._between_requests():
            taken = self._at_the_door(bytes(data[:HEAD_SCAN]), len(data))
            if taken is None:
                break
            data = data[taken:]  # a pipelined request may follow the refused one
        if data:
            super().data_received(bytes(data))

    def _between_requests(self) -> bool:
        """No request of this connection is being read or answered (getattr: uvicorn's attributes, absent
        from its h11 protocol, which then never meets the door)."""
        cycle = getattr(self, "cycle", None)
        if cycle is not None and not getattr(cycle, "response_complete", False):
            return False
        return not getattr(self, "pipeline", True) and not self.transport.is_closing()

    def _at_the_door(self, head: bytes, available: int) -> int | None:
        """None: not refused (the parser takes the data). Else the 429 is written and the number of the
        ``available`` bytes the refused request takes is returned (``head``: its first bytes; its body's
        missing bytes are skipped as they come)."""
        end = head.find(b"\r\n\r\n")
        length = _LENGTH.search(head, 0, end + 2) if end >= 0 else None
        if length is None or _NOT_AT_THE_DOOR.search(head, 0, end + 2) is not None:
            return None
        answer = door(head[: end + 4]) if door is not None else None
        if answer is None:
            return None
        self._unset_keepalive_if_required()
        self.transport.write(answer)
        # The keep-alive timer bounds a refused body that trickles: the connection closes when it fires.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)
        body_start, size = end + 4, int(length.group(1))
        self._skip = max(0, body_start + size - available)
        return min(available, body_start + size)


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
