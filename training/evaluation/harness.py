"""The evaluation harness: one function that turns per-list scores into the named metrics.

Every model is evaluated on the same held-out members (split by member). Metrics:

* ``ndcg@5``, ``ndcg@10`` — vs the judge, graded gains 2^grade - 1, lists with no relevant job skipped;
* ``mrr`` — reciprocal rank of the first job graded good or better (grade ≥ 3);
* ``recall@10`` — share of the jobs graded good or better found in the top 10 (of as many as fit);
* ``kendall_tau`` — mean per-list Kendall tau-b between score and grade;
* ``engagement_auc``, ``engagement_logloss`` — vs observed apply/click, pooled over pairs (log loss
  only for models that output probabilities);
* ``combined`` — NDCG@10 of the model's blended ranking against the policy's business blend
  (linear gains 0.7 · grade/4 + 0.3 · engaged), see POLICY.md.

The same metrics are computed on every named split (``SPLITS``): the held-out lists as they are
(in-distribution) and the generalisation splits built in training/data/generalisation.py.

It imports no stage: a list is anything with ``grades`` and ``positive`` arrays (the data stage's
``CandidateList``), the blend anything with the policy's ``blend(grades, engagement)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from training.evaluation.metrics import kendall_tau_b, log_loss, ndcg_at_k, recall_at_k, reciprocal_rank, roc_auc

SPLITS = ("in-distribution", "unstructured", "held-out phrasings", "held-out occupations", "real titles")
RELEVANT_GRADE = 3  # good or better: what recall@10 and MRR look for


class LabelledList(Protocol):
    """One member's candidates as evaluation sees them."""

    @property
    def grades(self) -> np.ndarray:  # int 0-4, the judge's grades
        ...

    @property
    def positive(self) -> np.ndarray:  # 1.0 engaged / 0.0 not / NaN unknown
        ...


class Blend(Protocol):
    """The business blend of relevance and engagement (the policy's ``blend``)."""

    def blend(self, grade: np.ndarray, engagement_probability: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class ModelScores:
    """A model's scores per list: ``relevance`` ranks for the judge metrics, ``engagement`` (a
    probability, optional) for the engagement metrics, ``combined`` for the blended ranking."""

    relevance: list[np.ndarray]
    engagement: list[np.ndarray] | None = None
    combined: list[np.ndarray] | None = None
    probabilities: bool = False  # engagement scores are calibrated probabilities


def _mean(values: list[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return float(np.mean(kept)) if kept else float("nan")


def evaluate_model(lists: Sequence[LabelledList], scores: ModelScores, policy: Blend) -> dict[str, float]:
    """All metrics of one model on the given lists."""
    relevance = scores.relevance
    engagement = scores.engagement or relevance
    combined = scores.combined or relevance
    metrics = {
        "ndcg@5": _mean([ndcg_at_k(s, lst.grades, 5) for s, lst in zip(relevance, lists, strict=False)]),
        "ndcg@10": _mean([ndcg_at_k(s, lst.grades, 10) for s, lst in zip(relevance, lists, strict=False)]),
        "mrr": _mean(
            [
                reciprocal_rank(s, lst.grades >= RELEVANT_GRADE)
                for s, lst in zip(relevance, lists, strict=False)
                if (lst.grades >= RELEVANT_GRADE).any()
            ]
        ),
        "recall@10": _mean(
            [recall_at_k(s, lst.grades >= RELEVANT_GRADE, 10) for s, lst in zip(relevance, lists, strict=False)]
        ),
        "kendall_tau": _mean([kendall_tau_b(s, lst.grades) for s, lst in zip(relevance, lists, strict=False)]),
    }
    known = [~np.isnan(lst.positive) for lst in lists]
    labels = np.concatenate([lst.positive[k] for lst, k in zip(lists, known, strict=False)] or [np.zeros(0)])
    predicted = np.concatenate([s[k] for s, k in zip(engagement, known, strict=False)] or [np.zeros(0)])
    metrics["engagement_auc"] = roc_auc(predicted, labels)
    metrics["engagement_logloss"] = (
        log_loss(predicted, labels) if scores.probabilities and len(labels) else float("nan")
    )
    metrics["combined"] = _mean(
        [
            ndcg_at_k(s, policy.blend(lst.grades, np.nan_to_num(lst.positive)), 10, exponential=False)
            for s, lst in zip(combined, lists, strict=False)
        ]
    )
    return metrics
