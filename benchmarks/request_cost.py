"""CPU milliseconds of one warm ranking request (100 cached candidates), by step, in this process.

    python benchmarks/request_cost.py --data data/tiny                      # this checkout's code
    python benchmarks/request_cost.py --data data/tiny --code /tmp/main-before   # another checkout's

CPU time (``time.process_time``: every thread of the process, onnxruntime's included), median of
--repeats, one onnxruntime thread. The whole request goes through the app in-process (FastAPI's test
client, middleware and all) twice: with the same member every time (its embedding cached, where the code
caches it) and with a member not seen before each time (the member tower runs); the steps are the
same functions called alone, and "HTTP, routing, middleware, response" is the new-member whole minus
parse, validation and the new-member engine. Being CPU time, not wall time, it is less
sensitive to other processes on a shared machine than latency is (cache and frequency effects remain).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "tiny", help="generated dataset for the body")
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose app/ is measured")
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from benchmarks.load_test import build_requests, numbered, with_member_marks
    from benchmarks.timing import median_ms

    sys.path.insert(0, str(args.code.resolve()))  # app/ from the checkout measured, the benchmark from here
    import orjson
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.domain.featurize import facts_feature_matrix, member_facts
    from app.main import create_app
    from app.ranking.cache import job_key
    from app.schemas import RankRequest

    bodies, _ = build_requests(args.data, 1, args.candidates)
    raw = json.dumps({**bodies[0], "budget_ms": 60_000}).encode()
    marked = json.dumps({**with_member_marks(bodies[0]), "budget_ms": 60_000}).encode()
    sequence = itertools.count(1)
    data = orjson.loads(raw)
    request = RankRequest.model_validate(data)
    app = create_app(Settings.model_validate({"artifacts": args.code / "artifacts", "threads": 1}))
    with TestClient(app) as client:
        while client.get("/readyz").status_code != 200:
            time.sleep(0.1)
        engine = app.state.service.registry.active
        engine.index_jobs(request.candidates)
        keys = [job_key(job) for job in request.candidates]
        facts = [entry.facts for entry in engine.cache.get_many(keys) if entry is not None]
        from app.domain import featurize

        # Older checkouts have one member text for every model (featurize.member_text).
        member_text = getattr(engine.model, "member_text", featurize.member_text)
        vector = engine.model.encode_members([member_text(request.member)])[0]
        embeddings = [entry.embedding for entry in engine.cache.get_many(keys) if entry is not None]
        member_side = member_facts(request.member)
        features = facts_feature_matrix(member_side, facts)

        def post(content: bytes) -> None:
            client.post("/v1/rank", content=content, headers={"content-type": "application/json"}).raise_for_status()

        def new_member():
            return request.member.model_copy(update={"headline": f"{request.member.headline} ~{next(sequence)}"})

        import numpy as np

        jobs_matrix = np.stack(embeddings)
        route_validation = _route_validation(app, data, job_key)
        steps = {
            "JSON parse (orjson)": lambda: orjson.loads(raw),
            "validation (pydantic)": lambda: RankRequest.model_validate(data),
            "content keys": lambda: [job_key(job) for job in request.candidates],
            "validation + content keys as the route does (candidates seen before)": route_validation,
            "cache lookup": lambda: engine.cache.get_many(keys),
            "match features": lambda: facts_feature_matrix(member_facts(request.member), facts),
            "match features, member side given": lambda: facts_feature_matrix(member_side, facts),
            "member tokenise + tower": lambda: engine.model.encode_members([member_text(request.member)]),
            "interaction + heads": lambda: engine.model.score(vector, jobs_matrix, features),
            "engine.ranked, same member": lambda: engine.ranked(request.member, request.candidates, 60_000),
            "engine.ranked, new member": lambda: engine.ranked(new_member(), request.candidates, 60_000),
        }
        out = {name: median_ms(fn, args.repeats, clock=time.process_time) for name, fn in steps.items()}
        out["whole request, same member"] = median_ms(lambda: post(raw), args.repeats, clock=time.process_time)
        out["whole request, new member"] = median_ms(
            lambda: post(numbered(marked, next(sequence))), args.repeats, clock=time.process_time
        )
    outside = out["JSON parse (orjson)"] + out["validation (pydantic)"] + out["engine.ranked, new member"]
    out["HTTP, routing, middleware, response (whole - parse - validation - engine)"] = (
        out["whole request, new member"] - outside
    )
    print(json.dumps({name: round(value, 3) for name, value in out.items()}, indent=2))
    return 0


def _route_validation(app, data: dict, job_key):
    """What the measured checkout's route does to validate a body and key its candidates, warm: the
    validated-candidate cache where the checkout has one (app/api/candidates.py), else pydantic + keys."""
    from app.schemas import RankRequest

    validated = getattr(app.state.service, "validated", None)
    if validated is not None:
        validated.rank_request(data)  # the candidates are now known
        return lambda: validated.rank_request(data)
    return lambda: [job_key(job) for job in RankRequest.model_validate(data).candidates]


if __name__ == "__main__":
    sys.exit(main())
