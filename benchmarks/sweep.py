"""Rate sweep of the ranking service: open-loop steps of rising offered rate, percentiles, and the knee.

    python benchmarks/sweep.py                                       # starts the service on the shipped model
    python benchmarks/sweep.py --target local=http://127.0.0.1:8000 --pid local=12345
    python benchmarks/sweep.py --target local=http://127.0.0.1:8000 --pid local=12345 \\
                               --target container=http://127.0.0.1:8001 --container container=jobrank

Each step sends requests on a fixed schedule (latency counts from the scheduled send time, so a
stalled server cannot hide its queue: coordinated omission corrected) at one offered
rate for --seconds; percentiles come from an HdrHistogram (1 µs .. 60 s, 3 significant digits). Answers
are counted by class (200 / 429 / 503 / other); goodput = 200s within the budget per second. The knee
is the highest offered rate whose p99 (over every answer) is within the budget with at most 1 % non-200
answers. The rate grows by --factor until two steps in a row miss; --refine steps then bisect between
the knee and the first miss above it. Several targets are swept interleaved, rate by rate, so the
noise of a shared machine falls on all of them alike. Server RSS and CPU come from /proc of --pid
(and its children) or of a --container's main process (`docker inspect`), else from `docker stats
--no-stream`. Writes runs/benchmarks/sweep.json and sweep.png (p50/p99 and goodput vs offered rate),
and copies the PNG to docs/. The load generator shares the machine with the service: its cost is in the figures.
``--client raw`` (the default) is benchmarks/open_loop.py, a minimal keep-alive HTTP/1.1 client on
asyncio streams (loopback targets only); ``--client httpx`` is load_test.open_loop, which costs
several times more CPU a request, taken from the service on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import shutil
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks import open_loop as raw_client  # noqa: E402
from benchmarks.load_test import build_requests, numbered, open_loop, start_server, with_member_marks  # noqa: E402
from benchmarks.process_meters import ServerUsage  # noqa: E402

CLASSES = ("200", "429", "503", "other")
MAX_ERROR_SHARE = 0.01  # a step with more non-200 answers than this is past the knee, however fast they came


def answer_class(status: int | str) -> str:
    """200, 429 (shed by admission control), 503 (not ready / draining) or other (incl. transport errors)."""
    return str(status) if status in (200, 429, 503) else "other"


def histogram_percentiles(latencies_ms: list[float]) -> dict[str, float]:
    """p50/p90/p99/p99.9/max in ms from an HdrHistogram of the latencies (recorded in µs)."""
    from hdrh.histogram import HdrHistogram

    histogram = HdrHistogram(1, 60_000_000, 3)
    for value in latencies_ms:
        histogram.record_value(min(max(1, round(value * 1000)), 60_000_000))
    named = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p99.9": 99.9}
    out = {name: histogram.get_value_at_percentile(q) / 1000 for name, q in named.items()}
    out["max"] = histogram.get_max_value() / 1000
    return out


def send_step(url: str, payloads: list[bytes], rate: float, client: str) -> list[dict]:
    """One open-loop step with ``client`` ("raw" or "httpx"): a result per request, latency in ``latency_ms``."""
    if client == "httpx":
        return asyncio.run(open_loop(url, payloads, rate))
    port = httpx.URL(url).port or 80
    seconds = len(payloads) / rate
    results = raw_client.run(raw_client.open_loop(port, payloads, rate, seconds, time.perf_counter() + 0.2))
    return [{**r, "latency_ms": r["ms"]} for r in results]


def summarise_step(results: list[dict], rate: float, seconds: float, budget_ms: float) -> dict:
    """One step's figures: classes, latency percentiles (all answers), goodput, achieved rate, degraded share."""
    classes = dict.fromkeys(CLASSES, 0)
    for result in results:
        classes[answer_class(result["status"])] += 1
    ok = [r for r in results if r["status"] == 200]
    total = max(1, len(results))
    return {
        "offered_rps": rate,
        "requests": len(results),
        "classes": classes,
        "error_share": 1 - len(ok) / total,
        "latency_ms": histogram_percentiles([r["latency_ms"] for r in results]),
        "goodput_rps": sum(1 for r in ok if r["latency_ms"] <= budget_ms) / seconds,
        "degraded_share": sum(bool(r.get("degraded")) for r in ok) / len(ok) if ok else None,
    }


def within_budget(step: dict, budget_ms: float) -> bool:
    """The step meets the latency budget (p99 of every answer) with at most MAX_ERROR_SHARE non-200s."""
    return step["latency_ms"]["p99"] <= budget_ms and step["error_share"] <= MAX_ERROR_SHARE


def find_knee(steps: list[dict], budget_ms: float) -> float | None:
    """The highest offered rate of a step within the budget; None when no step is."""
    passing = [s["offered_rps"] for s in steps if within_budget(s, budget_ms)]
    return max(passing) if passing else None


