"""GET /healthz (process alive), /readyz (a model is loaded and warmed up), /metrics (Prometheus)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from app import metrics
from app.api.deps import ServiceState, get_state
from app.api.redact import public
from app.schemas import ModelRef

router = APIRouter(tags=["operations"])


class Readiness(BaseModel):
    ready: bool
    draining: bool = Field(description="true after SIGTERM: in-flight requests finish, new work gets 503")
    model: ModelRef | None
    last_reload: dict[str, Any] | None = Field(
        description="what the last (re)load did; paths relative to JOBRANK_ARTIFACTS"
    )


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="A model is loaded and warmed up, and the process is not draining (503 otherwise)",
    responses={503: {"model": Readiness, "description": "not ready (loading, no valid model, or draining)"}},
)
async def readyz(response: Response, state: ServiceState = Depends(get_state)) -> Readiness:
    active = state.registry.active
    last = state.registry.last_reload
    ready = active is not None and state.warmed_up and not state.draining
    response.status_code = 200 if ready else 503
    return Readiness(
        ready=ready,
        draining=state.draining,
        model=ModelRef(name=active.name, version=active.version) if active else None,
        last_reload=public(last.to_json(), state.settings.artifacts) if last else None,
    )


@router.get("/metrics", summary="Prometheus metrics (text format)", response_class=PlainTextResponse)
async def prometheus_metrics(state: ServiceState = Depends(get_state)) -> Response:
    active = state.registry.active
    if active is not None:
        metrics.CACHE_HIT_RATE.set(active.cache_hit_rate())
        metrics.CACHE_SIZE.set(len(active.cache))
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)
