"""Benchmark: own data end to end on real O*NET text, scored against O*NET's expert relatedness.

    python benchmarks/onet_own_data.py                      # tiny preset, 800 train / 320 held-out members
    python benchmarks/onet_own_data.py --preset full --runs runs/onet-full

1. ``python -m training onet-data`` builds the set (train/ and a hidden heldout/, see
   training/data/onet_catalogue.py) unless ``--data`` already holds one;
2. the judge's title coverage and grade spread on both parts (what a user sees from ``judge``);
3. ``python -m training pipeline --data <set>/train`` trains, exports and publishes a model on it —
   the README's own-data recipe, unchanged;
4. on the held-out members' candidate lists (jobs, headlines and title strings never shown to
   training): NDCG@10 and recall@10 (same occupation) against O*NET's grades for random, BM25, the
   rules (the judge's field path), the shipped model and the model trained on the user's data.

Writes ``<runs>/onet_own_data.json`` and prints the table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.domain.schemas import Job, Member  # noqa: E402
from training.data.jsonl import read_json_lines  # noqa: E402
from training.data.lists import CandidateList  # noqa: E402
from training.data.onet_catalogue import RELATEDNESS  # noqa: E402
from training.evaluation.harness import ModelScores, evaluate_model  # noqa: E402
from training.policy.policy import default_policy  # noqa: E402
from training.teachers.baselines import lexical_scores, random_scores, rules_scores  # noqa: E402
from training.teachers.split_scores import student_scores_on  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MODEL_NAME = "onet-ranker"


def _run(command: list[str]) -> None:
    print("$", " ".join(command), flush=True)
    subprocess.run([sys.executable, "-m", "training", *command], cwd=REPO, check=True)


def heldout_lists(folder: Path) -> list[CandidateList]:
    """The held-out members' candidate lists with O*NET's grades (relatedness.jsonl, in list order)."""
    members = {o["member_id"]: Member.model_validate(o) for _, o in read_json_lines(folder / "members.jsonl")}
    jobs = {o["job_id"]: Job.model_validate(o) for _, o in read_json_lines(folder / "jobs.jsonl")}
    grouped: dict[str, list[tuple[str, int]]] = {}
    for _, row in read_json_lines(folder / RELATEDNESS):
        grouped.setdefault(row["member_id"], []).append((row["job_id"], int(row["grade"])))
    return [
        CandidateList(
            members[member_id],
            tuple(jobs[j] for j, _ in rows),
            np.array([g for _, g in rows], dtype=np.int64),
            np.full(len(rows), np.nan),
            np.arange(len(rows), dtype=np.int64),
        )
        for member_id, rows in grouped.items()
    ]


def judge_report(folder: Path) -> dict:
    """The judge's coverage and grade spread on one part (judged into a scratch copy)."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "training", "judge", str(folder), "--out", scratch, "--no-progress"]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        report = json.loads((Path(scratch) / "dataset.json").read_text())["labels"]
    shares = report["grade_shares"]
    return {
        "pairs": report["pairs"],
        "job_titles_recognised": round(1 - report["coverage"]["job_titles_unrecognised"], 4),
        "headlines_recognised": round(1 - report["coverage"]["members_unrecognised"], 4),
        "grade_shares": shares,
        "grade_levels_over_1pct": sum(share >= 0.01 for share in shares.values()),
        "judge_exit_code": done.returncode,
    }


def _student(lists, model_dir: Path) -> ModelScores:
    """The exported student's own scores (student_scores_on also returns its text path alone)."""
    return student_scores_on(lists, model_dir)[f"student ({model_dir.name})"]


def main(argv: list[str] | None = None) -> int:
    """Build, judge, train, evaluate; print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("runs/onet/data"), help="the O*NET set (built if absent)")
    parser.add_argument("--runs", type=Path, default=Path("runs/onet"), help="run folder of the trained model")
    parser.add_argument("--preset", default="tiny", help="training preset (default: tiny)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="training override")
    parser.add_argument("--shipped", type=Path, default=REPO / "artifacts" / "jobrank-ranker", help="shipped model")
    parser.add_argument("--skip-training", action="store_true", help="evaluate the model already in --runs")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if not (args.data / "heldout" / RELATEDNESS).is_file():
        _run(["onet-data", "--out", str(args.data)])
    coverage = {part: judge_report(args.data / part) for part in ("train", "heldout")}
    print(json.dumps(coverage, indent=1))
    published = args.runs / "models" / MODEL_NAME
    if not args.skip_training:
        command = ["pipeline", "--preset", args.preset, "--data", str(args.data / "train")]
        command += ["--runs", str(args.runs / "run"), "--publish", str(args.runs / "models"), "--name", MODEL_NAME]
        _run(command + [f"--set={item}" for item in args.set] + ["--no-progress"])
    lists = heldout_lists(args.data / "heldout")
    scorers = {
        "random": lambda: ModelScores(random_scores(lists)),
        "lexical (BM25)": lambda: ModelScores(lexical_scores(lists)),
        "rules": lambda: ModelScores(rules_scores(lists)),
        "shipped student": lambda: _student(lists, args.shipped),
    }
    if (published / "manifest.json").is_file():
        scorers["student trained on this data"] = lambda: _student(lists, published)
    results = {}
    for name, score in scorers.items():
        metrics = evaluate_model(lists, score(), default_policy())
        results[name] = {"ndcg@10": round(metrics["ndcg@10"], 4), "recall@10": round(metrics["recall@10"], 4)}
    print(f"\nheld-out: {len(lists)} members, {len({j.job_id for lst in lists for j in lst.jobs})} jobs")
    print(f"{'scorer':<32} {'NDCG@10':>8} {'recall@10':>10}")
    for name, row in results.items():
        print(f"{name:<32} {row['ndcg@10']:>8.3f} {row['recall@10']:>10.3f}")
    out = {
        "preset": args.preset,
        "overrides": args.set,
        "heldout_members": len(lists),
        "heldout_jobs": len({j.job_id for lst in lists for j in lst.jobs}),
        "judge": coverage,
        "results": results,
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.runs.mkdir(parents=True, exist_ok=True)
    (args.runs / "onet_own_data.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.runs / 'onet_own_data.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