def rate_plan(start: float, factor: float, maximum: float) -> list[float]:
    """Geometric offered rates start, start·factor, … up to maximum (rounded to 0.1 rps)."""
    if start <= 0 or factor <= 1 or maximum < start:
        raise ValueError("need 0 < start <= maximum and factor > 1")
    rates = [start]
    while round(rates[-1] * factor, 1) <= maximum:
        rates.append(round(rates[-1] * factor, 1))
    return rates


def bisect_rate(steps: list[dict], budget_ms: float) -> float | None:
    """Midpoint between the knee and the lowest missing rate above it (None when there is no such gap)."""
    knee = find_knee(steps, budget_ms)
    misses = [s["offered_rps"] for s in steps if not within_budget(s, budget_ms) and s["offered_rps"] > (knee or 0)]
    if knee is None or not misses:
        return None
    return round((knee + min(misses)) / 2, 1)


def index_catalogue(url: str, catalogue: list[dict], quiet_passes: int = 1) -> None:
    """PUT the catalogue's jobs (as a marketplace does on posting), so the steps rank cached jobs; repeated
    until ``quiet_passes`` passes in a row encode nothing (each worker of a multi-worker service has its
    own cache, and each PUT reaches one of them)."""
    quiet = 0
    for _ in range(20 * quiet_passes):
        encoded = 0
        for start in range(0, len(catalogue), 500):
            answer = httpx.put(url + "/v1/jobs", json={"jobs": catalogue[start : start + 500]}, timeout=600)
            encoded += answer.raise_for_status().json()["encoded"]
        quiet = quiet + 1 if encoded == 0 else 0
        if quiet >= quiet_passes:
            return


def sweep(targets: dict[str, tuple[str, ServerUsage]], payloads: list[bytes], args: argparse.Namespace) -> dict:
    """Sweep every target, interleaved rate by rate (the machine's noise then falls on all of them alike).

    A target steps up the plan until two misses in a row, then gets --refine bisection steps.
    """
    from tqdm import tqdm

    plan = rate_plan(args.start_rate, args.factor, args.max_rate)
    sequence = itertools.count(1)
    steps: dict[str, list[dict]] = {name: [] for name in targets}
    misses = dict.fromkeys(targets, 0)
    bar = tqdm(total=(len(plan) + args.refine) * len(targets), desc="sweep", unit="step", disable=args.no_progress)

    def run(name: str, rate: float) -> dict:
        url, usage = targets[name]
        count = max(1, int(rate * args.seconds))
        usage.start()
        chosen = [payloads[i % len(payloads)] for i in range(count)]
        if args.distinct_members:
            chosen = [numbered(payload, next(sequence)) for payload in chosen]
        results = send_step(url, chosen, rate, args.client)
        step = {**summarise_step(results, rate, args.seconds, args.budget_ms), "server": usage.sample()}
        steps[name].append(step)
        bar.set_postfix_str(
            f"{name} {rate:g} rps p99 {step['latency_ms']['p99']:.1f} ms ok {1 - step['error_share']:.0%}"
        )
        bar.update()
        time.sleep(args.pause)  # let the queue of an overloaded step drain before the next one
        return step

    for rate in plan:
        for name in [n for n in targets if misses[n] < 2]:
            misses[name] = 0 if within_budget(run(name, rate), args.budget_ms) else misses[name] + 1
    for _ in range(args.refine):
        for name in targets:
            between = bisect_rate(steps[name], args.budget_ms)
            if between is not None and all(s["offered_rps"] != between for s in steps[name]):
                run(name, between)
    bar.close()
    out = {}
    for name, (url, _) in targets.items():
        ordered = sorted(steps[name], key=lambda s: s["offered_rps"])
        out[name] = {"url": url, "knee_rps": find_knee(ordered, args.budget_ms), "steps": ordered}
    return out


