"""The evaluation splits and the models' scores on them (for `python -m training evaluate`).

``build_splits`` turns the held-out lists into the harness's named splits (training/data/
generalisation.py builds each); ``teacher_scores_on`` scores any lists with the trained teachers
(the in-distribution split reuses the shards of `score-teachers` instead), ``student_scores_on``
with an exported student folder through the service's runtime (app/ranking/student.py: ONNX, the
same code that serves requests).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.domain.occupations import default_taxonomy
from app.domain.skills import default_lexicon
from training.data.benchmark_sets import known_titles
from training.data.dataset import Dataset
from training.data.generalisation import heldout_occupation_lists, heldout_phrasings, real_title_lists, unstructured
from training.data.lists import CandidateList
from training.evaluation.harness import SPLITS, ModelScores
from training.policy.labelled_dataset import policy_grader
from training.policy.policy import Policy
from training.teachers.batches import predict
from training.teachers.train import load_teacher


def occupations_of(data: Dataset) -> dict[str, str]:
    """Member and job ids -> occupation id, from the generated truth (empty on users' own data)."""
    if data.member_truth is None or data.job_truth is None:
        return {}
    return {
        **{i: t.occupation for i, t in data.member_truth.items()},
        **{i: t.occupation for i, t in data.job_truth.items()},
    }


def build_splits(
    data: Dataset, held_out: list[CandidateList], names: Sequence[str], policy: Policy, count: int, seed: int
) -> dict[str, list[CandidateList]]:
    """The named splits asked for: the held-out lists and their rewrites (the first ``count``), and
    ``count`` lists of held-out occupations and of real titles."""
    subset = held_out[:count]
    builders = {
        "in-distribution": lambda: held_out,
        "unstructured": lambda: unstructured(subset, seed),
        "held-out phrasings": lambda: heldout_phrasings(
            subset, occupations_of(data), known_titles(default_taxonomy()), default_lexicon(), seed
        ),
        "held-out occupations": lambda: heldout_occupation_lists(policy_grader(policy), count, seed),
        "real titles": lambda: real_title_lists(count, seed),
    }
    unknown = [n for n in names if n not in SPLITS]
    if unknown:
        raise ValueError(f"unknown split(s) {unknown}; known: {', '.join(SPLITS)}")
    return {name: builders[name]() for name in SPLITS if name in names}


def score_rows(lists: Sequence[CandidateList], teachers_dir: Path) -> list[dict]:
    """Rows like `score-teachers` writes (relevance = expected grade, engagement) for any lists."""
    relevance, tokenizer_r, card_r = load_teacher(teachers_dir / "relevance")
    engagement, tokenizer_e, card_e = load_teacher(teachers_dir / "engagement")
    rows = []
    for lst in lists:
        probs = predict(relevance, tokenizer_r, lst.member, lst.jobs, card_r["config"]["max_length"])
        engaged = predict(engagement, tokenizer_e, lst.member, lst.jobs, card_e["config"]["max_length"])
        rows += [
            {"relevance": float(probs[j] @ np.arange(5)), "engagement": float(engaged[j])} for j in range(len(lst))
        ]
    return rows


def student_scores_on(lists: Sequence[CandidateList], model_dir: Path, threads: int = 2) -> dict[str, ModelScores]:
    """An exported student's scores through the serving runtime (each job encoded once per call), and
    its text path alone: the cosine of its member and job tower outputs (the projected embeddings;
    for a raw-similarity student, the pooled encoder outputs: the encoder's own similarity; for a
    two-text one, of their title halves: the s its heads read)."""
    from app.domain.featurize import match_feature_matrix
    from app.ranking.student import StudentModel

    model = StudentModel.load(model_dir, threads=threads)
    vectors: dict[str, np.ndarray] = {}
    relevance, engagement, combined, towers = [], [], [], []
    for lst in lists:
        new = list({job.job_id: job for job in lst.jobs if job.job_id not in vectors}.values())
        for job, vector in zip(new, model.encode_jobs([model.job_text(j) for j in new]), strict=True):
            vectors[job.job_id] = vector
        member = model.encode_members([model.member_text(lst.member)])[0]
        jobs = np.stack([vectors[j.job_id] for j in lst.jobs])
        rel, eng = model.score(member, jobs, match_feature_matrix(lst.member, lst.jobs))
        relevance.append(np.asarray(rel, dtype=np.float64))
        engagement.append(np.asarray(eng, dtype=np.float64))
        combined.append(np.asarray(model.blend(rel, eng), dtype=np.float64))
        # A two-text student's pooled outputs are [compact text's | title's]: its similarity reads the titles'.
        half = len(member) // 2 if model.two_texts else 0
        towers.append(_cosine(member[half:], jobs[:, half:]))
    name = f"student ({model_dir.name})"
    return {
        name: ModelScores(relevance, engagement, combined, probabilities=True),
        f"{name} text path": ModelScores(towers),
    }


def _cosine(member: np.ndarray, jobs: np.ndarray) -> np.ndarray:
    m, j = member.astype(np.float64), jobs.astype(np.float64)
    return (j @ m) / np.maximum(np.linalg.norm(j, axis=1) * np.linalg.norm(m), 1e-12)


def pairs_of(lists: Sequence[CandidateList]) -> int:
    """Pairs in the lists."""
    return int(sum(len(lst) for lst in lists))


def rounded(metrics: dict[str, float]) -> dict[str, float | None]:
    """Metrics for JSON: 4 decimals, NaN as null."""
    return {k: (None if math.isnan(v) else round(v, 4)) for k, v in metrics.items()}
