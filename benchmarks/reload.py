"""Reload without a cold start: how long a reload takes when the new version shares the job tower
(cache carried over) and when it does not (recent jobs warmed before the swap), and the golden check.

    python benchmarks/reload.py                 # the shipped model, 1,000 indexed jobs, 2 threads

The model folders are copies of artifacts/jobrank-ranker in a temporary folder; the "other job
tower" is the same graph saved again (other sha256, same embeddings). Prints the figures and writes
runs/benchmarks/reload.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.ranking.golden import check_golden  # noqa: E402
from app.ranking.manifest import load_manifest  # noqa: E402
from app.ranking.registry import ModelRegistry  # noqa: E402
from app.ranking.student import StudentModel  # noqa: E402
from benchmarks.timing import median_ms  # noqa: E402
from tests.app.ranking.model_folders import SHIPPED, copy_model, resave, resign  # noqa: E402
from tests.conftest import make_job  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000, help="jobs indexed before the reloads")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    manifest = load_manifest(SHIPPED)
    model = StudentModel(SHIPPED, manifest, args.threads)
    result: dict = {"golden_check_ms": round(median_ms(lambda: check_golden(model, manifest.golden), 10, 2), 1)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "artifacts"
        copy_model(root / manifest.name / "v1")
        registry = ModelRegistry(root, manifest.name, args.threads, cache_size=50_000, warm_jobs=args.jobs)
        result["start_s"] = round(registry.reload().seconds, 2)
        jobs = [
            make_job(job_id=f"j{i}", title=f"Engineer {i}", description=f"Posting {i}: Python, SQL.")
            for i in range(args.jobs)
        ]
        started = time.perf_counter()
        assert registry.active is not None
        registry.active.index_jobs(jobs)
        result["index_jobs_s"] = round(time.perf_counter() - started, 2)
        copy_model(root / manifest.name / "v2", version="v2", days_later=1)
        same = registry.reload()
        other = copy_model(root / manifest.name / "v3", version="v3", days_later=2)
        resave(other / "job_tower.onnx")
        resign(other)
        new = registry.reload()
    result |= {
        "jobs": args.jobs,
        "threads": args.threads,
        "reload_same_job_tower_s": round(same.seconds, 2),
        "reload_same_job_tower_cache": same.cache,
        "reload_other_job_tower_s": round(new.seconds, 2),
        "reload_other_job_tower_cache": new.cache,
    }
    out = REPO / "runs" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "reload.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
