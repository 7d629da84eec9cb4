"""Start-up, reloads and shutdown: load the models off the event loop, hot-swap on SIGHUP or the admin
call, stop admitting on SIGTERM while uvicorn drains the requests in flight."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import metrics
from app.api.deps import ServiceState
from app.ranking.registry import ReloadReport

log = logging.getLogger("jobrank.models")


def _freeze_once(state: ServiceState) -> None:
    """After the first load: move what lives for the whole process out of the collector's view."""
    if state.gc_frozen:
        # Later loads are not frozen: a frozen object is never collected, so freezing on every
        # reload would keep each replaced model in memory for good.
        return
    # The models, tokenizers and the import graph are long-lived: frozen, full collections (tens of
    # ms with everything in view) stay short during requests.
    gc.collect()
    gc.freeze()
    # A request allocates a few thousand short-lived objects (the parsed jobs); collect the young
    # generation less often, and the old one rarely.
    gc.set_threshold(20_000, 20, 100)
    state.gc_frozen = True


async def reload_models(state: ServiceState) -> ReloadReport:
    """(Re)load every model folder in the loader thread, swap, and publish the outcome in metrics and logs."""
    if not state.settings.artifacts.is_dir():
        log.error(
            "no artifacts folder",
            extra={
                "reason": f"JOBRANK_ARTIFACTS={state.settings.artifacts}: no such folder (relative paths start at the working directory)"
            },
        )
    report = await asyncio.get_running_loop().run_in_executor(state.loader, state.registry.reload)
    active = state.registry.active
    if active is not None:
        _freeze_once(state)
    state.warmed_up = active is not None
    metrics.RELOADS.labels("ok" if report.ok else "refused").inc()
    metrics.LAST_RELOAD_OK.set(1 if report.ok else 0)
    metrics.MODELS_LOADED.set(len(state.registry.engines))
    metrics.READY.set(1 if state.warmed_up else 0)
    if active is not None:
        metrics.MODEL_INFO.info({"name": active.name, "version": active.version})
    level = logging.INFO if report.ok else logging.ERROR
    log.log(level, "models loaded" if report.ok else "model refused", extra={"reload": report.to_json()})
    return report


def _drain_on_sigterm(state: ServiceState) -> None:
    """Chain a SIGTERM handler in front of the server's: refuse new work (503), readyz 503, then let the
    server drain. Only possible in the main thread (not under a test client)."""
    try:
        previous = signal.getsignal(signal.SIGTERM)

        def drain(signum, frame):
            state.draining = True
            metrics.READY.set(0)
            log.info("SIGTERM: draining", extra={"in_flight": state.admission.depth})
            if not callable(previous):
                return
            delay = state.settings.drain_delay_s
            if delay > 0:  # keep answering (503 to new work) while load balancers notice /readyz
                threading.Timer(delay, previous, (signum, frame)).start()
            else:
                previous(signum, frame)

        signal.signal(signal.SIGTERM, drain)
    except ValueError:  # not the main thread
        pass


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Load models in the background (healthz answers at once, readyz once warmed up); SIGHUP reloads."""
    state: ServiceState = app.state.service
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task] = set()

    def schedule_reload() -> None:
        task = loop.create_task(reload_models(state))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    schedule_reload()
    try:
        loop.add_signal_handler(signal.SIGHUP, schedule_reload)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no SIGHUP here
        pass
    _drain_on_sigterm(state)
    try:
        yield
    finally:
        state.draining = True
        try:
            loop.remove_signal_handler(signal.SIGHUP)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
        for task in tasks:
            task.cancel()
        state.executor.shutdown(wait=False, cancel_futures=True)
        state.parser.shutdown(wait=False, cancel_futures=True)
        state.loader.shutdown(wait=False, cancel_futures=True)
