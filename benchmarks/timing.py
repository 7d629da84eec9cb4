"""The one timing helper the benchmarks share."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_ms(
    fn: Callable[[], object], repeats: int, warmup: int = 5, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Median time of ``fn()`` in milliseconds over ``repeats`` runs, after ``warmup`` untimed runs: wall
    time, or CPU time with ``clock=time.process_time``."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        started = clock()
        fn()
        times.append((clock() - started) * 1000)
    return statistics.median(times)
