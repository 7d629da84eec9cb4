"""`python -m training evaluate`: teachers vs baselines on held-out members; metrics.json, a PNG and a table.

Reads the test-split teacher scores written by `score-teachers` and evaluates, on exactly those
members' candidate lists: random, lexical (BM25), zero-shot pretrained encoder, the relevance
teacher, the engagement teacher, and both teachers blended by the policy's business blend.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from training.cli import add_run_arguments, resolve_run
from training.config import ListsConfig, save_config
from training.data.lists import CandidateList, load_lists
from training.evaluation.harness import ModelScores, evaluate_model
from training.policy.policy import Policy, load_policy
from training.teachers import baselines
from training.teachers.score import read_scores

METRICS = ("ndcg@5", "ndcg@10", "mrr", "kendall_tau", "engagement_auc", "engagement_logloss", "combined")


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
    header = f"{'model':<22}" + "".join(f"{m:>20}" for m in METRICS)
    lines = [header, "-" * len(header)]
    for name, metrics in results.items():
        cells = "".join(f"{'—' if math.isnan(metrics[m]) else format(metrics[m], '.4f'):>20}" for m in METRICS)
        lines.append(f"{name:<22}{cells}")
    return "\n".join(lines)


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
        bars = ax.bar(
            range(len(names)), values, color=["#999999"] * 3 + ["#1f77b4", "#ff7f0e", "#2ca02c"][: len(names) - 3]
        )
        ax.set_xticks(range(len(names)), names, rotation=25, ha="right")
        ax.set_title(title)
        ax.set_ylim(0, 1)
        for bar, value in zip(bars, values, strict=False):
            ax.text(bar.get_x() + bar.get_width() / 2, value + 0.01, f"{value:.3f}", ha="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def evaluate(data_dir: Path, runs: Path, cfg: ListsConfig, policy: Policy) -> dict:
    """Evaluate teachers and baselines; writes metrics.json and ndcg_auc.png to runs/eval."""
    started = time.perf_counter()
    lists = load_lists(data_dir, ("test",), cfg.score_test_members, seed=cfg.seed)
    rows = read_scores(runs / "teacher_scores", "test", lists)
    results = {
        "random": evaluate_model(lists, ModelScores(baselines.random_scores(lists, cfg.seed)), policy),
        "lexical (BM25)": evaluate_model(lists, ModelScores(baselines.lexical_scores(lists)), policy),
        "zero-shot MiniLM": evaluate_model(lists, ModelScores(baselines.zero_shot_scores(lists)), policy),
    }
    for name, scores in teacher_scores(lists, rows, policy).items():
        results[name] = evaluate_model(lists, scores, policy)
    out = runs / "eval"
    out.mkdir(parents=True, exist_ok=True)
    report = {
        "split": "test (held-out members)",
        "lists": len(lists),
        "pairs": int(sum(len(lst) for lst in lists)),
        "blend": {"relevance": policy.blend_relevance, "engagement": policy.blend_engagement},
        "models": {
            name: {k: (None if math.isnan(v) else round(v, 4)) for k, v in m.items()} for name, m in results.items()
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    plot(results, out / "ndcg_auc.png")
    report["table"] = format_table(results)
    return report


def main(argv: list[str] | None = None) -> int:
    """Entry point of the evaluate stage."""
    parser = argparse.ArgumentParser(prog="python -m training evaluate", description=__doc__.splitlines()[0])
    add_run_arguments(parser, progress=False, policy=True)
    args = parser.parse_args(argv)
    run = resolve_run(args)
    runs = save_config(run.config, run.runs).parent
    report = evaluate(run.data, runs, run.config.lists, load_policy(args.policy))
    print(f"held-out members: {report['lists']} lists, {report['pairs']} pairs")
    print(report["table"])
    print(f"-> {runs / 'eval' / 'metrics.json'}, {runs / 'eval' / 'ndcg_auc.png'}")
    return 0
