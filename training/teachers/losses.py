"""Teacher losses. Each states its formula and source.

* ``soft_grade_targets`` + ``soft_label_kl`` — the judge's grade as a *soft* target: a discretised
  Gaussian around the grade, q_g ∝ exp(-(g - grade)^2 / 2σ^2), and the loss KL(q || softmax(z)).
  Label smoothing in the spirit of Szegedy et al. 2016 ("Rethinking the Inception Architecture"),
  ordinal-aware as in "soft labels for ordinal regression" (Diaz & Marathe, CVPR 2019).

      targets = soft_grade_targets(torch.tensor([4, 0]), sigma=0.5)
      loss = soft_label_kl(logits, targets)

* ``listnet`` — listwise term over one member's candidates: cross-entropy between the top-one
  probabilities of the targets and of the scores, -Σ softmax(t / τ)_i log softmax(s)_i
  (Cao et al., ICML 2007, "Learning to Rank: From Pairwise Approach to Listwise Approach").

      loss = listnet(expected_grade(logits), grades.float(), temperature=1.0)

* ``masked_bce`` — binary cross-entropy on engagement, skipping pairs with no recorded action.

* ``position_aware_bce`` — PAL (Guo et al., RecSys 2019): BCE on p = σ(seen) · σ(engage), so the
  engagement logit is not taught that jobs shown low in a list are unattractive.

      loss = position_aware_bce(engage_logits, seen_logits, labels)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

GRADES = 5


def soft_grade_targets(grades: torch.Tensor, sigma: float) -> torch.Tensor:
    """[n] integer grades -> [n, 5] soft distributions (discretised Gaussian, σ = ``sigma``)."""
    levels = torch.arange(GRADES, dtype=torch.float32, device=grades.device)
    logits = -((levels[None, :] - grades[:, None].float()) ** 2) / (2 * sigma**2)
    return torch.softmax(logits, dim=-1)


def soft_label_kl(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """KL(targets || softmax(logits)), averaged over the batch."""
    return F.kl_div(F.log_softmax(logits, dim=-1), targets, reduction="batchmean")


def expected_grade(logits: torch.Tensor) -> torch.Tensor:
    """E[grade] under softmax(logits): the relevance score, in [0, 4]."""
    levels = torch.arange(GRADES, dtype=logits.dtype, device=logits.device)
    return (torch.softmax(logits, dim=-1) * levels).sum(-1)


def listnet(scores: torch.Tensor, targets: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """ListNet top-one cross-entropy over one list (1-D tensors of equal length)."""
    return -(torch.softmax(targets / temperature, dim=-1) * torch.log_softmax(scores, dim=-1)).sum()


def masked_bce(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """BCE-with-logits over entries whose label is not NaN (0 if none)."""
    known = ~torch.isnan(labels)
    if not known.any():
        return logits.sum() * 0.0
    return F.binary_cross_entropy_with_logits(logits[known], labels[known])


def position_aware_bce(engage_logits: torch.Tensor, seen_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """BCE of σ(seen) · σ(engage) against labels, skipping NaN labels (0 if none)."""
    known = ~torch.isnan(labels)
    if not known.any():
        return engage_logits.sum() * 0.0
    log_p = F.logsigmoid(engage_logits[known]) + F.logsigmoid(seen_logits[known])
    log_not_p = torch.log(-torch.expm1(log_p.clamp(max=-1e-6)))
    y = labels[known]
    return -(y * log_p + (1 - y) * log_not_p).mean()
