"""`python -m training pipeline`: the whole offline pipeline — data → teachers → (title encoder) → students → ONNX — timed.

On the user's own data (a ``--data`` folder with members.jsonl and no generator truth/), the first
stage is the judge instead of the generator: it copies the inputs to <runs>/dataset and writes its
labels there, so nothing is ever written into the user's folder. A non-empty folder that is
neither is refused. Runs each stage's own command in order with the same preset and folders, so the result is what
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
from collections.abc import Callable
from pathlib import Path

from training.cli import add_run_arguments, resolve_config
from training.config import CONFIG_FILE, TITLE_ENCODER_DIR, save_config
from training.data import dataset as layout
from training.data.jsonl import DataFileError
from training.distill import train as distill_stage
from training.export import export_student as export_stage
from training.export.manifest_writer import MODEL_NAME
from training.policy import label_dataset as judge_stage
from training.policy import labelled_dataset as data_stage
from training.teachers import teacher_stage as teachers_stage
from training.teachers import title_encoder as title_stage

StageMain = Callable[[list[str] | None], int]

# What the stages write under the run folder (only these are removed when starting afresh).
OUTPUTS = (
    "dataset",
    "teachers",
    TITLE_ENCODER_DIR,
    "teacher_scores",
    "eval",
    "student",
    "export",
    "benchmarks",
    "timings.json",
    "pipeline.json",
    CONFIG_FILE,
)


def _first_stage(
    data: Path, runs: Path, settings: list[str], flags: list[str], extra: list[str]
) -> tuple[str, StageMain, list[str], Path]:
    """(name, entry point, arguments, labelled dataset folder) of the stage that makes the labels:
    the judge on the user's own data (into <runs>/dataset), else the generator (into ``data``)."""
    if layout.is_users_data(data):
        print(f"{data}: your own data (no truth/): judged into {runs / 'dataset'}, your files are only read")
        return "judge", judge_stage.main, [str(data), "--out", str(runs / "dataset"), *flags, *extra], runs / "dataset"
    generated = not data.exists() or not any(data.iterdir()) or (data / layout.MEMBER_TRUTH).is_file()
    if not generated:
        raise DataFileError(
            f"{data}: neither your own data ({layout.MEMBERS}) nor a generated dataset; not writing into it"
        )
    return "data", data_stage.main, settings + flags + ["--out", str(data)], data


def main(argv: list[str] | None = None) -> int:
    """Entry point of the pipeline stage."""
    parser = argparse.ArgumentParser(prog="python -m training pipeline", description=__doc__.splitlines()[0])
    add_run_arguments(parser, policy=True)
    parser.add_argument("--publish", type=Path, metavar="DIR", help="copy the exported model to DIR/<name>")
    parser.add_argument(
        "--max-publish-mb",
        type=float,
        help="refuse to publish a bigger model (same as --set export.max_publish_mb=N; "
        "default: 50 MB into the git-tracked artifacts/, else no limit)",
    )
    parser.add_argument(
        "--occupations", type=Path, metavar="FILE", help="your occupations / title mappings for the judge (own data)"
    )
    parser.add_argument("--name", default=MODEL_NAME, help="the model's name (the service's JOBRANK_MODEL)")
    parser.add_argument(
        "--resume", action="store_true", help="keep the run folder's earlier outputs (default: start empty)"
    )
    args = parser.parse_args(argv)
    shortcut = () if args.max_publish_mb is None else (f"export.max_publish_mb={args.max_publish_mb}",)
    config = resolve_config(args, shortcut)
    data = args.data or Path("data") / args.preset
    runs = args.runs or Path("runs") / args.preset
    if runs.resolve() == data.resolve():
        raise DataFileError(f"--runs {runs}: must not be the data folder (the run folder is emptied first)")
    settings = ["--preset", args.preset, "--config", str(runs / CONFIG_FILE)]
    flags = (["--no-progress"] if args.no_progress else []) + (["--policy", str(args.policy)] if args.policy else [])
    judge_only = ["--occupations", str(args.occupations)] if args.occupations else []
    first, first_main, first_args, labelled = _first_stage(data, runs, settings, flags, judge_only)
    run_args = settings + flags + ["--data", str(labelled), "--runs", str(runs)]
    asked = args.max_publish_mb is not None or any(item.startswith("export.max_publish_mb") for item in args.set)
    export_args = ["--name", args.name] + (["--max-publish-mb", str(config.export.max_publish_mb)] if asked else [])
    stages: list[tuple[str, StageMain, list[str]]] = [
        (first, first_main, first_args),
        ("teachers", teachers_stage.main, run_args),
        # The towers' encoder, when the students read titles through the run's own (fine-tuned) one.
        *(
            [("title-encoder", title_stage.main, settings + flags + ["--out", str(runs / TITLE_ENCODER_DIR)])]
            if config.student.encoder == "title" and config.student.encoder_dir is None
            else []
        ),
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
