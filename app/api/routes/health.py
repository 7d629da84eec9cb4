"""GET /healthz (process alive), /readyz (a model is loaded and warmed up), /metrics (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app import metrics
from app.api.deps import ServiceState, get_state

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="A model is loaded and warmed up (503 until then)")
async def readyz(state: ServiceState = Depends(get_state)) -> JSONResponse:
    active = state.registry.active
    last = state.registry.last_reload
    ready = active is not None and state.warmed_up
    body = {
        "ready": ready,
        "model": {"name": active.name, "version": active.version} if active else None,
        "last_reload": last.to_json() if last else None,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics (text format)")
async def prometheus_metrics(state: ServiceState = Depends(get_state)) -> Response:
    active = state.registry.active
    if active is not None:
        metrics.CACHE_HIT_RATE.set(active.cache.hit_rate())
        metrics.CACHE_SIZE.set(len(active.cache))
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)
