"""PUT /v1/jobs: encode and cache jobs ahead of ranking requests (as a marketplace does on posting)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request

from app.api.body import check_unique, off_loop_if_large, openapi_body, read_json, validate
from app.api.deps import ServiceState, active_engine, get_state
from app.api.inference import run_admitted
from app.api.openapi import responses
from app.schemas import IndexJobsRequest, IndexJobsResponse, ModelRef

router = APIRouter(tags=["ranking"])
INDEX_SLICE = 8  # jobs encoded per turn in the inference thread (~35 ms)


@router.put(
    "/v1/jobs",
    response_model=IndexJobsResponse,
    summary="Index jobs (cache their embeddings)",
    openapi_extra=openapi_body(IndexJobsRequest),
    responses=responses(408, 413, 422, 503),
)
async def index_jobs(request: Request, state: ServiceState = Depends(get_state)) -> IndexJobsResponse:
    """Jobs already cached (same content) are skipped; the answer says how many were encoded."""
    engine = active_engine(state)
    data, size = await read_json(request, state, "jobs")
    body = await off_loop_if_large(state, size, validate, IndexJobsRequest, data)
    check_unique(body.jobs, "jobs")
    started = time.perf_counter()
    counts = {"received": 0, "encoded": 0, "already_cached": 0}
    # Small slices, each its own turn in the inference thread: ranking requests interleave with a
    # bulk upload instead of waiting behind all of it. Each slice is admitted (never refused) so the
    # queue's predicted wait counts it.
    for start in range(0, len(body.jobs), INDEX_SLICE):
        part = body.jobs[start : start + INDEX_SLICE]
        ticket = state.admission.admit(engine.costs.ms["encode_per_job"] * len(part), 0.0, 0.0, force=True)
        done = await run_admitted(state, None, ticket, engine.index_jobs, part)
        counts = {key: counts[key] + done[key] for key in counts}
    request.state.log.update(model=engine.version, **counts)
    return IndexJobsResponse(
        model=ModelRef(name=engine.name, version=engine.version),
        **counts,
        cache_size=len(engine.cache),
        took_ms=round((time.perf_counter() - started) * 1000, 3),
    )
