"""PUT /v1/jobs: encode and cache jobs ahead of ranking requests (as a marketplace does on posting)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Depends, Request

from app.api.deps import ServiceState, active_engine, get_state
from app.api.routes.rank import check_candidates
from app.schemas import IndexJobsRequest, IndexJobsResponse

router = APIRouter(tags=["ranking"])
INDEX_SLICE = 8  # jobs encoded per turn in the inference thread (~35 ms)


@router.put("/v1/jobs", response_model=IndexJobsResponse, summary="Index jobs (cache their embeddings)")
async def index_jobs(body: IndexJobsRequest, request: Request, state: ServiceState = Depends(get_state)) -> dict:
    """Jobs already cached (same content) are skipped; the answer says how many were encoded."""
    check_candidates(body.jobs, state.settings.max_candidates, "jobs")
    engine = active_engine(state)
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    counts = {"received": 0, "encoded": 0, "already_cached": 0}
    # Small slices, each its own turn in the inference thread: ranking requests interleave with a
    # bulk upload instead of waiting behind all of it.
    for start in range(0, len(body.jobs), INDEX_SLICE):
        part = await loop.run_in_executor(state.executor, engine.index_jobs, body.jobs[start : start + INDEX_SLICE])
        counts = {key: counts[key] + part[key] for key in counts}
    request.state.log.update(model=engine.version, **counts)
    return {
        "model": {"name": engine.name, "version": engine.version},
        **counts,
        "cache_size": len(engine.cache),
        "took_ms": round((time.perf_counter() - started) * 1000, 3),
    }
