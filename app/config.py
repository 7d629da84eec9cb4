"""The service's one settings object (pydantic-settings). Every knob has a default and a `JOBRANK_*` variable.

JOBRANK_ARTIFACTS=artifacts      folder of model folders (each with manifest.json), relative to the working directory
JOBRANK_MODEL=jobrank-ranker     model that answers /v1/rank (default: that name, else the first found)
JOBRANK_MODEL_VERSION=           pin that model's version (manifest "version"); empty = the newest valid one
JOBRANK_DEFAULT_BUDGET_MS=50     latency budget when a request gives none
JOBRANK_MAX_CANDIDATES=1000      candidates per /v1/rank request (and jobs per PUT /v1/jobs)
JOBRANK_MAX_BODY_BYTES=8000000   request bodies above this get 413
JOBRANK_MAX_QUEUE=64             ranking requests admitted and waiting for the inference thread (more: 429)
JOBRANK_BODY_TIMEOUT_S=10        a request body must arrive within this (else 408, connection closed)
JOBRANK_KEEP_ALIVE_S=5           idle keep-alive connections are closed after this
JOBRANK_SHUTDOWN_GRACE_S=20      SIGTERM: seconds in-flight requests get to finish before the process exits
JOBRANK_DRAIN_DELAY_S=0          SIGTERM: seconds of answering 503 to new work (readyz 503) before the server
                                 stops accepting connections (for load balancers to notice); then the grace
JOBRANK_HOST=0.0.0.0 / JOBRANK_PORT=8000 / JOBRANK_WORKERS=1   where and how `python -m app` serves
JOBRANK_THREADS=0                onnxruntime intra-op threads per worker; 0 = usable CPUs / workers
JOBRANK_CACHE_SIZE=50000         job embeddings kept (LRU)
JOBRANK_ADMIN_TOKEN=             bearer token for POST /v1/admin/reload; empty = reload endpoint disabled
JOBRANK_LOG_LEVEL=info
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from app.domain.cpus import usable_cpus

ENV_PREFIX = "JOBRANK_"
# The environment `Settings.from_env(environ)` reads instead of os.environ (tests pass a dict).
_ENVIRON: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar("jobrank_environ", default=None)


class SettingsError(ValueError):
    """A JOBRANK_* variable with a bad value (the message names it)."""


class _Environment(EnvSettingsSource):
    """JOBRANK_* variables from os.environ, or from the mapping given to ``Settings.from_env``."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        given = _ENVIRON.get()
        if given is None:
            return super()._load_env_vars()
        return {key.lower(): value for key, value in given.items()}


class Settings(BaseSettings):
    """Service settings; ``Settings.from_env()`` reads the environment with one-line errors."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    artifacts: Path = Path("artifacts")
    model: str = "jobrank-ranker"
    model_version: str | None = None
    default_budget_ms: float = Field(50.0, gt=0, le=60_000)
    max_candidates: int = Field(1000, ge=1, le=100_000)
    max_body_bytes: int = Field(8_000_000, ge=1_000)
    max_queue: int = Field(64, ge=1, le=100_000)
    body_timeout_s: float = Field(10.0, gt=0, le=3600)
    keep_alive_s: float = Field(5.0, gt=0, le=3600)
    shutdown_grace_s: float = Field(20.0, gt=0, le=3600)
    drain_delay_s: float = Field(0.0, ge=0, le=3600)
    host: str = "0.0.0.0"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    threads: int = Field(0, ge=0, le=256)
    cache_size: int = Field(50_000, ge=0)
    validated_cache_size: int = Field(10_000, ge=0)
    admin_token: str | None = None
    log_level: str = "info"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments first, then JOBRANK_* variables; no .env or secret files."""
        return init_settings, _Environment(settings_cls)

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.lower()
        if value not in ("debug", "info", "warning", "error", "critical"):
            raise ValueError("must be one of debug, info, warning, error, critical")
        return value

    @field_validator("admin_token", "model_version")
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Settings from JOBRANK_* variables of ``environ`` (default os.environ) and keyword overrides."""
        token = _ENVIRON.set(environ)
        try:
            return cls(**overrides)
        except ValidationError as exc:
            problems = [
                f"{ENV_PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors(include_url=False)
            ]
            raise SettingsError("bad settings: " + "; ".join(problems)) from None
        finally:
            _ENVIRON.reset(token)

    def onnx_threads(self) -> int:
        """Intra-op threads per worker: the setting, or the CPUs this process may use divided among workers."""
        return self.threads or max(1, usable_cpus() // self.workers)
