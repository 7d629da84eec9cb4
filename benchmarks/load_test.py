"""Open-loop load test of the ranking service, plus an in-process profile of one request's path.

    python benchmarks/load_test.py                      # starts uvicorn on the shipped model itself
    python benchmarks/load_test.py --rate 40 --seconds 60 --candidates 100
    python benchmarks/load_test.py --url http://127.0.0.1:8000   # an already running service

Open loop: request i is *scheduled* at start + i / rate whatever happened before it, and its
latency counts from that scheduled time (so a slow server cannot slow the load down and hide its
own queueing — no coordinated omission). Scenarios:
  * cached   — members from the generated test split, 100 candidates each from a catalogue indexed
               beforehand with PUT /v1/jobs (job embeddings cached); target p99 ≤ 25 ms at 40 rps;
  * new-jobs — every job in every request is new to the service (content changed per request):
               the cascade must answer within the budget; reports the degraded share.
The profile times each step of one request in this process with the same model and body: JSON
parsing, validation, cache keys and features, member tower, interaction, response encoding.
Writes runs/benchmarks/load_test.json. The load generator shares the machine's 2 cores with the
service, so the figures include its cost.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def build_requests(data_dir: Path, count: int, candidates: int, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """(request bodies, catalogue) from a generated dataset: test-split members, candidates from the catalogue."""
    from training.data.dataset import load_dataset
    from training.data.lists import load_lists

    lists = load_lists(load_dataset(data_dir), ("test",), None, seed=seed)
    catalogue: dict[str, dict] = {}
    for candidate_list in lists:
        for job in candidate_list.jobs:
            catalogue.setdefault(job.job_id, job.model_dump(mode="json"))
    rng = random.Random(seed)
    bodies: list[dict] = []
    for i in range(count):
        candidate_list = lists[i % len(lists)]
        jobs = [job.model_dump(mode="json") for job in candidate_list.jobs][:candidates]
        while len(jobs) < candidates:  # short lists are topped up from the catalogue
            extra = catalogue[rng.choice(list(catalogue))]
            if all(extra["job_id"] != j["job_id"] for j in jobs):
                jobs.append(extra)
        bodies.append(
            {"request_id": f"load-{i}", "member": candidate_list.member.model_dump(mode="json"), "candidates": jobs}
        )
    used = {j["job_id"]: j for body in bodies for j in body["candidates"]}
    return bodies, list(used.values())


MEMBER_MARK = b" ~0000000"  # appended to each member's headline with --distinct-members, numbered per request


def with_member_marks(body: dict) -> dict:
    """``body`` with :data:`MEMBER_MARK` after the member's headline (see :func:`numbered`)."""
    member = body["member"]
    return {**body, "member": {**member, "headline": (member.get("headline") or "") + MEMBER_MARK.decode()}}


def numbered(payload: bytes, sequence: int) -> bytes:
    """A payload whose member headline ends in ``sequence``: a member text the service has not seen."""
    return payload.replace(MEMBER_MARK + b'"', f" ~{sequence % 10_000_000:07d}".encode() + b'"', 1)


def percentiles(values: list[float]) -> dict[str, float]:
    array = np.asarray(values)
    return {
        "p50": float(np.percentile(array, 50)),
        "p90": float(np.percentile(array, 90)),
        "p99": float(np.percentile(array, 99)),
        "max": float(array.max()),
        "mean": float(array.mean()),
    }


def schedule(count: int, rate: float) -> list[float]:
    """Open-loop send offsets in seconds: request i at i / rate, whatever happened to the ones before it."""
    if rate <= 0:
        raise ValueError(f"rate must be > 0, got {rate}")
    return [i / rate for i in range(count)]


