"""POST /v1/rank: score a member's candidate jobs within a latency budget.

The route only maps HTTP to the engine and back: body (cheap checks first, app/api/body.py) →
admission (429 when the predicted wait would break the budget) → ``engine.ranked`` in the
inference thread → the answer in :class:`RankResponse`'s shape, written by orjson (``response_model``
declares it in the OpenAPI schema; FastAPI does not validate a returned Response again).
"""

from __future__ import annotations

import math
import time
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, Response

from app import metrics
from app.api.body import check_unique, off_loop_if_large, openapi_body, read_json
from app.api.deps import ServiceState, active_engine, get_state
from app.api.inference import run_admitted
from app.api.openapi import responses
from app.logs import request_id_var
from app.ranking.engine import RankedList, RankingEngine
from app.schemas import MAX_BUDGET_MS, RankRequest, RankResponse

router = APIRouter(tags=["ranking"])


def _budget(data: dict, default: float) -> float:
    """The request's budget from the parsed JSON, before validation (validation rejects a bad one later)."""
    value = data.get("budget_ms")
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        if 0 < value <= MAX_BUDGET_MS:
            return float(value)
    return default


def _ranked_timed(
    engine: RankingEngine, body: RankRequest, keys: list[bytes], budget: float, started: float
) -> tuple[RankedList, float]:
    """engine.ranked, and the moment it returned (in the inference thread)."""
    ranked = engine.ranked(body.member, body.candidates, budget, started, body.top_k, body.explain, keys)
    return ranked, time.perf_counter()


@router.post(
    "/v1/rank",
    response_model=RankResponse,
    response_model_exclude_none=True,
    summary="Rank candidate jobs for a member",
    openapi_extra=openapi_body(RankRequest),
    responses=responses(408, 413, 422, 429, 503),
)
async def rank(request: Request, state: ServiceState = Depends(get_state)) -> Response:
    """Results sorted by `score`, best first (equal scores keep the candidates' order); `scores` always
    holds both heads. 429 (with Retry-After) when the service cannot answer within the budget."""
    started = request.state.started  # the request's arrival: its budget counts from here
    engine = active_engine(state)  # held for the whole request: a reload does not pull it away
    data, size = await read_json(request, state, "candidates")
    budget = _budget(data, state.settings.default_budget_ms)
    # Admitted by the middleware off the body's bytes (429 there); admitted here when it was not.
    ticket = getattr(request.state, "ticket", None) or state.admission.admit(
        engine.costs.request_ms(len(data["candidates"]) if isinstance(data.get("candidates"), list) else 0),
        budget,
        (time.perf_counter() - started) * 1000.0,
    )
    try:
        body, keys = await off_loop_if_large(state, size, state.validated.rank_request, data)
        check_unique(body.candidates, "candidates")
        if body.request_id:
            request.state.request_id = body.request_id
            request_id_var.set(body.request_id)
        ranked, returned = await run_admitted(
            state, request, ticket, _ranked_timed, engine, body, keys, budget, started
        )
    finally:
        state.admission.release(ticket)  # no-op once the inference thread released it
    finished = time.perf_counter()
    total_ms = (finished - started) * 1000.0
    # What follows the engine (the event loop picking the result up, the response) is part of the
    # budget too: the engine plans with its measured cost, plus headroom for noise.
    engine.costs.observe("fixed", 1.5 * (finished - returned) * 1000.0 + 0.5)
    _record(request, engine, ranked, budget, total_ms, len(body.candidates))
    # Written with orjson in RankResponse's shape (declared to OpenAPI as response_model; None fields
    # left out as pydantic's exclude_none would): cheaper than building and dumping ~200 models.
    answer: dict[str, Any] = {
        "request_id": request.state.request_id,
        "model": {"name": engine.name, "version": engine.version},
        "results": ranked.results,
        "tier": ranked.tier,
        "degraded": ranked.degraded,
        "timing": {"total_ms": round(total_ms, 3), "budget_ms": budget},
    }
    if body.explain:
        answer["explain"] = {
            "counts": ranked.counts,
            "steps_ms": {k: round(v, 3) for k, v in ranked.steps_ms.items()},
            "costs_ms": engine.costs.snapshot(),
            "queue_wait_ms": round(ticket.queue_wait_ms or 0.0, 3),
        }
    return Response(orjson.dumps(answer), media_type="application/json")


def _record(request: Request, engine: RankingEngine, ranked: RankedList, budget: float, total_ms: float, n: int):
    """Metrics and the access log's fields for one answered ranking."""
    counts = ranked.counts
    metrics.CACHE_LOOKUPS.labels("hit").inc(counts["cached"])
    metrics.CACHE_LOOKUPS.labels("miss").inc(counts["candidates"] - counts["cached"])
    if ranked.degraded:
        metrics.DEGRADED.labels(engine.name, ranked.tier).inc()
    if total_ms > budget:
        metrics.BUDGET_MISSES.labels(engine.name).inc()
    request.state.log.update(
        model=engine.version,
        tier=ranked.tier,
        degraded=ranked.degraded,
        candidates=n,
        budget_ms=budget,
        **{f"n_{k}": v for k, v in counts.items()},
    )
