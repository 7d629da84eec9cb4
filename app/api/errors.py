"""Every error is a JSON body with a readable ``detail`` that names the field; never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.ranking.admission import ClientGone, Overloaded

log = logging.getLogger("jobrank.errors")


def field_errors(exc: RequestValidationError) -> list[dict]:
    """Pydantic errors as {field, message}; the field path starts inside the body."""
    out = []
    for error in exc.errors():
        loc = list(error.get("loc", ()))
        if loc and loc[0] == "body":
            loc = loc[1:]
        field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[") or "body"
        out.append({"field": field, "message": error.get("msg", "invalid")})
    return out


def overloaded_detail(exc: Overloaded) -> str:
    """The 429's ``detail``: one of three fixed sentences (the middleware sends them pre-encoded)."""
    if exc.reason == "budget":
        return "overloaded: the predicted wait for the inference queue would break this request's budget"
    if exc.reason == "stale":
        return "overloaded: the request waited past twice its budget before the service could read it"
    return "overloaded: the inference queue is full (JOBRANK_MAX_QUEUE)"


def install_error_handlers(app: FastAPI) -> None:
    """422 for bad input, the status with its detail for HTTP errors, a bare 500 for the unexpected."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:10])
        return JSONResponse({"detail": detail, "errors": errors[:50]}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Overloaded)
    async def _overloaded(request: Request, exc: Overloaded) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after_s)}
        return JSONResponse({"detail": overloaded_detail(exc)}, status_code=429, headers=headers)

    @app.exception_handler(ClientGone)
    async def _client_gone(request: Request, exc: ClientGone) -> Response:
        return Response(status_code=499)  # nginx's "client closed request"; nobody reads it

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return JSONResponse({"detail": f"internal error ({type(exc).__name__})"}, status_code=500)
