"""GET /v1/models and POST /v1/admin/reload (hot reload, protected by JOBRANK_ADMIN_TOKEN)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Header, HTTPException
from fastapi.responses import JSONResponse

from app.api.deps import ServiceState, get_state
from app.api.openapi import responses
from app.api.redact import public
from app.lifecycle import reload_models

router = APIRouter(tags=["models"])


@router.get("/v1/models", summary="Loaded models, their versions and the metrics in their manifests")
async def list_models(state: ServiceState = Depends(get_state)) -> dict:
    registry = state.registry
    active = registry.active
    models = registry.describe()
    for entry in models:  # the hit rate of ranking requests (the cache's own count includes PUT /v1/jobs)
        engine = registry.engines.get(entry["name"])
        if engine is not None and isinstance(entry.get("cache"), dict):
            entry["cache"]["hit_rate"] = round(engine.cache_hit_rate(), 4)
    answer = {
        "active": {"name": active.name, "version": active.version} if active else None,
        "models": models,
        "last_reload": registry.last_reload.to_json() if registry.last_reload else None,
    }
    return public(answer, state.settings.artifacts)


@router.post(
    "/v1/admin/reload",
    summary="Load the model folders again and swap without downtime",
    responses=responses(401, 403, 422, 503),
)
async def admin_reload(
    authorization: str | None = Header(None), state: ServiceState = Depends(get_state)
) -> JSONResponse:
    """200 when every folder was accepted; 422 with the report when one was refused (the old one keeps serving)."""
    token = state.settings.admin_token
    if token is None:
        raise HTTPException(403, detail="reload is disabled: set JOBRANK_ADMIN_TOKEN to enable it")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(
            401,
            detail="authorization: a valid 'Bearer <JOBRANK_ADMIN_TOKEN>' header is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    report = await reload_models(state)
    if not report.ok:
        reasons = "; ".join(f"{folder}: {reason}" for folder, reason in report.refused.items())
        return JSONResponse(
            public(
                {"detail": f"model refused, previous model keeps serving: {reasons}", "reload": report.to_json()},
                state.settings.artifacts,
            ),
            status_code=422,
        )
    return JSONResponse({"detail": "reloaded", "reload": public(report.to_json(), state.settings.artifacts)})
