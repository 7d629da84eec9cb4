"""Agreement and ranking metrics; each takes plain arrays and returns a float."""

from __future__ import annotations

import numpy as np


def kendall_tau_b(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's tau-b between two score lists (ties handled); NaN when either side is constant.

    tau_b = (concordant - discordant) / sqrt((n0 - ties_a) (n0 - ties_b)), n0 = n (n - 1) / 2.
    Vectorised over all pairs: O(n^2) memory, fine for candidate lists of a few hundred.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("kendall_tau_b needs two 1-D arrays of the same length")
    upper = np.triu_indices(len(a), k=1)
    da = np.sign(a[:, None] - a[None, :])[upper]
    db = np.sign(b[:, None] - b[None, :])[upper]
    untied_a = np.count_nonzero(da)
    untied_b = np.count_nonzero(db)
    if untied_a == 0 or untied_b == 0:
        return float("nan")
    return float(np.sum(da * db) / np.sqrt(untied_a * untied_b))


def quadratic_weighted_kappa(a: np.ndarray, b: np.ndarray, levels: int) -> float:
    """Cohen's kappa with quadratic weights between two integer gradings in [0, levels)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    observed = np.zeros((levels, levels))
    np.add.at(observed, (a, b), 1)
    expected = np.outer(observed.sum(1), observed.sum(0)) / max(1, observed.sum())
    i, j = np.indices((levels, levels))
    weights = (i - j) ** 2 / (levels - 1) ** 2
    denominator = (weights * expected).sum()
    return float(1.0 - (weights * observed).sum() / denominator) if denominator else float("nan")


def ndcg_at_k(scores: np.ndarray, grades: np.ndarray, k: int, exponential: bool = True) -> float:
    """NDCG@k with log2 discounts; gain 2^g - 1 (graded) or g itself (``exponential=False``, for
    real-valued gains). Ties in ``scores`` are broken by list order.

    Returns NaN for a list whose ideal DCG is 0 (no relevant item): such lists carry no signal.
    """
    scores = np.asarray(scores, dtype=np.float64)
    grades = np.asarray(grades, dtype=np.float64)
    gains = 2.0**grades - 1.0 if exponential else grades
    order = np.argsort(-scores, kind="stable")[:k]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float(np.sum(gains[order] * discounts[: len(order)]))
    ideal = np.sort(gains)[::-1][:k]
    idcg = float(np.sum(ideal * discounts[: len(ideal)]))
    return dcg / idcg if idcg > 0 else float("nan")


def reciprocal_rank(scores: np.ndarray, relevant: np.ndarray) -> float:
    """1 / rank of the first relevant item when sorted by score (0 if none is relevant)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    hits = np.flatnonzero(np.asarray(relevant, dtype=bool)[order])
    return 1.0 / (hits[0] + 1) if len(hits) else 0.0


def recall_at_k(scores: np.ndarray, relevant: np.ndarray, k: int) -> float:
    """Share of the relevant items ranked in the top k, out of as many as fit there:
    hits / min(k, #relevant); NaN when nothing is relevant."""
    relevant = np.asarray(relevant, dtype=bool)
    total = int(relevant.sum())
    if total == 0:
        return float("nan")
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")[:k]
    return float(relevant[order].sum() / min(k, total))


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (ties count half), via the rank-sum formula; NaN if one class is missing."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def log_loss(probabilities: np.ndarray, labels: np.ndarray, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy of predicted probabilities."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), eps, 1 - eps)
    y = np.asarray(labels, dtype=np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
