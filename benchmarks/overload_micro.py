"""In-process micro-benchmarks of the overload path (`python benchmarks/overload.py --micro`): the CPU of one
refused ranking request through the app, and the cost of parsing a body and writing an answer each way."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson


def refusal_cpu_us(raw: bytes, model_root: Path) -> float:
    """In-process CPU (median us of 7 x 500) of a ranking request refused with 429: the app called as ASGI
    with ``raw`` in two chunks, its queue filled first (uvicorn's own share is not in it)."""
    from app.config import Settings
    from app.lifecycle import reload_models
    from app.main import create_app

    app = create_app(Settings.from_env({}, artifacts=model_root, log_level="warning"))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    scope: dict[str, Any] = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/rank",
    }
    scope |= {"raw_path": b"/v1/rank", "query_string": b"", "root_path": "", "headers": headers, "asgi": {}}

    async def measure() -> float:
        state = app.state.service
        await reload_models(state)
        state.admission.depth, state.admission.pending_ms = 1, 1e6  # every ranking request is refused
        answers: list[dict] = []

        async def send(message: dict) -> None:
            answers.append(message)

        async def refused() -> None:
            chunks = [raw[: len(raw) // 2], raw[len(raw) // 2 :]]
            messages = [{"type": "http.request", "body": c, "more_body": i == 0} for i, c in enumerate(chunks)]

            async def receive() -> dict:
                return messages.pop(0)

            await app(dict(scope), receive, send)

        samples = []
        for _ in range(8):
            started = time.process_time()
            for _ in range(500):
                await refused()
            samples.append((time.process_time() - started) / 500 * 1e6)
        assert answers[0]["status"] == 429, answers[0]
        return float(np.median(samples[1:]))  # the first round warms up

    return round(asyncio.run(measure()), 1)


def micro(body: dict) -> dict[str, float]:
    """Median ms in this process: parsing the body (json / orjson) and making the answer (dict + json.dumps,
    dict + orjson.dumps, or typed models + pydantic's dump as FastAPI's response_model path does)."""
    from app.schemas import HeadScores, ModelRef, RankedJob, RankResponse, Timing
    from benchmarks.timing import median_ms

    raw, n = orjson.dumps(body), len(body["candidates"])
    scores = {"relevance": 2.0, "engagement": 0.5}
    items = [{"job_id": f"j{i}", "rank": i + 1, "score": 0.5, "scores": scores} for i in range(n)]
    answer: dict[str, Any] = {"request_id": "r", "model": {"name": "m", "version": "v"}, "results": items}

    def typed() -> str:
        results = [
            RankedJob(job_id=f"j{i}", rank=i + 1, score=0.5, scores=HeadScores(**scores), tier=None) for i in range(n)
        ]
        model, timing = ModelRef(name="m", version="v"), Timing(total_ms=1.0, budget_ms=50.0)
        answer = RankResponse(
            request_id="r", model=model, results=results, tier="ranker", degraded=False, timing=timing, explain=None
        )
        return answer.model_dump_json(exclude_none=True)

    steps: dict[str, Any] = {"json.loads": lambda: json.loads(raw), "orjson.loads": lambda: orjson.loads(raw)}
    steps |= {
        "answer: dict + json.dumps": lambda: json.dumps(answer),
        "answer: dict + orjson.dumps": lambda: orjson.dumps(answer),
    }
    steps["answer: typed + pydantic dump_json"] = typed
    return {name: round(median_ms(fn, 300, warmup=20), 3) for name, fn in steps.items()} | {"body_bytes": len(raw)}
