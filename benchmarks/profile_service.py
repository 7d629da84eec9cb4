"""Flame graph of a running ranking service under open-loop load (py-spy), warm cache.

    python benchmarks/profile_service.py --url http://127.0.0.1:8000 --pid 12345 --rate 150 --out docs/profile_rank.svg
    python benchmarks/profile_service.py --url http://127.0.0.1:8000 --pid 12345 --rate 40 --steps --out /tmp/raw.txt

The catalogue is indexed first (PUT /v1/jobs) and a warm-up runs unmeasured, so every request ranks
cached jobs; then requests are sent on a fixed schedule at --rate for --seconds while
``py-spy record`` samples --pid (its subprocesses too) and writes the SVG; with --steps it writes raw
stacks and prints the CPU ms per request of each step (:data:`STEPS`; py-spy sees Python threads
only, so onnxruntime's own pool threads are missing there: the server's whole CPU per request, from
/proc, is printed beside it). py-spy attaches with
ptrace: run it as the service's user on a host that allows it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.load_test import build_requests, open_loop, summarise  # noqa: E402
from benchmarks.sweep import ServerUsage, index_catalogue  # noqa: E402

SAMPLE_HZ = 250

# Where a sample's CPU goes: the first rule matching a frame, scanning from the leaf towards the root.
STEPS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("member tower", r"^encode_members "),
        ("job tower", r"^encode_jobs "),
        ("interaction + heads", r"^(StudentModel\.)?(score|score_features|blend) \(app/ranking/student"),
        ("match features", r"^(facts_feature_matrix|features_from_facts|member_facts|job_facts|feature_inputs) "),
        ("content keys", r"^(job_key|job_keys|content_keys) "),
        ("cache lookup", r"^(JobCache\.)?get_many "),
        (
            "validation",
            r"^(validate|model_validate|model_validate_json|validate_json|validate_python|_digest"
            r"|ValidatedJobs\.rank_request) ",
        ),
        ("JSON parse", r"^(decode|read_json) \(app/api/body"),
        ("ranking order + results", r"^(RankingEngine\.)?ranked "),
        ("response", r"^(serialize_response|jsonable_encoder|render|rank_response|_response) "),
        ("engine (rest)", r"\(app/ranking/"),
        ("request middleware + routing", r"\((app/api|starlette|fastapi)/"),
    )
)


def step_of(frames: list[str]) -> str:
    """The step a stack belongs to (see STEPS); 'server + event loop' for the rest (uvicorn, asyncio, idle)."""
    for frame in reversed(frames):
        for name, pattern in STEPS:
            if pattern.search(frame):
                return name
    return "server + event loop"


def cpu_by_step(raw: Path, rate_hz: float, requests: int) -> dict[str, float]:
    """CPU ms per request by step, from py-spy's raw (collapsed) stacks: samples / rate / requests."""
    totals: dict[str, int] = {}
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            step = step_of(stack.split(";"))
            totals[step] = totals.get(step, 0) + int(count)
    per_request = {k: 1000.0 * v / rate_hz / max(1, requests) for k, v in totals.items()}
    return dict(sorted(per_request.items(), key=lambda kv: -kv[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the running service")
    parser.add_argument("--pid", type=int, required=True, help="its server process (py-spy attaches to it)")
    parser.add_argument("--data", type=Path, default=REPO / "data" / "tiny", help="generated dataset for bodies")
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--rate", type=float, default=150.0, help="offered requests per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "profile_rank.svg", help="py-spy's output")
    parser.add_argument(
        "--steps", action="store_true", help="record raw stacks instead of a flame graph, print CPU ms by step"
    )
    parser.add_argument("--py-spy", default=str(Path(sys.executable).parent / "py-spy"), help="py-spy binary")
    args = parser.parse_args(argv)

    bodies, catalogue = build_requests(args.data, 400, args.candidates)
    payloads = [json.dumps(body).encode() for body in bodies]
    index_catalogue(args.url, catalogue)
    asyncio.run(open_loop(args.url, payloads[:100], 20.0))  # warm-up, not measured
    count = int(args.rate * args.seconds)
    usage = ServerUsage(args.pid, None)
    usage.start()
    spy = subprocess.Popen(
        [args.py_spy, "record", "--pid", str(args.pid), "--subprocesses", "--duration", str(int(args.seconds))]
        + ["--rate", str(SAMPLE_HZ), "--format", "raw" if args.steps else "flamegraph"]
        + ["--output", str(args.out), "--nonblocking"],
    )
    results = asyncio.run(open_loop(args.url, [payloads[i % len(payloads)] for i in range(count)], args.rate))
    server = usage.sample() or {}
    spy.wait(120)
    summary = summarise(results)
    summary["server"] = server
    summary["server_cpu_ms_per_request"] = round(10 * server.get("cpu_percent", 0.0) / args.rate, 2)
    if args.steps:
        summary["sampled_cpu_ms_per_request"] = {
            k: round(v, 3) for k, v in cpu_by_step(args.out, SAMPLE_HZ, count).items()
        }
    print(json.dumps(summary, indent=2))
    print(f"-> {args.out}")
    return spy.returncode


if __name__ == "__main__":
    sys.exit(main())
