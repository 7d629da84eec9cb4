"""`python -m training evaluate`: every model and the rules on every split; metrics.json, a PNG and tables.

On each split of the harness (in-distribution = the held-out members' lists; unstructured,
held-out phrasings, held-out occupations, real titles: see training/data/generalisation.py) it
evaluates random, lexical (BM25), the zero-shot pretrained encoder, the rules (the judge's field
path: request fields only, no latent truth), the relevance teacher, the engagement teacher, both
teachers blended by the policy's business blend, and the shipped student (through the service's
ONNX runtime) with its text path alone: the cosine of its tower embeddings (and of the encoder's
pooled outputs, for a student with the raw similarity input). In-distribution teacher scores are the shards `score-teachers` wrote; on the other
splits the teachers score the pairs here. The pipeline's teacher stage evaluates in-distribution only.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from training.cli import add_run_arguments, resolve_run
from training.config import ListsConfig, save_config
from training.data.dataset import load_dataset
from training.data.generalisation import load_benchmark_sets
from training.data.lists import CandidateList, load_lists
from training.evaluation.harness import SPLITS, ModelScores, evaluate_model
from training.policy.policy import Policy, load_policy
from training.teachers import baselines
from training.teachers.score import read_scores
from training.teachers.split_scores import build_splits, pairs_of, rounded, score_rows, student_scores_on

METRICS = ("ndcg@10", "recall@10", "mrr", "kendall_tau", "engagement_auc", "engagement_logloss", "combined")


def teacher_scores(lists: list[CandidateList], rows: list[dict], policy: Policy) -> dict[str, ModelScores]:
    """The teachers' ModelScores from score rows (as read_scores returns them for these lists)."""
    sizes = np.cumsum([0] + [len(lst) for lst in lists])
    relevance = np.array([r["relevance"] for r in rows])
    engagement = np.array([r["engagement"] for r in rows])
    per_list = lambda values: [values[a:b] for a, b in zip(sizes[:-1], sizes[1:], strict=False)]  # noqa: E731
    blended = policy.blend(relevance, engagement)
    return {
        "relevance teacher": ModelScores(per_list(relevance)),
        "engagement teacher": ModelScores(per_list(engagement), per_list(engagement), probabilities=True),
        "teachers blended": ModelScores(
            per_list(relevance), per_list(engagement), per_list(blended), probabilities=True
        ),
    }


def format_table(results: dict[str, dict[str, float]]) -> str:
    """A plain-text table, one row per model."""
    header = f"{'model':<30}" + "".join(f"{m:>19}" for m in METRICS)
    lines = [header, "-" * len(header)]
    for name, metrics in results.items():
        cells = "".join(f"{'—' if math.isnan(metrics[m]) else format(metrics[m], '.4f'):>19}" for m in METRICS)
        lines.append(f"{name:<30}{cells}")
    return "\n".join(lines)


_COLOURS = {"rules": "#d62728", "relevance teacher": "#1f77b4", "engagement teacher": "#ff7f0e"}


def _colour(name: str) -> str:
    if name.startswith("student"):
        return "#9467bd"
    return _COLOURS.get(name, "#2ca02c" if "teacher" in name else "#999999")