async def open_loop(url: str, payloads: list[bytes], rate: float) -> list[dict]:
    """Send payload i at its scheduled time (:func:`schedule`); latency from that time to the full response."""
    offsets = schedule(len(payloads), rate)
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        start = time.perf_counter() + 0.2
        results: list[dict] = []

        async def one(i: int, payload: bytes) -> None:
            scheduled = start + offsets[i]
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            try:
                response = await client.post("/v1/rank", content=payload, headers={"content-type": "application/json"})
                done = time.perf_counter()
                body = response.json() if response.status_code == 200 else {}
                results.append(
                    {
                        "status": response.status_code,
                        "latency_ms": (done - scheduled) * 1000,
                        "server_ms": body.get("timing", {}).get("total_ms"),
                        "tier": body.get("tier"),
                        "degraded": body.get("degraded"),
                        "budget_ms": body.get("timing", {}).get("budget_ms"),
                        "steps": (body.get("explain") or {}).get("steps_ms"),
                    }
                )
            except httpx.HTTPError as exc:
                results.append(
                    {"status": f"error: {type(exc).__name__}", "latency_ms": (time.perf_counter() - scheduled) * 1000}
                )

        await asyncio.gather(*(one(i, p) for i, p in enumerate(payloads)))
        return results


def summarise(results: list[dict]) -> dict:
    ok = [r for r in results if r["status"] == 200]
    summary = {
        "requests": len(results),
        "ok": len(ok),
        "statuses": {str(s): sum(1 for r in results if r["status"] == s) for s in {r["status"] for r in results}},
        "latency_ms": percentiles([r["latency_ms"] for r in results]),
    }
    if ok:
        summary["server_ms"] = percentiles([r["server_ms"] for r in ok])
        summary["degraded_share"] = sum(bool(r["degraded"]) for r in ok) / len(ok)
        summary["tiers"] = {t: sum(1 for r in ok if r["tier"] == t) for t in {r["tier"] for r in ok}}
        summary["over_budget"] = sum(1 for r in ok if r["server_ms"] > r["budget_ms"])
        steps = [r["steps"] for r in ok if r.get("steps")]
        if steps:
            summary["server_steps_ms_median"] = {
                k: round(statistics.median(s.get(k, 0.0) for s in steps), 3)
                for k in sorted({k for s in steps for k in s})
            }
    return summary


def profile(model_dir: Path, body: dict, threads: int, repeats: int = 200) -> dict[str, float]:
    """Median ms of each step of one request's path, in this process."""
    from app.domain.featurize import facts_feature_matrix, job_facts, member_facts
    from app.ranking.cache import job_key
    from app.ranking.engine import RankingEngine
    from app.ranking.student import StudentModel
    from app.schemas import RankRequest
    from benchmarks.timing import median_ms

    engine = RankingEngine(StudentModel.load(model_dir, threads), cache_size=10_000)
    engine.warm_up()
    raw = json.dumps(body).encode()
    request = RankRequest.model_validate(json.loads(raw))
    engine.index_jobs(request.candidates)
    facts = [job_facts(j) for j in request.candidates]
    vector = engine.model.encode_members([engine.model.member_text(request.member)])[0]
    cached = engine.cache.get_many([job_key(j) for j in request.candidates])
    jobs_matrix = np.stack([e.embedding for e in cached if e is not None])  # all indexed just above
    features = facts_feature_matrix(member_facts(request.member), facts)
    outcome = engine.rank(request.member, request.candidates, 1e6)
    response = {
        "results": [
            {"job_id": j.job_id, "rank": i, "score": float(s), "scores": {"relevance": 1.0, "engagement": 0.5}}
            for i, (j, s) in enumerate(zip(request.candidates, outcome.score, strict=False))
        ]
    }
    steps = {
        "json parse": lambda: json.loads(raw),
        "validation (pydantic)": lambda: RankRequest.model_validate(json.loads(raw)),
        "cache keys (100 jobs)": lambda: [job_key(j) for j in request.candidates],
        "cache lookup": lambda: engine.cache.get_many([job_key(j) for j in request.candidates]),
        "member facts + features": lambda: facts_feature_matrix(member_facts(request.member), facts),
        "member tokenise + tower": lambda: engine.model.encode_members([engine.model.member_text(request.member)]),
        "interaction + heads": lambda: engine.model.score(vector, jobs_matrix, features),
        "engine.rank (all cached)": lambda: engine.rank(request.member, request.candidates, 1e6),
        "response JSON": lambda: json.dumps(response),
    }
    return {name: round(median_ms(fn, repeats, warmup=10), 3) for name, fn in steps.items()}


