"""The ASGI app: `uvicorn app.main:app` serves the shipped model from artifacts/ with no other set-up.

This module only builds the app (settings, logging, middleware, routes, lifespan); the scoring
engine lives in app/ranking/, the routes in app/api/routes/.
"""

from __future__ import annotations

import sys

from app.api import middleware
from app.api.deps import ServiceState
from app.api.errors import install_error_handlers
from app.api.openapi import install_openapi
from app.api.routes import health, jobs, models, rank
from app.config import Settings, SettingsError
from app.lifecycle import lifespan
from app.logs import configure_logging
from app.ranking.admission import AdmissionQueue
from app.ranking.registry import ModelRegistry

API_VERSION = "1.0.0"


def create_app(settings: Settings | None = None) -> middleware.ServiceApp:
    """A service instance with these settings (default: from JOBRANK_* variables)."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    app = middleware.ServiceApp(
        title="jobrank",
        version=API_VERSION,
        lifespan=lifespan,
        description="Ranks candidate jobs for a member with a distilled two-tower student under a latency budget.",
    )
    registry = ModelRegistry(
        settings.artifacts, settings.model, settings.onnx_threads(), settings.cache_size, settings.model_version
    )
    state = ServiceState(settings=settings, registry=registry, admission=AdmissionQueue(settings.max_queue))
    app.state.service = state
    install_error_handlers(app)
    for module in (rank, jobs, models, health):
        app.include_router(module.router)
    install_openapi(app)
    middleware.install(app, state)  # in front of FastAPI: refusals never enter it
    return app


try:
    app = create_app()
except SettingsError as exc:  # a bad JOBRANK_* variable: one readable line, not a traceback
    print(f"error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
