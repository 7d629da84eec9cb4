"""Request bodies, cheapest checks first: JSON parsed once (orjson), list limits counted before validation.

FastAPI would parse and validate the whole body before the route sees it: an 8 MB body with 136k
candidates spent seconds in pydantic before its 422, on the event loop. Here the bytes (already
capped by the middleware) are parsed once, the list length is checked on the parsed JSON, and only
then is the body validated; bodies above ``INLINE_BYTES`` are parsed and validated in the one
parser thread, so a large body cannot stall the other requests (and two large ones wait in turn).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.domain.schemas import Job
from app.schemas import MAX_BUDGET_MS

if TYPE_CHECKING:  # deps holds the validated-candidate cache, which validates through this module
    from app.api.deps import ServiceState

M = TypeVar("M", bound=BaseModel)
INLINE_BYTES = 256_000  # ~300 candidates; larger bodies go to the parser thread
_KEY = b'"budget_ms"'
_EDGE = 512  # a top-level key sits before or after the candidate list: look at both ends first
_NUMBER = re.compile(rb"\s*:\s*(-?[0-9][0-9.eE+-]*)")


def budget_hint(raw: bytes, default: float) -> float:
    """The budget a ranking body asks for, read off its bytes without parsing (admission needs it before
    the parse; validation checks it after). ``default`` when absent or not a usable number."""
    at = raw.find(_KEY, 0, _EDGE)
    if at < 0:
        at = raw.find(_KEY, max(0, len(raw) - _EDGE))
    if at < 0:  # then the whole body (a scan of ~50 us per 100 candidates)
        at = raw.find(_KEY)
    while at > 0 and raw[at - 1 : at] == b"\\":  # an escaped quote: inside a string, not a key
        at = raw.find(_KEY, at + 1)
    found = _NUMBER.match(raw, at + len(_KEY)) if at >= 0 else None
    if found is None:
        return default
    try:
        value = float(found.group(1))
    except ValueError:
        return default
    return value if 0 < value <= MAX_BUDGET_MS else default


def count_hint(raw: bytes) -> int:
    """How many jobs a body carries, counted off its bytes: one ``"job_id"`` key per job (escaped quotes
    inside strings never match). Only an estimate for admission; the parse counts exactly."""
    return raw.count(b'"job_id"')


def decode(raw: bytes, list_field: str, limit: int) -> dict[str, Any]:
    """The body as a JSON object; 422 for bad JSON or a ``list_field`` longer than ``limit``."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(422, detail=f"body: invalid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise HTTPException(422, detail="body: must be a JSON object")
    items = data.get(list_field)
    if isinstance(items, list) and len(items) > limit:
        raise HTTPException(422, detail=f"{list_field}: at most {limit} jobs per request (got {len(items)})")
    return data


def validate(model: type[M], data: dict[str, Any]) -> M:
    """``model`` from parsed JSON; errors become the usual 422 naming each field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


def check_unique(jobs: Sequence[Job], field: str) -> None:
    """422 naming the first repeated job_id."""
    seen: set[str] = set()
    for i, job in enumerate(jobs):
        if job.job_id in seen:
            raise HTTPException(422, detail=f"{field}[{i}].job_id: duplicate job_id {job.job_id!r}")
        seen.add(job.job_id)


async def off_loop_if_large(state: ServiceState, size: int, fn: Callable[..., Any], *args) -> Any:
    """``fn(*args)`` inline for a small body, in the parser thread for a large one."""
    if size <= INLINE_BYTES:
        return fn(*args)
    return await asyncio.get_running_loop().run_in_executor(state.parser, fn, *args)


async def read_json(request: Request, state: ServiceState, list_field: str) -> tuple[dict[str, Any], int]:
    """(parsed body, its size in bytes), limits checked (see :func:`decode`)."""
    raw = await request.body()
    data = await off_loop_if_large(state, len(raw), decode, raw, list_field, state.settings.max_candidates)
    return data, len(raw)


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """The ``openapi_extra`` that documents ``model`` as a route's JSON body (the route reads it itself)."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}