def start_server(model_root: Path, threads: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "JOBRANK_ARTIFACTS": str(model_root), "JOBRANK_LOG_LEVEL": "warning"}
    if threads:
        env["JOBRANK_THREADS"] = str(threads)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.kill()
    raise SystemExit("error: the service did not become ready in 120 s")


def fresh(body: dict, tag: str) -> dict:
    out = copy.deepcopy(body)
    for job in out["candidates"]:
        job["job_id"] = f"{tag}-{job['job_id']}"
        job["description"] = f"{job.get('description', '')} Ref {tag}."
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running service (default: start one on --model)")
    parser.add_argument("--model", type=Path, default=REPO / "artifacts" / "jobrank-ranker", help="model folder")
    parser.add_argument("--data", type=Path, default=REPO / "data" / "tiny", help="generated dataset for requests")
    parser.add_argument("--rate", type=float, default=40.0, help="requests per second (open loop)")
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of each scenario")
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--budget-ms", type=float, default=50.0, help="budget_ms of every request")
    parser.add_argument("--new-jobs-rate", type=float, default=10.0, help="rate of the every-job-new scenario")
    parser.add_argument("--threads", type=int, default=0, help="JOBRANK_THREADS for the started service")
    parser.add_argument("--skip-profile", action="store_true")
    args = parser.parse_args(argv)
    if not (args.data / "dataset.json").is_file():
        raise SystemExit(f"error: {args.data}: no generated dataset (run `python -m training data --preset tiny`)")
    count = int(args.rate * args.seconds)
    bodies, catalogue = build_requests(args.data, count, args.candidates)
    process = None
    if args.url is None:
        process, url = start_server(args.model.parent, args.threads)
    else:
        url = args.url
    try:
        for start in range(0, len(catalogue), 500):  # index the catalogue (as a marketplace does on posting)
            response = httpx.put(url + "/v1/jobs", json={"jobs": catalogue[start : start + 500]}, timeout=600)
            response.raise_for_status()
        warm = [json.dumps({**b, "budget_ms": args.budget_ms}).encode() for b in bodies[:50]]
        asyncio.run(open_loop(url, warm, 20.0))
        cached_payloads = [json.dumps({**b, "budget_ms": args.budget_ms, "explain": True}).encode() for b in bodies]
        cached = summarise(asyncio.run(open_loop(url, cached_payloads, args.rate)))
        new_count = int(args.new_jobs_rate * args.seconds)
        new_payloads = [
            json.dumps(
                {**fresh(bodies[i % len(bodies)], f"n{i}"), "budget_ms": args.budget_ms, "explain": True}
            ).encode()
            for i in range(new_count)
        ]
        new_jobs = summarise(asyncio.run(open_loop(url, new_payloads, args.new_jobs_rate)))
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)
    report = {
        "url": url if args.url else "started here",
        "rate": args.rate,
        "seconds": args.seconds,
        "candidates": args.candidates,
        "budget_ms": args.budget_ms,
        "cached": cached,
        "new_jobs": {"rate": args.new_jobs_rate, **new_jobs},
    }
    if not args.skip_profile:
        report["profile_ms"] = profile(args.model, {**bodies[0]}, args.threads or 2)
    out = REPO / "runs" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "load_test.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    lat = cached["latency_ms"]
    print(
        f"cached, {args.rate:g} rps x {args.seconds:g} s, {args.candidates} candidates: "
        f"p50 {lat['p50']:.1f} ms, p90 {lat['p90']:.1f}, p99 {lat['p99']:.1f}, max {lat['max']:.1f}; "
        f"{cached['ok']}/{cached['requests']} answered 200 (target p99 <= 25 ms, all 200)"
    )
    if "server_steps_ms_median" in cached:
        print(f"  server steps (median ms): {cached['server_steps_ms_median']}")
    lat = new_jobs["latency_ms"]
    print(
        f"every job new, {args.new_jobs_rate:g} rps: p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f}; "
        f"degraded {new_jobs.get('degraded_share', 0):.0%}, tiers {new_jobs.get('tiers')}, "
        f"over budget {new_jobs.get('over_budget')}, statuses {new_jobs['statuses']}"
    )
    if "profile_ms" in report:
        print("  in-process profile (median ms): " + ", ".join(f"{k} {v}" for k, v in report["profile_ms"].items()))
    print(f"-> {out / 'load_test.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
