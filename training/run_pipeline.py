"""`python -m training pipeline`: the whole offline pipeline — data → teachers → students → ONNX — timed.

Runs each stage's own command in order with the same preset and folders, so the result is what
running them one by one gives. It starts from scratch: the stages' earlier outputs in the run folder are removed first (teacher
checkpoints, scores, students, exports), unless `--resume` keeps what earlier runs left. With
`--publish artifacts` the exported model replaces the shipped default (`make model` does exactly
that on the full preset). The settings are resolved once (``--preset``, ``--config``, ``--set``),
written to runs/<preset>/config.json and handed to every stage as ``--config``. Writes
runs/<preset>/pipeline.json with each stage's seconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from training.cli import add_run_arguments, resolve_config
from training.config import CONFIG_FILE, save_config
from training.distill import train as distill_stage
from training.export import export_student as export_stage
from training.policy import labelled_dataset as data_stage
from training.teachers import teacher_stage as teachers_stage

# What the stages write under the run folder (only these are removed when starting afresh).
OUTPUTS = (
    "teachers",
    "teacher_scores",
    "eval",
    "student",
    "export",
    "benchmarks",
    "timings.json",
    "pipeline.json",
    CONFIG_FILE,
)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the pipeline stage."""
    parser = argparse.ArgumentParser(prog="python -m training pipeline", description=__doc__.splitlines()[0])
    add_run_arguments(parser, policy=True)
    parser.add_argument("--publish", type=Path, metavar="DIR", help="copy the exported model to DIR/<name>")
    parser.add_argument(
        "--max-publish-mb", type=float, help="refuse to publish a bigger model (same as --set export.max_publish_mb=N)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep the run folder's earlier outputs (default: start empty)"
    )
    args = parser.parse_args(argv)
    shortcut = () if args.max_publish_mb is None else (f"export.max_publish_mb={args.max_publish_mb}",)
    config = resolve_config(args, shortcut)
    data = args.data or Path("data") / args.preset
    runs = args.runs or Path("runs") / args.preset
    common = ["--preset", args.preset, "--config", str(runs / CONFIG_FILE)]
    common += (["--no-progress"] if args.no_progress else []) + (["--policy", str(args.policy)] if args.policy else [])
    run_args = common + ["--data", str(data), "--runs", str(runs)]
    export_args = ["--max-publish-mb", str(config.export.max_publish_mb)]
    stages = [
        ("data", data_stage.main, common + ["--out", str(data)]),
        ("teachers", teachers_stage.main, run_args),
        ("distill", distill_stage.main, run_args),
        (
            "export",
            export_stage.main,
            run_args + export_args + (["--publish", str(args.publish)] if args.publish else []),
        ),
    ]
    if not args.resume:
        for name in OUTPUTS:
            path = runs / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    save_config(config, runs)
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
