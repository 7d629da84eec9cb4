"""The OpenAPI document lists every answer the service gives, with the bodies really sent."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from app.schemas import ErrorBody, IndexJobsRequest, RankRequest, ValidationErrorBody

ANSWERS: dict[int, tuple[type[BaseModel], str]] = {
    401: (ErrorBody, "Missing or wrong bearer token"),
    403: (ErrorBody, "Reload disabled (no JOBRANK_ADMIN_TOKEN)"),
    408: (ErrorBody, "The body did not arrive within JOBRANK_BODY_TIMEOUT_S (the connection is closed)"),
    413: (ErrorBody, "Body larger than JOBRANK_MAX_BODY_BYTES"),
    422: (ValidationErrorBody, "Bad input: `detail` names the field(s)"),
    429: (ErrorBody, "Overloaded: the predicted wait would break the budget; retry after `Retry-After` seconds"),
    503: (ErrorBody, "No model loaded yet, or shutting down (see Retry-After)"),
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}
BODIES: tuple[type[BaseModel], ...] = (RankRequest, IndexJobsRequest)  # read by the routes themselves


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route answering these error codes."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        model, description = ANSWERS[code]
        out[code] = {"model": model, "description": description}
        if code in (429, 503):
            out[code]["headers"] = RETRY_AFTER
    return out


def install_openapi(app: FastAPI) -> None:
    """Build the document once, adding the bodies the routes parse themselves to its components."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in BODIES:
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(body.pop("$defs", {}))
                components[model.__name__] = body
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
