"""`python -m training ablation`: the label-budget curve — what distillation buys when judge labels are scarce.

In production the judge is a large model: its labels are the costly resource, unlabelled (member,
candidates) lists are free. For each budget of N judge labels (whole lists from the start of the
train split, until N pairs; plus "all": every list of the pool), three students of the same size:

* **labels only** — trained on the N labelled pairs (the judge's grades, the lists' observed engagement);
* **labels + engagement** — the same N grades, plus the observed engagement of every list of the pool
  and no teacher: what the free behaviour logs alone add, so that the teacher's share of the distilled
  arm's gain is not credited to it;
* **distilled** — a relevance teacher (the cross-encoder, rule features included) is trained on the
  same N labels, then scores every list of the pool (``ablation.pool_members`` train lists,
  the labelled ones first); the student learns from its grade distributions over the whole pool
  (KL + ListNet, multi_teacher_loss), from the N judge labels where it has them, and from the
  pool's observed engagement (behaviour logs cost nothing).

All are evaluated on the held-out lists (``lists.score_test_members``) against the judge, beside
the rules (the judge's field path). Writes runs/<name>/ablation/: metrics.json, curve.png and the
table (table.md), which it also prints. Not part of the pipeline (``make model``): it trains one
teacher per budget. Each teacher's head stage sees every labelled pair; its fine-tuning samples
``teacher.max_list`` candidates a list, as the pipeline's teachers do (full lists would make the
largest budget's teacher ~2 h at the full preset). A budget's result is kept under
ablation/points/ with the settings it was measured with: a run stopped part-way resumes at the first
budget not yet measured with the same settings (the teacher's pool scores are kept too).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from training.cli import add_run_arguments, resolve_run
from training.config import RunConfig, save_config
from training.data.dataset import load_dataset
from training.data.lists import CandidateList, load_lists
from training.distill.losses import DistillWeights
from training.distill.towers import load_towers
from training.distill.train import ListTensors, fit, prepare, scores_of
from training.errors import TrainingError
from training.evaluation.harness import ModelScores, evaluate_model
from training.policy.policy import Policy, load_policy
from training.teachers.baselines import rules_scores
from training.teachers.batches import predict
from training.teachers.split_scores import rounded
from training.teachers.train import load_teacher, train_teacher

# Distilled: the relevance teacher over the pool, the judge's grades where labelled, observed engagement.
DISTILLED = DistillWeights(rel_kl=1.0, rel_list=0.5, eng=0.0, eng_list=0.0, hard=1.0)
# Labels + engagement: the judge's grades where labelled, observed engagement over the pool, no teacher.
FREE_ENGAGEMENT = DistillWeights.variant("hard")
WITH_ENGAGEMENT = "labels + engagement"
ARMS = ("labels only", WITH_ENGAGEMENT, "distilled")


def labelled_prefix(lists: list[CandidateList], budget: int | None) -> int:
    """How many lists from the start fit in ``budget`` labelled pairs (at least one; None: all)."""
    if budget is None:
        return len(lists)
    sizes = np.cumsum([len(lst) for lst in lists])
    return max(1, int(np.searchsorted(sizes, budget, side="right")))


def _unlabelled(tensors: ListTensors) -> ListTensors:
    return dataclasses.replace(tensors, grades=torch.full_like(tensors.grades, -1))


def _with_teacher(tensors: ListTensors, probs: np.ndarray) -> ListTensors:
    return dataclasses.replace(tensors, teacher_probs=torch.from_numpy(probs.astype(np.float32)))


def _teacher_probs(teacher_dir: Path, lists: list[CandidateList], progress: bool, desc: str) -> list[np.ndarray]:
    model, tokenizer, card = load_teacher(teacher_dir)
    return [
        predict(model, tokenizer, lst.member, lst.jobs, card["config"]["max_length"])
        for lst in tqdm(lists, desc=desc, disable=not progress)
    ]


def _settings(data_dir: Path, config: RunConfig) -> dict:
    """What a budget's result depends on: a kept result is reused only when these are unchanged."""
    sections = ("ablation", "teacher", "student", "lists")
    return {
        "data": str(data_dir.resolve()),
        **{name: getattr(config, name).model_dump(mode="json") for name in sections},
    }


def _comparable(settings: dict) -> dict:
    """``settings`` without the keys that choose which budgets run: one budget's result does not depend on them."""
    ablation = {k: v for k, v in settings.get("ablation", {}).items() if k not in ("budgets", "include_all")}
    return settings | {"ablation": ablation}


