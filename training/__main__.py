"""`python -m training <stage>`: the offline pipeline's command line.

Run `python -m training --help` for the stages.
Bad input ends with exit code 2 and one readable line: a TrainingError (a missing or malformed
file, setting or policy) or the service's ManifestError (a model folder export reads back).
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

from app.ranking.manifest import ManifestError
from training.errors import TrainingError

STAGES = {
    # name: ("module" or "module:function", help); the function defaults to main.
    "esco-subset": ("training.data.esco_subset", "rebuild app/domain/occupations.json from the ESCO CSVs"),
    "generate": (
        "training.policy.labelled_dataset:generate_main",
        "generate a seeded marketplace (members, jobs, candidate pairs, engagement)",
    ),
    "judge": ("training.policy.label_dataset", "grade every pair under the product policy (labels.jsonl)"),
    "data": ("training.policy.labelled_dataset", "generate, then judge: a labelled dataset in one command"),
    "train-teacher": ("training.teachers.train", "fine-tune the relevance or engagement cross-encoder teacher"),
    "score-teachers": ("training.teachers.score", "score the selected pairs with both teachers (soft labels, sharded)"),
    "evaluate": (
        "training.teachers.evaluate_teachers",
        "teachers vs baselines on held-out members: metrics.json, PNG, table",
    ),
    "teachers": (
        "training.teachers.teacher_stage",
        "train both teachers, score the pairs, evaluate: the whole teacher stage, timed",
    ),
    "title-encoder": (
        "training.teachers.title_encoder",
        "fine-tune MiniLM contrastively on ESCO title pairs (--measure: title similarity on the splits)",
    ),
    "distill": ("training.distill.train", "multi-teacher distillation of the ranker student: ablation + scaling curve"),
    "ablation": (
        "training.distill.ablation",
        "label-budget curve: students on N judge labels alone vs distilled from a teacher on the same N",
    ),
    "export": ("training.export.export_student", "the student to ONNX (fp32 + int8), parity-gated, with manifest.json"),
    "pipeline": ("training.run_pipeline", "the whole offline pipeline: data -> teachers -> students -> ONNX, timed"),
    "onet-data": (
        "training.data.onet_catalogue",
        "a real-text own-data set from O*NET: train/ and a hidden heldout/ with expert relatedness",
    ),
    "demo": ("training.demo", "build the tiny dataset and show judged rankings with explanations"),
}


def _usage() -> str:
    lines = ["usage: python -m training <stage> [options]   (python -m training <stage> --help)", "", "stages:"]
    lines += [f"  {name:<12} {help_}" for name, (_, help_) in STAGES.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a stage's ``main``; turn expected failures into one-line errors."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    stage, rest = argv[0], argv[1:]
    if stage not in STAGES:
        print(f"error: unknown stage '{stage}'\n\n{_usage()}", file=sys.stderr)
        return 2
    import importlib

    module_name, _, function = STAGES[stage][0].partition(":")
    entry = getattr(importlib.import_module(module_name), function or "main")
    try:
        return entry(rest)
    except (TrainingError, ManifestError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
