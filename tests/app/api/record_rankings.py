"""Record the service's answers to fixed ranking requests: the reference that test_same_rankings holds
later code to (scores within 1e-6, same order).

    cd <checkout of the reference commit> && python <this file> --data data/tiny --out <fixture.json>

It imports ``app`` from the working directory, so run it from the checkout whose answers it records.
The requests are docs/example_request.json and a few built from a generated dataset (stored whole in
the fixture, so the test needs no dataset), each with a large budget so nothing is degraded.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

GENERATED = 3  # requests taken from the dataset
CANDIDATES = 40  # candidates each (keeps the fixture small)
BUDGET_MS = 60_000.0


def fixed_requests(repo: Path, data: Path) -> list[dict]:
    """The requests the fixture answers: the README's example, then generated ones."""
    sys.path.insert(0, str(repo))
    from benchmarks.load_test import build_requests

    example = json.loads((repo / "docs" / "example_request.json").read_text(encoding="utf-8"))
    bodies, _ = build_requests(data, GENERATED, CANDIDATES)
    generated = [dict(body, budget_ms=BUDGET_MS) for body in bodies]
    generated[0] |= {"top_k": 10, "explain": True}
    return [dict(example, budget_ms=BUDGET_MS), *generated]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="generated dataset (python -m training data)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    repo = Path.cwd()
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    requests = fixed_requests(repo, args.data)
    app = create_app(Settings(artifacts=repo / "artifacts"))
    with TestClient(app) as client:
        while client.get("/readyz").status_code != 200:
            time.sleep(0.1)
        answers = [client.post("/v1/rank", json=body).json() for body in requests]
    cases = [
        {"request": body, "results": answer["results"], "model": answer["model"]}
        for body, answer in zip(requests, answers, strict=True)
    ]
    args.out.write_text(json.dumps(cases, indent=1) + "\n", encoding="utf-8")
    print(f"{len(cases)} requests -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
