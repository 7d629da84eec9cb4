"""Prometheus metrics of the service (GET /metrics, text format).

One process = one set of series: run one uvicorn worker per container and scale with replicas
(Prometheus then scrapes each pod).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_LATENCY = Histogram(
    "jobrank_request_latency_seconds",
    "Request latency from arrival to response, by route, model and tier",
    ["route", "model", "tier"],
    registry=REGISTRY,
    buckets=(0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.025, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
REQUESTS = Counter(
    "jobrank_requests_total", "Requests by route and HTTP status", ["route", "status"], registry=REGISTRY
)
BUDGET_MISSES = Counter(
    "jobrank_budget_misses_total", "Ranking answers later than their budget", ["model"], registry=REGISTRY
)
DEGRADED = Counter(
    "jobrank_degraded_total",
    "Ranking answers that cut a corner to meet the budget",
    ["model", "tier"],
    registry=REGISTRY,
)
CACHE_LOOKUPS = Counter(
    "jobrank_job_cache_lookups_total", "Job-embedding cache lookups by result", ["result"], registry=REGISTRY
)
CACHE_HIT_RATE = Gauge(
    "jobrank_job_cache_hit_rate", "Job-embedding cache hit rate of the active model since it loaded", registry=REGISTRY
)
CACHE_SIZE = Gauge("jobrank_job_cache_entries", "Job embeddings cached for the active model", registry=REGISTRY)
MODEL_INFO = Info("jobrank_model", "The model answering /v1/rank", registry=REGISTRY)
MODELS_LOADED = Gauge("jobrank_models_loaded", "Models loaded and serving", registry=REGISTRY)
RELOADS = Counter(
    "jobrank_model_reloads_total", "Model loads and reloads by result (ok / refused)", ["result"], registry=REGISTRY
)
LAST_RELOAD_OK = Gauge(
    "jobrank_model_last_reload_ok", "1 when the last (re)load accepted every model folder", registry=REGISTRY
)
READY = Gauge("jobrank_ready", "1 when a model is loaded and warmed up", registry=REGISTRY)
QUEUE_DEPTH = Gauge(
    "jobrank_queue_depth", "Requests admitted and waiting for (or in) the inference thread", registry=REGISTRY
)
QUEUE_PENDING = Gauge(
    "jobrank_queue_predicted_wait_seconds", "Predicted wait of a request admitted now", registry=REGISTRY
)
QUEUE_WAIT = Histogram(
    "jobrank_queue_wait_seconds",
    "Time admitted work waited for the inference thread",
    registry=REGISTRY,
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
ADMITTED = Counter("jobrank_admitted_total", "Work admitted to the inference queue", registry=REGISTRY)
SHED = Counter(
    "jobrank_shed_total",
    "Requests refused or dropped before inference, by reason (budget, queue full, stale, in flight, client gone, draining)",
    ["reason"],
    registry=REGISTRY,
)
