"""Cost of the judge's field path in a service process: start-up (load time, memory) and µs per view.

    python benchmarks/canonical_view.py --data data/tiny                         # this checkout's code
    python benchmarks/canonical_view.py --data data/tiny --code /tmp/main-before  # another checkout's

Start-up: wall and CPU time and resident memory added by loading the taxonomy, the skills lexicon and
building the FieldCanonicalizer, in a fresh process. Per call: CPU µs (``time.process_time``) of
``member_view``, ``job_view`` and the match features' ``member_facts`` / ``job_facts`` (they resolve
skills through the same lexicon) over every member and job of --data, median and p99 over calls.
Writes runs/benchmarks/canonical_view.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _rss_mb() -> float:
    """Resident memory of this process (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 1e6


def _per_call_us(fn, items) -> dict:
    times = []
    for item in items:
        start = time.process_time()
        fn(item)
        times.append((time.process_time() - start) * 1e6)
    times.sort()
    return {
        "calls": len(times),
        "median_us": round(statistics.median(times), 1),
        "mean_us": round(statistics.fmean(times), 1),
        "p99_us": round(times[int(0.99 * (len(times) - 1))], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "tiny", help="members.jsonl + jobs.jsonl")
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose app/ is measured")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "benchmarks" / "canonical_view.json")
    args = parser.parse_args(argv)
    sys.path[:0] = [str(args.code.resolve())]
    import app.domain.schemas as schemas

    rss0, t0, c0 = _rss_mb(), time.perf_counter(), time.process_time()
    from app.domain.canonical import FieldCanonicalizer
    from app.domain.featurize import job_facts, member_facts
    from app.domain.occupations import default_taxonomy
    from app.domain.skills import default_lexicon

    taxonomy = default_taxonomy()
    t1 = time.perf_counter()
    lexicon = default_lexicon()
    t2 = time.perf_counter()
    canon = FieldCanonicalizer(taxonomy, lexicon)
    t3 = time.perf_counter()
    startup = {
        "cpu_total_s": round(time.process_time() - c0, 3),
        "taxonomy_s": round(t1 - t0, 3),
        "lexicon_s": round(t2 - t1, 3),
        "canonicalizer_s": round(t3 - t2, 3),
        "total_s": round(t3 - t0, 3),
        "rss_added_mb": round(_rss_mb() - rss0, 1),
        "occupations": len(taxonomy.occupations),
        "skills": len(lexicon.skills),
    }
    read = lambda name, model: [  # noqa: E731
        model.model_validate_json(line) for line in (args.data / name).read_text().splitlines() if line.strip()
    ]
    members, jobs = read("members.jsonl", schemas.Member), read("jobs.jsonl", schemas.Job)
    report = {
        "code": str(args.code.resolve()),
        "data": str(args.data),
        "startup": startup,
        "member_view": _per_call_us(canon.member_view, members * max(1, 2000 // max(1, len(members)))),
        "job_view": _per_call_us(canon.job_view, jobs[:3000]),
        "member_facts": _per_call_us(
            lambda m: member_facts(m, lexicon), members * max(1, 2000 // max(1, len(members)))
        ),
        "job_facts": _per_call_us(lambda j: job_facts(j, lexicon), jobs[:3000]),
    }
    print(json.dumps(report, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
