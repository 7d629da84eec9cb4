"""Work for the inference thread goes through the admission queue, and is dropped when its client leaves."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request

from app import metrics
from app.api.deps import ServiceState
from app.ranking.admission import ClientGone, Ticket

T = TypeVar("T")


async def _disconnected(request: Request) -> None:
    """Return when the client has gone (the body was read already, so the next message is the disconnect)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def run_admitted(state: ServiceState, request: Request | None, ticket: Ticket, fn: Callable[..., T], *args) -> T:
    """``fn(*args)`` in the inference thread for an admitted ``ticket``. With a ``request``, a client that
    disconnects first cancels the ticket: the inference thread skips it and :class:`ClientGone` is raised."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()  # the request id reaches log lines written in the inference thread
    work: asyncio.Future[Any] = loop.run_in_executor(
        state.executor, context.run, state.admission.run, ticket, fn, *args
    )
    if request is None:
        return await work
    watch = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({work, watch}, return_when=asyncio.FIRST_COMPLETED)
        if not work.done():
            work.add_done_callback(lambda done: done.cancelled() or done.exception())  # nobody awaits it now
            metrics.SHED.labels("client gone").inc()
            ticket.cancelled = True  # skipped if not started yet; a running step finishes, its result is dropped
            state.admission.release(ticket)
            raise ClientGone()
        return work.result()
    finally:
        watch.cancel()
