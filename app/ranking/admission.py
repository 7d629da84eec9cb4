"""Admission control in front of the one inference thread: bounded by predicted cost, shed at once.

Every ranking request costs the inference thread a predictable time (the engine's ``CostModel``:
member tower + scoring per candidate + what follows). The queue keeps the sum of the predicted
costs of the work admitted and not finished yet; that sum is the wait a new request would see.
A request whose predicted wait plus its own cost would break its budget (what is left of it since
arrival) is refused at once — 429 with Retry-After — instead of queueing for an answer its client
has stopped waiting for (Triton's queue policy: a bounded queue with a per-request timeout;
Envoy's adaptive concurrency: the limit follows measured latency, not a fixed count). The
prediction is calibrated by the measured ratio of real to predicted service time, so a slower
machine (or a noisy neighbour) tightens the limit by itself. An empty queue admits everything:
the cascade then degrades within the budget (Vespa's soft timeout), unless the request is already
far past its budget when it reaches the service (it waited in the server's backlog: its client has
given up).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app import metrics

T = TypeVar("T")
STALE_FACTOR, STALE_SLACK_MS = 2.0, 5.0  # refused even by an empty queue: later than 2x budget + 5 ms
HEADROOM = 0.8  # plan to finish within 80 % of what is left: predictions are averages, the budget is not
CALIBRATION_RANGE = (0.5, 4.0)  # real / predicted service time, clamped (one outlier must not close the door)


class Overloaded(Exception):
    """Refused at admission: the predicted wait would break the request's budget (or the queue is full)."""

    def __init__(self, reason: str, wait_ms: float):
        super().__init__(reason)
        self.reason = reason
        self.wait_ms = wait_ms

    @property
    def retry_after_s(self) -> int:
        """Whole seconds until the queue ahead should have drained (at least 1)."""
        return max(1, math.ceil(self.wait_ms / 1000.0))


class ClientGone(Exception):
    """The client disconnected before its work reached the inference thread: the work was dropped."""


@dataclass
class Ticket:
    """One admitted piece of work; released exactly once (when it ran, or was dropped, or failed)."""

    cost_ms: float
    admitted_at: float
    cancelled: bool = False
    queue_wait_ms: float | None = None
    _released: bool = field(default=False, repr=False)


class AdmissionQueue:
    """Thread-safe accounting of the work waiting for (or running in) the inference thread."""

    def __init__(self, max_queue: int, alpha: float = 0.1):
        self.max_queue = max_queue
        self.alpha = alpha
        self.depth = 0  # tickets admitted and not released
        self.pending_ms = 0.0  # their predicted cost
        self.calibration = 1.0  # EWMA of real / predicted service time
        self._lock = threading.Lock()

    def predicted_wait_ms(self) -> float:
        """What a request admitted now would wait before the inference thread starts it."""
        with self._lock:
            return self.pending_ms * self.calibration

    def check(self, floor_ms: float, budget_ms: float, elapsed_ms: float, label: str | None = None) -> None:
        """Raise :class:`Overloaded` when even work of ``floor_ms`` (the cheapest request) would be refused
        now: lets a caller refuse before it measures the request's own cost (counting its jobs). The
        refusal is counted under ``label`` when given (e.g. "door"), else under its reason."""
        with self._lock:
            self._refuse_if(self._refusal(floor_ms, budget_ms, elapsed_ms), label)

    def admit(self, cost_ms: float, budget_ms: float, elapsed_ms: float, force: bool = False) -> Ticket:
        """A ticket for work of predicted ``cost_ms`` for a request ``elapsed_ms`` into its ``budget_ms``;
        raise :class:`Overloaded` when it would not finish in time (``force``: always admit, e.g. bulk
        indexing slices). An empty queue admits any request not already later than ``STALE_FACTOR``
        times its budget (plus ``STALE_SLACK_MS``): the cascade answers it in time, or degrades."""
        with self._lock:
            if not force:
                self._refuse_if(self._refusal(cost_ms, budget_ms, elapsed_ms))
            self.depth += 1
            self.pending_ms += cost_ms
            metrics.ADMITTED.inc()
            self._publish()
            return Ticket(cost_ms, time.perf_counter())

    def _refusal(self, cost_ms: float, budget_ms: float, elapsed_ms: float) -> str | None:
        """Why work of ``cost_ms`` would be refused now (None: admitted); the caller holds the lock."""
        if self.depth == 0:
            # waited so long before reaching us that its client has given up
            return "stale" if elapsed_ms > STALE_FACTOR * budget_ms + STALE_SLACK_MS else None
        if self.depth >= self.max_queue:
            return "queue full"
        if (self.pending_ms + cost_ms) * self.calibration > HEADROOM * (budget_ms - elapsed_ms):
            return "budget"
        return None

    def _refuse_if(self, reason: str | None, label: str | None = None) -> None:
        if reason is not None:
            metrics.SHED.labels(label or reason).inc()
            raise Overloaded(reason, self.pending_ms * self.calibration)

    def release(self, ticket: Ticket, service_ms: float | None = None) -> None:
        """Return a ticket's share of the queue; ``service_ms`` (measured) calibrates the predictions."""
        with self._lock:
            if ticket._released:
                return
            ticket._released = True
            self.depth -= 1
            self.pending_ms = max(0.0, self.pending_ms - ticket.cost_ms)
            if service_ms is not None and ticket.cost_ms > 0:
                ratio = min(max(service_ms / ticket.cost_ms, CALIBRATION_RANGE[0]), CALIBRATION_RANGE[1])
                self.calibration = (1 - self.alpha) * self.calibration + self.alpha * ratio
            self._publish()

    def run(self, ticket: Ticket, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` for an admitted ticket (in the inference thread), unless its client has gone."""
        started = time.perf_counter()
        ticket.queue_wait_ms = (started - ticket.admitted_at) * 1000.0
        metrics.QUEUE_WAIT.observe(started - ticket.admitted_at)
        if ticket.cancelled:  # counted by whoever cancelled it
            self.release(ticket)
            raise ClientGone()
        try:
            return fn(*args)
        finally:
            self.release(ticket, (time.perf_counter() - started) * 1000.0)

    def _publish(self) -> None:
        metrics.QUEUE_DEPTH.set(self.depth)
        metrics.QUEUE_PENDING.set(self.pending_ms * self.calibration / 1000.0)
