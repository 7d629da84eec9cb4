"""`python -m training distill`: multi-teacher distillation of the ranker student, with its ablation.

Trains the student on the teacher-scored train lists five ways — (a) hard labels only, (b)
relevance teacher only, (c) engagement teacher only, (d) both teachers, (e) both teachers plus the
hard labels — same data, same size, then (e) on growing numbers of teacher-labelled lists (the
data-scaling curve). Evaluates each on the held-out lists the teachers were evaluated on. Writes
runs/<preset>/student/: metrics.json, scaling.png, student.pt (variant e, the one exported), features.pt (the
features-only tier the service falls back to, trained like e) and prints the ablation table. Settings: the run
config's ``student`` section (size and training) and ``lists`` (which teacher-scored lists it learns from).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from app.domain.featurize import TOWER_TEXTS, match_feature_matrix
from app.domain.schemas import Job
from training.cli import add_run_arguments, resolve_run
from training.config import ListsConfig, StudentConfig, save_config
from training.data.dataset import load_dataset
from training.data.lists import CandidateList, load_lists
from training.distill.losses import DistillWeights, multi_teacher_loss
from training.distill.rule_blind import RuleBlind
from training.distill.student import FeatureScorer, RankerStudent
from training.distill.towers import load_towers, pooled_texts, two_texts
from training.evaluation.harness import ModelScores, evaluate_model
from training.policy.policy import Policy, load_policy
from training.teachers.losses import expected_grade
from training.teachers.score import read_scores

VARIANTS = ("hard", "relevance", "engagement", "multi", "multi+hard")
SHIPPED_VARIANT = "multi+hard"  # both teachers plus the judge's labels: the student that is exported


@dataclass
class ListTensors:
    """One candidate list ready for the student: pooled encoder outputs, features and targets."""

    member: torch.Tensor  # [n, width] (the member row repeated)
    jobs: torch.Tensor  # [n, width]
    features: torch.Tensor  # [n, len(FEATURE_NAMES)]
    teacher_probs: torch.Tensor  # [n, 5]
    teacher_engagement: torch.Tensor  # [n]
    grades: torch.Tensor  # [n]
    engaged: torch.Tensor  # [n], NaN where unknown


def prepare(
    lists: list[CandidateList],
    rows: list[dict],
    encoder,
    tokenizer,
    cfg: StudentConfig,
    progress: bool,
    blind_share: float = 0.0,
    wrong_share: float = 0.0,
) -> list[ListTensors]:
    """Tensors per list; job and member texts (``cfg.tower_text``) are pooled once each (the frozen
    part of the towers). ``blind_share`` of the members and jobs get rule features as if their title
    were not recognised, ``wrong_share`` as if it were read as another occupation
    (training/distill/rule_blind.py); texts and targets stay as they are."""
    member_text, job_text = TOWER_TEXTS[cfg.tower_text]
    blind = RuleBlind.draw(lists, blind_share, cfg.seed, wrong_share)
    jobs: dict[str, Job] = {}
    for candidate_list in lists:
        for job in candidate_list.jobs:
            jobs.setdefault(job.job_id, job)
    ids = list(jobs)
    pooled_jobs: dict[str, np.ndarray] = {}
    for start in tqdm(range(0, len(ids), 512), desc="pool job texts", disable=not progress):
        chunk = ids[start : start + 512]
        texts = [job_text(jobs[i]) for i in chunk]
        pooled_jobs.update(zip(chunk, pooled_texts(encoder, tokenizer, texts, cfg.job_max_length), strict=False))
    pooled_members = pooled_texts(encoder, tokenizer, [member_text(lst.member) for lst in lists], cfg.member_max_length)
    out, offset = [], 0
    for i, candidate_list in enumerate(lists):
        n = len(candidate_list)
        rr = rows[offset : offset + n]
        offset += n
        out.append(
            ListTensors(
                member=torch.from_numpy(pooled_members[i]).expand(n, -1),
                jobs=torch.from_numpy(np.stack([pooled_jobs[j.job_id] for j in candidate_list.jobs])),
                features=torch.from_numpy(blind.feature_matrix(candidate_list)),
                teacher_probs=torch.tensor([r["grade_probs"] for r in rr]),
                teacher_engagement=torch.tensor([r["engagement"] for r in rr]),
                grades=torch.from_numpy(candidate_list.grades),
                engaged=torch.from_numpy(candidate_list.positive.astype(np.float32)),
            )
        )
    return out


def with_rules_as_read(lists: list[CandidateList], data: list[ListTensors]) -> list[ListTensors]:
    """The lists with their features as the rules read them (no rule-blind pairs): the features-only
    tier has no text to fall back on where the rules are blind or wrong, so those would only teach it noise."""
    return [
        dataclasses.replace(d, features=torch.from_numpy(match_feature_matrix(lst.member, lst.jobs)))
        for lst, d in zip(lists, data, strict=True)
    ]


def fit(
    variant: str,
    data: list[ListTensors],
    cfg: StudentConfig,
    width: int,
    features_only: bool = False,
    weights: DistillWeights | None = None,
    progress: bool = False,
    desc: str = "student",
) -> RankerStudent | FeatureScorer:
    """Train the trainable part of a student (projections, interaction, heads) on the lists with the
    loss of ``variant`` (or these ``weights``); with ``features_only``, the feature-tier scorer instead.
    ``progress``: a bar named ``desc`` over the steps (one list a step; a full-preset student takes
    thousands)."""
    torch.manual_seed(cfg.seed)
    student = (
        FeatureScorer() if features_only else RankerStudent(None, width, cfg.dim, cfg.raw_similarity, two_texts(cfg))
    )
    optimizer = torch.optim.AdamW(student.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    weights = weights or DistillWeights.variant(variant)
    rng = np.random.default_rng(cfg.seed)
    student.train()
    with tqdm(total=cfg.epochs * len(data), desc=desc, unit="list", leave=False, disable=not progress) as bar:
        for _ in range(cfg.epochs):
            for index in rng.permutation(len(data)):
                d = data[index]
                grade_logits, engage_logits = _forward(student, d)
                loss, _ = multi_teacher_loss(
                    grade_logits, engage_logits, d.teacher_probs, d.teacher_engagement, d.grades, d.engaged, weights
                )
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                bar.update()
    student.eval()
    return student


def _forward(student: RankerStudent | FeatureScorer, d: ListTensors):
    if isinstance(student, FeatureScorer):
        return student(d.features)
    return student.score_pooled(d.member, d.jobs, d.features)


@torch.inference_mode()
def scores_of(student: RankerStudent | FeatureScorer, data: list[ListTensors], policy: Policy) -> ModelScores:
    """The student's relevance, engagement and blended scores per list."""
    relevance, engagement, blended = [], [], []
    for d in data:
        grade_logits, engage_logits = _forward(student, d)
        r, e = expected_grade(grade_logits).numpy(), torch.sigmoid(engage_logits).numpy()
        relevance.append(r)
        engagement.append(e)
        blended.append(policy.blend(r, e))
    return ModelScores(relevance, engagement, blended, probabilities=True)


