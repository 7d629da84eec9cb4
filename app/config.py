"""The service's one settings object. Every knob has a default and a `JOBRANK_*` environment variable.

JOBRANK_ARTIFACTS=artifacts      folder of model folders (each with manifest.json)
JOBRANK_MODEL=jobrank-ranker     model that answers /v1/rank (default: that name, else the first found)
JOBRANK_MODEL_VERSION=           pin that model's version (manifest "version"); empty = the newest valid one
JOBRANK_DEFAULT_BUDGET_MS=50     latency budget when a request gives none
JOBRANK_MAX_CANDIDATES=1000      candidates per /v1/rank request (and jobs per PUT /v1/jobs)
JOBRANK_MAX_BODY_BYTES=8000000   request bodies above this get 413
JOBRANK_WORKERS=1                uvicorn worker processes (onnxruntime threads are divided among them)
JOBRANK_THREADS=0                onnxruntime intra-op threads per worker; 0 = usable CPUs / workers
JOBRANK_CACHE_SIZE=50000         job embeddings kept (LRU)
JOBRANK_ADMIN_TOKEN=             bearer token for POST /v1/admin/reload; empty = reload endpoint disabled
JOBRANK_LOG_LEVEL=info
JOBRANK_LOG_PROFILES=false       log member profiles (off: only ids, counts and timings are logged)
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.domain.cpus import usable_cpus

ENV_PREFIX = "JOBRANK_"
REPO_ROOT = Path(__file__).resolve().parents[1]


class SettingsError(ValueError):
    """A JOBRANK_* variable with a bad value (the message names it)."""


class Settings(BaseModel):
    """Service settings; build with :meth:`from_env`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    artifacts: Path = REPO_ROOT / "artifacts"
    model: str = "jobrank-ranker"
    model_version: str | None = None
    default_budget_ms: float = Field(50.0, gt=0, le=60_000)
    max_candidates: int = Field(1000, ge=1, le=100_000)
    max_body_bytes: int = Field(8_000_000, ge=1_000)
    workers: int = Field(1, ge=1, le=64)
    threads: int = Field(0, ge=0, le=256)
    cache_size: int = Field(50_000, ge=0)
    admin_token: str | None = None
    log_level: str = "info"
    log_profiles: bool = False

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.lower()
        if value not in ("debug", "info", "warning", "error", "critical"):
            raise ValueError("must be one of debug, info, warning, error, critical")
        return value

    @field_validator("admin_token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        return value or None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Settings from JOBRANK_* variables (and keyword overrides, for tests)."""
        environ = os.environ if environ is None else environ
        values = {
            name: environ[ENV_PREFIX + name.upper()]
            for name in cls.model_fields
            if ENV_PREFIX + name.upper() in environ
        }
        values |= overrides
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = [
                f"{ENV_PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors(include_url=False)
            ]
            raise SettingsError("bad settings: " + "; ".join(problems)) from None

    def onnx_threads(self) -> int:
        """Intra-op threads per worker: the setting, or the CPUs this process may use divided among workers."""
        return self.threads or max(1, usable_cpus() // self.workers)