def _kept(path: Path, settings: dict) -> Any:
    """The result kept at ``path`` if it was measured with ``settings`` (other budgets may have run beside it)."""
    if not path.is_file():
        return None
    kept = json.loads(path.read_text(encoding="utf-8"))
    return kept["result"] if _comparable(kept.get("settings", {})) == _comparable(settings) else None


def _keep(path: Path, settings: dict, result: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"settings": settings, "result": result}) + "\n", encoding="utf-8")


def _pool_probs(
    teacher_dir: Path, pool: list[CandidateList], settings: dict, progress: bool, desc: str
) -> list[np.ndarray]:
    """The teacher's grade distributions over the pool, kept beside the teacher for a resumed run."""
    kept = _kept(teacher_dir / "pool_probs.json", settings)
    if kept is not None:
        return [np.asarray(p, dtype=np.float32) for p in kept]
    probs = _teacher_probs(teacher_dir, pool, progress, desc)
    _keep(teacher_dir / "pool_probs.json", settings, [p.tolist() for p in probs])
    return probs


def run_ablation(data_dir: Path, runs: Path, config: RunConfig, policy: Policy, progress: bool = True) -> dict:
    """Both arms at every budget; writes metrics.json, table.md and curve.png under runs/ablation."""
    started = time.perf_counter()
    cfg, student_cfg = config.ablation, config.student
    out = runs / "ablation"
    data = load_dataset(data_dir)
    pool = load_lists(data, ("train",), cfg.pool_members, seed=config.lists.seed)
    test = load_lists(data, ("test",), config.lists.score_test_members, seed=config.lists.seed)
    tokenizer, encoder, _ = load_towers(student_cfg, runs)
    width = encoder.config.hidden_size
    pairs_in_pool = sum(len(lst) for lst in pool)
    budgets = sorted({*(b for b in cfg.budgets if b < pairs_in_pool), *([pairs_in_pool] if cfg.include_all else [])})
    if not budgets:
        raise TrainingError(
            f"ablation: no budget below the pool's {pairs_in_pool:,} pairs and include_all=false: nothing to measure"
        )

    @functools.cache
    def prepared() -> tuple[list[ListTensors], list[ListTensors]]:
        """The pool's and the held-out lists' inputs to the students, encoded once, when a student is trained
        (a run whose budgets are all kept encodes nothing)."""
        blank = lambda lists: [{"grade_probs": [0.2] * 5, "engagement": 0.0} for lst in lists for _ in lst.jobs]  # noqa: E731
        pool_data = prepare(pool, blank(pool), encoder, tokenizer, student_cfg, progress)
        return pool_data, prepare(test, blank(test), encoder, tokenizer, student_cfg, progress)

    def evaluate(student) -> dict:
        return rounded(evaluate_model(test, scores_of(student, prepared()[1], policy), policy))

    def free_engagement(k: int) -> list[ListTensors]:
        """The pool with the judge's grades on its first ``k`` lists only (engagement is observed on all)."""
        return [d if i < k else _unlabelled(d) for i, d in enumerate(prepared()[0])]

    def arm(weights: DistillWeights | None, name: str) -> dict:
        """fit()'s keywords for one arm's student: its loss weights and its progress bar."""
        return {"weights": weights, "progress": progress, "desc": f"student: {name}"}

    settings = _settings(data_dir, config)
    points = []
    for budget in budgets:
        k = labelled_prefix(pool, budget)
        labelled_pairs = sum(len(lst) for lst in pool[:k])
        kept_point = out / "points" / f"labels-{labelled_pairs}.json"
        point = _kept(kept_point, settings)
        if point is not None:
            if WITH_ENGAGEMENT not in point:  # kept before that arm existed: it needs no teacher, only a student
                point[WITH_ENGAGEMENT] = evaluate(
                    fit("hard", free_engagement(k), student_cfg, width, **arm(FREE_ENGAGEMENT, WITH_ENGAGEMENT))
                )
                _keep(kept_point, settings, point)
            points.append(point)
            continue
        labels_only = fit("hard", prepared()[0][:k], student_cfg, width, **arm(None, "labels only"))
        with_engagement = fit("hard", free_engagement(k), student_cfg, width, **arm(FREE_ENGAGEMENT, WITH_ENGAGEMENT))
        teacher_cfg = config.teacher.model_copy(update={"train_members": k, "epochs": cfg.teacher_epochs})
        teacher_dir = out / "teachers" / f"labels-{labelled_pairs}"
        if _kept(teacher_dir / "pool_probs.json", settings) is None:
            train_teacher("relevance", data_dir, teacher_dir, teacher_cfg, progress, config.lists.seed)
        desc = f"teacher ({labelled_pairs} labels) scores the pool"
        probs = _pool_probs(teacher_dir, pool, settings, progress, desc)
        distill_data = [_with_teacher(d, p) for d, p in zip(free_engagement(k), probs, strict=True)]
        distilled = fit("multi+hard", distill_data, student_cfg, width, **arm(DISTILLED, "distilled"))
        teacher_test = _teacher_probs(teacher_dir, test, progress, "teacher scores the held-out lists")
        teacher_metrics = evaluate_model(test, ModelScores([p @ np.arange(5) for p in teacher_test]), policy)
        point = {
            "budget": budget,
            "labelled_lists": k,
            "labelled_pairs": labelled_pairs,
            "pool_lists": len(pool),
            "pool_pairs": pairs_in_pool,
            "labels only": evaluate(labels_only),
            WITH_ENGAGEMENT: evaluate(with_engagement),
            "distilled": evaluate(distilled),
            "teacher": rounded({key: teacher_metrics[key] for key in ("ndcg@10", "mrr")}),
        }
        _keep(kept_point, settings, point)
        points.append(point)
    rules = rounded(evaluate_model(test, ModelScores(rules_scores(test, policy)), policy))
    report = {
        "test": {"lists": len(test), "pairs": sum(len(lst) for lst in test)},
        "rules": {key: rules[key] for key in ("ndcg@10", "mrr", "combined", "engagement_auc")},
        "points": points,
        "config": {"ablation": cfg.model_dump(mode="json"), "teacher": config.teacher.model_dump(mode="json")},
        "seconds": round(time.perf_counter() - started, 1),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "table.md").write_text(format_table(report) + "\n", encoding="utf-8")
    plot_curve(report, out / "curve.png")
    return report


