"""POST /v1/rank: score a member's candidate jobs within a latency budget."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from app import metrics
from app.api.deps import ServiceState, active_engine, get_state
from app.schemas import RankRequest, RankResponse

router = APIRouter(tags=["ranking"])


def check_candidates(jobs: list, limit: int, field: str) -> None:
    """422 naming the field for too many jobs or a repeated job_id."""
    if len(jobs) > limit:
        raise HTTPException(422, detail=f"{field}: at most {limit} jobs per request (got {len(jobs)})")
    seen: set[str] = set()
    for i, job in enumerate(jobs):
        if job.job_id in seen:
            raise HTTPException(422, detail=f"{field}[{i}].job_id: duplicate job_id {job.job_id!r}")
        seen.add(job.job_id)


def _rank_timed(engine, member, candidates, budget: float, started: float):
    """engine.rank, and the moment it returned (in the inference thread)."""
    return engine.rank(member, candidates, budget, started), time.perf_counter()


@router.post("/v1/rank", response_model=RankResponse, summary="Rank candidate jobs for a member")
async def rank(body: RankRequest, request: Request, state: ServiceState = Depends(get_state)) -> JSONResponse:
    """Results sorted by `score` (ties by job_id), best first; `scores` always holds both heads."""
    check_candidates(body.candidates, state.settings.max_candidates, "candidates")
    started = request.state.started
    if body.request_id:
        request.state.request_id = body.request_id
    engine = active_engine(state)  # held for the whole request: a reload does not pull it away
    budget = body.budget_ms if body.budget_ms is not None else state.settings.default_budget_ms
    loop = asyncio.get_running_loop()
    outcome, returned = await loop.run_in_executor(
        state.executor, _rank_timed, engine, body.member, body.candidates, budget, started
    )

    jobs = body.candidates
    order = sorted(range(len(jobs)), key=lambda i: (-float(outcome.score[i]), jobs[i].job_id))
    if body.top_k is not None:
        order = order[: body.top_k]
    results = []
    for rank_index, i in enumerate(order, start=1):
        item = {
            "job_id": jobs[i].job_id,
            "rank": rank_index,
            "score": round(float(outcome.score[i]), 6),
            "scores": {
                "relevance": round(float(outcome.relevance[i]), 6),
                "engagement": round(float(outcome.engagement[i]), 6),
            },
        }
        if body.explain:
            item["tier"] = "ranker" if outcome.by_ranker[i] else "features"
        results.append(item)
    finished = time.perf_counter()
    total_ms = (finished - started) * 1000.0
    # What follows the engine (the event loop picking the result up, sorting, building the answer)
    # is part of the budget too: the engine plans with its measured cost, plus headroom for noise.
    engine.costs.observe("fixed", 1.5 * (finished - returned) * 1000.0 + 0.5)
    model = {"name": engine.name, "version": engine.version}
    content = {
        "request_id": request.state.request_id,
        "model": model,
        "results": results,
        "tier": outcome.tier,
        "degraded": outcome.degraded,
        "timing": {"total_ms": round(total_ms, 3), "budget_ms": budget},
    }
    if body.explain:
        content["explain"] = {
            "counts": outcome.counts,
            "steps_ms": {k: round(v, 3) for k, v in outcome.steps_ms.items()},
            "costs_ms": engine.costs.snapshot(),
        }
    metrics.CACHE_LOOKUPS.labels("hit").inc(outcome.counts["cached"])
    metrics.CACHE_LOOKUPS.labels("miss").inc(outcome.counts["candidates"] - outcome.counts["cached"])
    if outcome.degraded:
        metrics.DEGRADED.labels(engine.name, outcome.tier).inc()
    if total_ms > budget:
        metrics.BUDGET_MISSES.labels(engine.name).inc()
    request.state.log.update(
        model=engine.version,
        tier=outcome.tier,
        degraded=outcome.degraded,
        candidates=len(jobs),
        budget_ms=budget,
        **{f"n_{k}": v for k, v in outcome.counts.items()},
    )
    return JSONResponse(content)