def plot(report: dict, path: Path) -> None:
    """p50/p99 vs offered rate (left) and goodput vs offered rate (right), one colour per target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budget = report["budget_ms"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for i, (name, target) in enumerate(report["targets"].items()):
        colour = f"C{i}"
        rates = [s["offered_rps"] for s in target["steps"]]
        left.plot(rates, [s["latency_ms"]["p99"] for s in target["steps"]], "o-", color=colour, label=f"{name} p99")
        left.plot(rates, [s["latency_ms"]["p50"] for s in target["steps"]], "s--", color=colour, label=f"{name} p50")
        right.plot(rates, [s["goodput_rps"] for s in target["steps"]], "o-", color=colour, label=f"{name} goodput")
        if target["knee_rps"]:
            for axis in (left, right):
                axis.axvline(target["knee_rps"], color=colour, linestyle=":", alpha=0.7)
            left.annotate(
                f"knee {target['knee_rps']:g} rps",
                (target["knee_rps"], budget),
                color=colour,
                rotation=90,
                va="bottom",
                ha="right",
            )
    left.axhline(budget, color="grey", linestyle="--", label=f"budget {budget:g} ms")
    left.set(
        xlabel="offered rate (req/s)",
        ylabel="latency from scheduled send (ms)",
        yscale="log",
        title="Latency (open loop, HdrHistogram)",
    )
    top = max((s["offered_rps"] for t in report["targets"].values() for s in t["steps"]), default=1)
    right.plot([0, top], [0, top], color="grey", linestyle="--", label="offered")
    right.set(xlabel="offered rate (req/s)", ylabel="200s within budget per second", title="Goodput")
    for axis in (left, right):
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    fig.suptitle(
        f"jobrank rate sweep: {report['candidates']} cached candidates/request, {report['seconds']:g} s per step (shared 2-core machine)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def named(values: list[str], option: str) -> dict[str, str]:
    """NAME=VALUE pairs of a repeated option."""
    out = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name or not rest:
            raise SystemExit(f"error: {option} {value!r}: expected NAME=VALUE")
        out[name] = rest
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog="See the module docstring for the method."
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="a running service (repeatable); default: start one here, named local",
    )
    parser.add_argument("--url", help="shorthand for --target service=URL")
    parser.add_argument(
        "--pid", action="append", default=[], metavar="NAME=PID", help="the target's server PID, for RSS/CPU from /proc"
    )
    parser.add_argument(
        "--container",
        action="append",
        default=[],
        metavar="NAME=CONTAINER",
        help="the target's Docker container, for RSS/CPU",
    )
    parser.add_argument(
        "--data", type=Path, default=REPO / "data" / "tiny", help="generated dataset for request bodies"
    )
    parser.add_argument(
        "--model", type=Path, default=REPO / "artifacts" / "jobrank-ranker", help="model of the service started here"
    )
    parser.add_argument("--candidates", type=int, default=100, help="candidates per request (all cached)")
    parser.add_argument(
        "--budget-ms", type=float, default=50.0, help="budget_ms of every request and the knee's p99 limit"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each step")
    parser.add_argument("--start-rate", type=float, default=20.0)
    parser.add_argument("--factor", type=float, default=1.5, help="rate growth per step")
    parser.add_argument("--max-rate", type=float, default=800.0)
    parser.add_argument("--refine", type=int, default=2, help="bisection steps between the knee and the first miss")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between steps")
    parser.add_argument(
        "--out", type=Path, default=REPO / "runs" / "benchmarks", help="folder for sweep.json and sweep.png"
    )
    parser.add_argument(
        "--docs-png", type=Path, default=REPO / "docs" / "load_sweep.png", help="copy of the PNG (empty: none)"
    )
    parser.add_argument(
        "--index-passes",
        type=int,
        default=1,
        help="PUT the catalogue until this many passes in a row encode nothing (several workers: e.g. 6)",
    )
    parser.add_argument(
        "--distinct-members",
        action="store_true",
        help="every request's member is one the service has not seen (the bodies repeat 13 members otherwise)",
    )
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw", help="load generator (see above; raw: loopback only)"
    )
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    targets = named(args.target + ([f"service={args.url}"] if args.url else []), "--target")
    pids = {k: int(v) for k, v in named(args.pid, "--pid").items() if v.isdigit()}
    containers = named(args.container, "--container")
    if not (args.data / "dataset.json").is_file():
        raise SystemExit(f"error: {args.data}: no generated dataset (run `python -m training data --preset tiny`)")
    bodies, catalogue = build_requests(args.data, 400, args.candidates)
    if args.distinct_members:
        bodies = [with_member_marks(body) for body in bodies]
    payloads = [json.dumps({**b, "budget_ms": args.budget_ms}).encode() for b in bodies]
    process = None
    if not targets:
        process, targets["local"] = start_server(args.model.parent, 0)
        pids["local"] = process.pid
    report: dict = {
        "budget_ms": args.budget_ms,
        "seconds": args.seconds,
        "candidates": args.candidates,
        "client": args.client,
        "targets": {},
    }
    try:
        for url in targets.values():
            index_catalogue(url, catalogue, args.index_passes)
            send_step(url, payloads[:100], 20.0, args.client)  # warm-up, not measured
        usages = {name: (url, ServerUsage(pids.get(name), containers.get(name))) for name, url in targets.items()}
        report["targets"] = sweep(usages, payloads, args)
    finally:
        if process is not None:
            process.terminate()
            process.wait(30)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sweep.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    plot(report, args.out / "sweep.png")
    if str(args.docs_png) not in ("", "."):
        shutil.copyfile(args.out / "sweep.png", args.docs_png)
    for name, target in report["targets"].items():
        knee = target["knee_rps"]
        at = next((s for s in target["steps"] if s["offered_rps"] == knee), None)
        detail = (
            f"p50 {at['latency_ms']['p50']:.1f} ms, p99 {at['latency_ms']['p99']:.1f} ms, server {at['server']}"
            if at
            else "no step within the budget"
        )
        print(f"{name}: knee {knee} rps (p99 <= {args.budget_ms:g} ms, <= 1% non-200); at the knee {detail}")
    print(f"-> {args.out / 'sweep.json'}, {args.out / 'sweep.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