def format_table(report: dict) -> str:
    """The curve as a Markdown table: one row per budget, NDCG@10 / combined / engagement AUC per arm."""

    def cell(metrics: dict | None) -> str:
        if metrics is None:
            return "–"
        auc = metrics.get("engagement_auc")
        return f"{metrics['ndcg@10']:.3f} / {metrics['combined']:.3f} / " + ("–" if auc is None else f"{auc:.3f}")

    lines = [
        "| judge labels (lists) | "
        + " | ".join(f"{arm}: NDCG@10 / combined / eng. AUC" for arm in ARMS)
        + " | teacher NDCG@10 |",
        "|---" * (len(ARMS) + 2) + "|",
    ]
    for p in report["points"]:
        cells = " | ".join(cell(p.get(arm)) for arm in ARMS)
        lines.append(f"| {p['labelled_pairs']:,} ({p['labelled_lists']}) | {cells} | {p['teacher']['ndcg@10']:.3f} |")
    lines.append(f"| rules (no labels) | {cell(report['rules'])} |" + " |" * len(ARMS))
    return "\n".join(lines)


def plot_curve(report: dict, path: Path) -> None:
    """NDCG@10 against the number of judge labels, per arm, with the teacher and the rules."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = report["points"]
    pairs = [p["labelled_pairs"] for p in points]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for arm, marker in zip(ARMS, "osD", strict=True):
        ax.plot(pairs, [p[arm]["ndcg@10"] for p in points], f"{marker}-", label=f"student, {arm}")
    ax.plot(pairs, [p["teacher"]["ndcg@10"] for p in points], "^:", color="grey", label="relevance teacher")
    ax.axhline(report["rules"]["ndcg@10"], color="#d62728", linestyle="--", label="rules (no labels)")
    ax.set_xscale("log")
    ax.set_xlabel("judge-labelled pairs")
    ax.set_ylabel("held-out NDCG@10")
    pool = points[-1]["pool_pairs"] if points else 0
    ax.set_title(f"Label budget: three students over a pool of {pool:,} pairs")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ablation command."""
    parser = argparse.ArgumentParser(prog="python -m training ablation", description=__doc__.splitlines()[0])
    add_run_arguments(parser, policy=True)
    args = parser.parse_args(argv)
    run = resolve_run(args)
    runs = save_config(run.config, run.runs).parent
    report = run_ablation(run.data, runs, run.config, load_policy(args.policy), not args.no_progress)
    print(format_table(report))
    print(f"-> {runs / 'ablation'} ({report['seconds']} s)")
    return 0
