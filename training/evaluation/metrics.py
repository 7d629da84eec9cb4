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
