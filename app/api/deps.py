"""What the routes share: the service state (settings, model registry, admission queue, executors)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from fastapi import HTTPException, Request

from app.api.candidates import ValidatedJobs
from app.config import Settings
from app.ranking.admission import AdmissionQueue
from app.ranking.engine import RankingEngine
from app.ranking.registry import ModelRegistry


@dataclass
class ServiceState:
    """One per process, built by app.main and kept on ``app.state.service``."""

    settings: Settings
    registry: ModelRegistry
    # Inference runs here, off the event loop; one thread, because onnxruntime already uses the
    # process's CPUs (intra-op threads) and concurrent runs would only fight over them. Work reaches
    # it only through ``admission`` (app/api/inference.py).
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="inference"))
    admission: AdmissionQueue = field(default_factory=lambda: AdmissionQueue(64))
    # Large bodies are parsed and validated here, one at a time, so one client cannot stall the loop.
    parser: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="parser"))
    # Model loading runs here, so a reload never stalls ranking requests behind it.
    loader: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="loader"))
    # Candidates validated before, by the digest of their JSON (app/api/candidates.py); sized by the settings.
    validated: ValidatedJobs = field(init=False)
    warmed_up: bool = False
    draining: bool = False  # SIGTERM received: no new work is admitted (503), in-flight requests finish
    gc_frozen: bool = False  # gc.freeze() ran after the first load (see app/lifecycle.py)

    def __post_init__(self) -> None:
        self.validated = ValidatedJobs(self.settings.validated_cache_size)


async def get_state(request: Request) -> ServiceState:
    """The process's state (async: FastAPI would run a plain function in its thread pool)."""
    return request.app.state.service


def active_engine(state: ServiceState) -> RankingEngine:
    """The engine answering now (the caller keeps this reference for the whole request)."""
    engine = state.registry.active
    if engine is None:
        raise HTTPException(503, detail="no model loaded yet (see /readyz)", headers={"Retry-After": "5"})
    return engine
