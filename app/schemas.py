"""The service's wire schemas (requests and responses). Member and Job come from app/domain/schemas.py.

This contract is public; names do not change without a new API version.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from app.domain.schemas import Job, Member

# Request ids travel in logs and in the X-Request-ID header: letters, digits and . _ : @ + = / - only.
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:@+=/-]{1,128}$"
REQUEST_ID_RE = re.compile(REQUEST_ID_PATTERN)
RequestId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=REQUEST_ID_PATTERN)]
MAX_BUDGET_MS = 60_000.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RankRequest(_Strict):
    """POST /v1/rank. ``candidates`` holds at most JOBRANK_MAX_CANDIDATES jobs with distinct ids."""

    request_id: RequestId | None = Field(
        None,
        description="echoed back (and in X-Request-ID); 1-128 of A-Z a-z 0-9 . _ : @ + = / -; "
        "default: the X-Request-ID header, else generated",
    )
    member: Member
    candidates: list[Job] = Field(description="jobs to rank (distinct job_id)")
    top_k: int | None = Field(None, ge=1, description="return the best k (default: all)")
    budget_ms: float | None = Field(
        None,
        gt=0,
        le=MAX_BUDGET_MS,
        allow_inf_nan=False,
        description="latency budget (default: JOBRANK_DEFAULT_BUDGET_MS)",
    )
    explain: StrictBool = Field(False, description="add how each job was scored and where the time went")


class HeadScores(BaseModel):
    relevance: float = Field(description="the relevance head: expected judge grade, 0-4")
    engagement: float = Field(description="the engagement head: P(apply or click), 0-1")


class RankedJob(BaseModel):
    job_id: str
    rank: int = Field(description="1 = best")
    score: float = Field(description="the policy's blend of the two heads, 0-1; results are sorted by it")
    scores: HeadScores = Field(description="per-head scores (always present)")
    tier: str | None = Field(None, description="with explain: 'ranker' or 'features' (how this job was scored)")


class ModelRef(BaseModel):
    name: str
    version: str


class Timing(BaseModel):
    total_ms: float = Field(description="from the request's arrival to the answer being ready")
    budget_ms: float


class RankResponse(BaseModel):
    request_id: str
    model: ModelRef
    results: list[RankedJob]
    tier: str = Field(description="what ran: 'ranker', 'ranker+features' (some jobs by features only) or 'features'")
    degraded: bool = Field(description="true when a corner was cut to stay within the budget")
    timing: Timing
    explain: dict | None = Field(None, description="with explain: counts, per-step milliseconds, cost model")


class IndexJobsRequest(_Strict):
    """PUT /v1/jobs: jobs to encode and cache ahead of ranking requests."""

    jobs: list[Job] = Field(description="at most JOBRANK_MAX_CANDIDATES jobs")


class IndexJobsResponse(BaseModel):
    model: ModelRef
    received: int
    encoded: int
    already_cached: int
    cache_size: int
    took_ms: float


class ErrorBody(BaseModel):
    """Every error answer (401, 403, 408, 413, 429, 503, …): a readable ``detail``."""

    detail: str


class FieldError(BaseModel):
    field: str = Field(description="path inside the body, e.g. candidates[3].location.country")
    message: str


class ValidationErrorBody(BaseModel):
    """422: ``detail`` names the first fields; ``errors`` lists them (at most 50)."""

    detail: str
    errors: list[FieldError] = Field(default_factory=list)
