"""`python -m training pipeline`: the whole offline pipeline — data → teachers → students → ONNX — timed.

Runs each stage's own command in order with the same preset and folders, so the result is what
running them one by one gives. It starts from scratch: the stages' earlier outputs in the run folder are removed first (teacher
checkpoints, scores, students, exports), unless `--resume` keeps what earlier runs left. With
`--publish artifacts` the exported model replaces the shipped default (`make model` does exactly
that on the full preset). Writes runs/<preset>/pipeline.json with each stage's seconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from training.data import pipeline as data_stage
from training.distill import train as distill_stage
from training.export import export_student as export_stage
from training.policy.policy import DEFAULT_POLICY_PATH
from training.teachers import pipeline as teachers_stage
from training.teachers.config import PRESETS

# What the stages write under the run folder (only these are removed when starting afresh).
OUTPUTS = ("teachers", "teacher_scores", "eval", "student", "export", "benchmarks", "timings.json", "pipeline.json")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the pipeline stage."""
    parser = argparse.ArgumentParser(prog="python -m training pipeline", description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    parser.add_argument("--data", type=Path, help="dataset folder (default: data/<preset>)")
    parser.add_argument("--runs", type=Path, help="run folder (default: runs/<preset>)")
    parser.add_argument("--policy", type=Path, default=DEFAULT_POLICY_PATH, help="policy TOML")
    parser.add_argument("--publish", type=Path, metavar="DIR", help="copy the exported model to DIR/<name>")
    parser.add_argument("--max-publish-mb", type=float, default=50.0, help="refuse to publish a bigger model (MB)")
    parser.add_argument(
        "--resume", action="store_true", help="keep the run folder's earlier outputs (default: start empty)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    args = parser.parse_args(argv)
    data = args.data or Path("data") / args.preset
    runs = args.runs or Path("runs") / args.preset
    common = ["--preset", args.preset] + (["--no-progress"] if args.no_progress else [])
    run_args = common + ["--data", str(data), "--runs", str(runs), "--policy", str(args.policy)]
    stages = [
        ("data", data_stage.main, common + ["--out", str(data), "--policy", str(args.policy)]),
        ("teachers", teachers_stage.main, run_args),
        ("distill", distill_stage.main, run_args),
        (
            "export",
            export_stage.main,
            run_args
            + ["--max-publish-mb", str(args.max_publish_mb)]
            + (["--publish", str(args.publish)] if args.publish else []),
        ),
    ]
    if not args.resume:
        for name in OUTPUTS:
            path = runs / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    seconds: dict[str, float] = {}
    for name, stage_main, stage_args in stages:
        print(f"== {name} ==", flush=True)
        started = time.perf_counter()
        code = stage_main(stage_args)
        seconds[name] = round(time.perf_counter() - started, 1)
        if code:
            return code
    seconds["total"] = round(sum(seconds.values()), 1)
    runs.mkdir(parents=True, exist_ok=True)
    (runs / "pipeline.json").write_text(
        json.dumps({"preset": args.preset, "seconds": seconds}, indent=2) + "\n", encoding="utf-8"
    )
    print(f"pipeline ({args.preset}): " + ", ".join(f"{k} {v} s" for k, v in seconds.items()))
    return 0