def plot(results: dict[str, dict[str, float]], path: Path) -> None:
    """Bar charts of NDCG@10 (vs the judge) and engagement AUC per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, metric, title in (
        (axes[0], "ndcg@10", "NDCG@10 vs the policy judge"),
        (axes[1], "engagement_auc", "Engagement ROC-AUC"),
    ):
        values = [results[n][metric] for n in names]
        bars = ax.bar(range(len(names)), values, color=[_colour(n) for n in names])
        ax.set_xticks(range(len(names)), names, rotation=25, ha="right")
        ax.set_title(title)
        ax.set_ylim(0, 1)
        for bar, value in zip(bars, values, strict=False):
            ax.text(bar.get_x() + bar.get_width() / 2, value + 0.01, f"{value:.3f}", ha="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


DEFAULT_STUDENT = Path("artifacts/jobrank-ranker")
Scorer = Callable[[], dict[str, ModelScores]]


def _scorers(
    lists: list[CandidateList],
    runs: Path,
    cfg: ListsConfig,
    policy: Policy,
    split: str,
    student: Path | None,
    with_teachers: bool,
    zero_shot: bool,
) -> list[tuple[str, Scorer]]:
    """What scores one split's ``lists``, in the tables' row order: (name, call) pairs, each call giving
    one or more rows (the teachers three, the student two), so the progress bar can step through them."""

    def teachers() -> dict[str, ModelScores]:
        rows = read_scores(runs / "teacher_scores", "test", lists) if split == "in-distribution" else None
        return teacher_scores(lists, rows or score_rows(lists, runs / "teachers"), policy)

    scorers: list[tuple[str, Scorer]] = [
        ("random", lambda: {"random": ModelScores(baselines.random_scores(lists, cfg.seed))}),
        ("lexical (BM25)", lambda: {"lexical (BM25)": ModelScores(baselines.lexical_scores(lists))}),
    ]
    if zero_shot:
        scorers.append(
            ("zero-shot MiniLM", lambda: {"zero-shot MiniLM": ModelScores(baselines.zero_shot_scores(lists))})
        )
    scorers.append(("rules", lambda: {"rules": ModelScores(baselines.rules_scores(lists, policy))}))
    if with_teachers:
        scorers.append(("teachers", teachers))
    if student is not None:
        scorers.append(("student", lambda: student_scores_on(lists, student)))  # and its text path alone
    return scorers


def evaluate(
    data_dir: Path,
    runs: Path,
    cfg: ListsConfig,
    policy: Policy,
    splits: tuple[str, ...] = ("in-distribution",),
    student: Path | None = None,
    split_lists: int | None = None,
    with_teachers: bool = True,
    zero_shot: bool = True,
    progress: bool = False,
) -> dict:
    """Evaluate the baselines, the rules, the teachers (and an exported student) on every split asked
    for (the generalisation splits on ``split_lists`` lists, default as many as in-distribution);
    writes metrics.json and ndcg_auc.png (in-distribution) to runs/eval; ``progress``: one bar over
    every (split, model) step."""
    started = time.perf_counter()
    data = load_dataset(data_dir)
    held_out = load_lists(data, ("test",), cfg.score_test_members, seed=cfg.seed)
    lists_by_split = build_splits(data, held_out, splits, policy, split_lists or cfg.score_test_members, cfg.seed)
    results: dict[str, dict[str, dict[str, float]]] = {}
    steps = {
        split: _scorers(lists, runs, cfg, policy, split, student, with_teachers, zero_shot)
        for split, lists in lists_by_split.items()
    }
    with tqdm(total=sum(map(len, steps.values())), desc="evaluate", unit="model", disable=not progress) as bar:
        for split, lists in lists_by_split.items():
            models: dict[str, ModelScores] = {}
            for name, score in steps[split]:
                bar.set_postfix_str(f"{split}: {name}")
                models |= score()
                bar.update()
            results[split] = {name: evaluate_model(lists, scores, policy) for name, scores in models.items()}
    out = runs / "eval"
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "split": "test (held-out members)",
        "lists": len(held_out),
        "pairs": pairs_of(held_out),
        "blend": {"relevance": policy.blend_relevance, "engagement": policy.blend_engagement},
        "models": {name: rounded(m) for name, m in results["in-distribution"].items()}
        if "in-distribution" in results
        else {},
        "splits": {
            split: {
                "lists": len(lists_by_split[split]),
                "pairs": pairs_of(lists_by_split[split]),
                "models": {name: rounded(m) for name, m in results[split].items()},
            }
            for split in results
        },
        "student": str(student) if student is not None else None,
        "teachers": with_teachers,
        "attribution": load_benchmark_sets()["attribution"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if "in-distribution" in results:
        plot(results["in-distribution"], out / "ndcg_auc.png")
    report["tables"] = {
        split: f"{split}: {report['splits'][split]['lists']} lists, {report['splits'][split]['pairs']} pairs\n"
        + format_table(models)
        for split, models in results.items()
    }
    report["table"] = "\n\n".join(report["tables"].values())
    return report


def main(argv: list[str] | None = None) -> int:
    """Entry point of the evaluate stage."""
    parser = argparse.ArgumentParser(prog="python -m training evaluate", description=__doc__.splitlines()[0])
    add_run_arguments(parser, policy=True)
    parser.add_argument(
        "--split", action="append", choices=SPLITS, help="evaluate only this split (repeatable; default: all)"
    )
    parser.add_argument(
        "--student",
        type=Path,
        help=f"exported student folder to score through the service runtime (default: {DEFAULT_STUDENT}, if present)",
    )
    parser.add_argument(
        "--no-teachers", action="store_true", help="leave the teachers out (e.g. before they are trained)"
    )
    parser.add_argument(
        "--no-zero-shot", action="store_true", help="leave the zero-shot encoder out (the slowest baseline)"
    )
    parser.add_argument(
        "--split-lists",
        type=int,
        metavar="N",
        help="lists per generalisation split (default: lists.score_test_members, as in-distribution)",
    )
    args = parser.parse_args(argv)
    if args.split_lists is not None and args.split_lists < 1:
        parser.error("--split-lists must be at least 1")
    run = resolve_run(args)
    runs = save_config(run.config, run.runs).parent
    student = args.student if args.student is not None else DEFAULT_STUDENT
    if not (student / "manifest.json").is_file():
        student = None
    splits = tuple(args.split or SPLITS)
    report = evaluate(
        run.data,
        runs,
        run.config.lists,
        load_policy(args.policy),
        splits,
        student,
        args.split_lists,
        not args.no_teachers,
        not args.no_zero_shot,
        not args.no_progress,
    )
    print(report["table"])
    print(f"-> {runs / 'eval' / 'metrics.json'}, {runs / 'eval' / 'ndcg_auc.png'}")
    return 0
