"""`python -m training teachers`: the whole teacher stage — both teachers, scoring, evaluation — timed.

Writes runs/<preset>/timings.json with each stage's seconds (data generation is timed in the
dataset's card). Each step is the same function its own command runs.
"""

from __future__ import annotations

import argparse
import json
import time

from training.cli import add_run_arguments, resolve_run
from training.config import save_config
from training.policy.policy import load_policy
from training.teachers.evaluate_teachers import evaluate
from training.teachers.score import score_teachers
from training.teachers.train import train_teacher


def main(argv: list[str] | None = None) -> int:
    """Entry point of the teachers stage."""
    parser = argparse.ArgumentParser(prog="python -m training teachers", description=__doc__.splitlines()[0])
    add_run_arguments(parser, policy=True)
    args = parser.parse_args(argv)
    run = resolve_run(args)
    cfg, data, runs = run.config, run.data, save_config(run.config, run.runs).parent
    policy = load_policy(args.policy)
    progress = not args.no_progress
    timings: dict[str, float] = {}

    def timed(name, fn, *a, **kw):
        started = time.perf_counter()
        result = fn(*a, **kw)
        timings[name] = round(time.perf_counter() - started, 1)
        print(f"{name}: {timings[name]} s")
        return result

    teacher, seed = cfg.teacher, cfg.lists.seed
    timed(
        "train relevance teacher",
        train_teacher,
        "relevance",
        data,
        runs / "teachers" / "relevance",
        teacher,
        progress,
        seed,
    )
    engagement = timed(
        "train engagement teacher",
        train_teacher,
        "engagement",
        data,
        runs / "teachers" / "engagement",
        teacher,
        progress,
        seed,
    )
    if engagement.get("skipped"):
        print(f"engagement teacher skipped: {engagement['skipped']}")
    timed(
        "score pairs with both teachers",
        score_teachers,
        data,
        runs / "teachers",
        runs / "teacher_scores",
        cfg.lists,
        progress,
    )
    report = timed("evaluate", evaluate, data, runs, cfg.lists, policy, progress=progress)
    timings["total"] = round(sum(timings.values()), 1)
    (runs / "timings.json").write_text(
        json.dumps({"preset": args.preset, "seconds": timings}, indent=2) + "\n", encoding="utf-8"
    )
    print(report["table"])
    print(f"teacher stage: {timings['total']} s -> {runs}")
    return 0