def _plot_scaling(points: list[dict], teacher_ndcg: float | None, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    pairs = [p["pairs"] for p in points]
    ax.plot(pairs, [p["ndcg@10"] for p in points], "o-", label="student (both teachers + labels): NDCG@10")
    ax.plot(pairs, [p["combined"] for p in points], "s-", label="student: combined")
    if teacher_ndcg is not None:
        ax.axhline(teacher_ndcg, color="grey", linestyle="--", label=f"relevance teacher NDCG@10 ({teacher_ndcg:.3f})")
    ax.set_xscale("log")
    ax.set_xlabel("teacher-labelled training pairs")
    ax.set_ylabel("held-out metric")
    ax.set_title("Student quality vs teacher-labelled data")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _rounded(metrics: dict[str, float]) -> dict[str, float | None]:
    """Metrics rounded for the report; one the data cannot define (NaN, e.g. engagement AUC
    without recorded actions) is null, never NaN."""
    return {key: None if math.isnan(value) else round(value, 4) for key, value in metrics.items()}


def distill(
    data_dir: Path, runs: Path, lists_cfg: ListsConfig, cfg: StudentConfig, policy: Policy, progress: bool = True
) -> dict:
    """The ablation and the scaling curve; writes metrics.json, scaling.png and student.pt."""
    started = time.perf_counter()
    tokenizer, encoder, encoder_card = load_towers(cfg, runs)
    scores_dir = runs / "teacher_scores"
    data = load_dataset(data_dir)
    splits = {}
    for split, members in (("train", lists_cfg.score_train_members), ("test", lists_cfg.score_test_members)):
        lists = load_lists(data, (split,), members, seed=lists_cfg.seed)
        rows = read_scores(scores_dir, split, lists)
        # Evaluation sees the rules as they are.
        shares = (cfg.rule_blind_share, cfg.rule_wrong_share) if split == "train" else (0.0, 0.0)
        splits[split] = (lists, prepare(lists, rows, encoder, tokenizer, cfg, progress, *shares))
    test_lists, test_data = splits["test"]
    train_data = splits["train"][1]
    prepared = time.perf_counter() - started

    results = {}
    for variant in tqdm(VARIANTS, desc="ablation", disable=not progress):
        student = fit(variant, train_data, cfg, encoder.config.hidden_size, progress=progress, desc=variant)
        results[variant] = _rounded(evaluate_model(test_lists, scores_of(student, test_data, policy), policy))
        if variant == SHIPPED_VARIANT:
            out = runs / "student"
            out.mkdir(parents=True, exist_ok=True)
            torch.save(student.state_dict(), out / "student.pt")
    tier_data = (
        with_rules_as_read(splits["train"][0], train_data)
        if cfg.rule_blind_share or cfg.rule_wrong_share
        else train_data
    )
    features_tier = fit(SHIPPED_VARIANT, tier_data, cfg, 0, features_only=True, progress=progress, desc="features tier")
    features_metrics = _rounded(evaluate_model(test_lists, scores_of(features_tier, test_data, policy), policy))
    torch.save(features_tier.state_dict(), runs / "student" / "features.pt")
    scaling = []
    for share in cfg.scaling_points:
        subset = train_data[: max(1, round(share * len(train_data)))]
        student = fit(
            SHIPPED_VARIANT, subset, cfg, encoder.config.hidden_size, progress=progress, desc=f"{len(subset)} lists"
        )
        metrics = evaluate_model(test_lists, scores_of(student, test_data, policy), policy)
        scaling.append(
            {
                "lists": len(subset),
                "pairs": int(sum(len(d.grades) for d in subset)),
                **_rounded({key: metrics[key] for key in ("ndcg@10", "combined")}),
            }
        )

    teacher_metrics_path = runs / "eval" / "metrics.json"
    teacher = json.loads(teacher_metrics_path.read_text())["models"] if teacher_metrics_path.is_file() else {}
    teacher_ndcg = teacher.get("relevance teacher", {}).get("ndcg@10")
    shipped_ndcg = results[SHIPPED_VARIANT]["ndcg@10"]
    report = {
        "student": {
            "encoder": encoder_card.to_json(),
            "config": cfg.model_dump(mode="json"),
            "towers": f"frozen MiniLM layers (first {cfg.layers}) over the compact texts, all {encoder_card.layers_used} over the titles"
            if two_texts(cfg)
            else f"frozen MiniLM layers (first {encoder_card.layers_used}) over {cfg.tower_text} texts",
        },
        "train": {"lists": len(train_data), "pairs": int(sum(len(d.grades) for d in train_data))},
        "test": {"lists": len(test_lists), "pairs": int(sum(len(lst) for lst in test_lists))},
        "ablation": results,
        "features_tier": features_metrics,
        "teachers": {
            name: teacher.get(name) for name in ("relevance teacher", "engagement teacher", "teachers blended")
        },
        "rules": teacher.get("rules"),  # the bar to beat: the judge's field path on the same lists
        "shipped_variant": SHIPPED_VARIANT,
        "kept_vs_relevance_teacher": round(shipped_ndcg / teacher_ndcg, 4) if teacher_ndcg and shipped_ndcg else None,
        "scaling": scaling,
        "seconds": {"prepare": round(prepared, 1), "total": round(time.perf_counter() - started, 1)},
    }
    out = runs / "student"
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    _plot_scaling(scaling, teacher_ndcg, out / "scaling.png")
    return report


def format_ablation(report: dict) -> str:
    """The ablation as a plain-text table."""
    names = {
        "hard": "(a) hard labels only",
        "relevance": "(b) relevance teacher",
        "engagement": "(c) engagement teacher",
        "multi": "(d) both teachers",
        "multi+hard": "(e) both teachers + labels",
    }
    lines = [f"{'student variant':<30}{'ndcg@10':>10}{'eng. AUC':>10}{'combined':>10}"]
    rows = list(report["ablation"].items()) + [("features", report["features_tier"])]
    names["features"] = "features-only tier (e's loss)"
    for variant, metrics in rows:
        cells = [metrics[key] for key in ("ndcg@10", "engagement_auc", "combined")]
        lines.append(f"{names[variant]:<30}" + "".join("       n/a" if v is None else f"{v:>10.4f}" for v in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the distill stage."""
    parser = argparse.ArgumentParser(prog="python -m training distill", description=__doc__.splitlines()[0])
    add_run_arguments(parser, policy=True)
    args = parser.parse_args(argv)
    run = resolve_run(args)
    runs = save_config(run.config, run.runs).parent
    config = run.config
    report = distill(run.data, runs, config.lists, config.student, load_policy(args.policy), not args.no_progress)
    print(format_ablation(report))
    print(f"kept vs relevance teacher (NDCG@10): {report['kept_vs_relevance_teacher']}")
    print(f"scaling: {json.dumps(report['scaling'])}")
    print(f"-> {runs / 'student'}")
    return 0
