"""Multi-teacher distillation loss: a student with a relevance head and an engagement head learns from
both teachers at once (plus, optionally, the hard labels). Each term states its formula and source.

For one member's candidate list (n jobs), with student relevance logits z ∈ R^{n×5}, student
engagement logits e ∈ R^n, relevance-teacher grade distributions P ∈ R^{n×5} and scores
r = P·(0..4), engagement-teacher probabilities p ∈ [0,1]^n, judge grades g and engagement labels y:

    L =  w_rel_kl   · KL(P ‖ softmax z)                      pointwise soft labels
       + w_rel_list · ListNet(E_z[grade], r / τ)              listwise, relevance teacher
       + w_eng      · BCE(σ(e), p)                            pointwise soft labels, engagement teacher
       + w_eng_list · ListNet(e, logit(p) / τ)                listwise, engagement teacher
       + w_hard     · [KL(q(g) ‖ softmax z) + BCE(σ(e), y)]   optional hard labels (q: soft grade targets;
                                                              pairs graded -1 have no judge label: BCE only)

Sources: soft-label distillation, Hinton et al. 2015 ("Distilling the Knowledge in a Neural
Network"); ListNet, Cao et al. ICML 2007; learning from several teachers at once by a weighted sum
of per-teacher terms, You et al. KDD 2017 ("Learning from Multiple Teacher Networks"). Setting a
term's weight to zero switches it off, which is how the ablation (hard only / relevance only /
engagement only / both) runs with one loss.

    weights = DistillWeights(rel_kl=1.0, rel_list=0.5, eng=1.0, eng_list=0.2, hard=0.0)
    loss, parts = multi_teacher_loss(z, e, teacher_probs, teacher_eng, grades, engaged, weights)
    loss.backward()
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from training.teachers.losses import expected_grade, listnet, masked_bce, soft_grade_targets, soft_label_kl


@dataclass(frozen=True)
class DistillWeights:
    """Per-term weights of :func:`multi_teacher_loss`; zero switches a term off."""

    rel_kl: float = 1.0
    rel_list: float = 0.5
    eng: float = 1.0
    eng_list: float = 0.2
    hard: float = 0.0
    temperature: float = 1.0
    label_sigma: float = 0.5

    @classmethod
    def variant(cls, name: str) -> DistillWeights:
        """The ablation variants: 'hard', 'relevance', 'engagement', 'multi', 'multi+hard'."""
        variants = {
            "hard": cls(rel_kl=0.0, rel_list=0.0, eng=0.0, eng_list=0.0, hard=1.0),
            "relevance": cls(eng=0.0, eng_list=0.0),
            "engagement": cls(rel_kl=0.0, rel_list=0.0),
            "multi": cls(),
            "multi+hard": cls(hard=1.0),
        }
        if name not in variants:
            raise ValueError(f"variant must be one of {sorted(variants)}")
        return variants[name]


def multi_teacher_loss(
    student_grade_logits: torch.Tensor,
    student_engage_logits: torch.Tensor,
    teacher_grade_probs: torch.Tensor,
    teacher_engage_probs: torch.Tensor,
    grades: torch.Tensor | None,
    engaged: torch.Tensor | None,
    weights: DistillWeights,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The loss over one candidate list and its named parts (for logging)."""
    parts: dict[str, torch.Tensor] = {}
    zero = student_grade_logits.sum() * 0.0
    if weights.rel_kl:
        parts["rel_kl"] = weights.rel_kl * soft_label_kl(student_grade_logits, teacher_grade_probs)
    if weights.rel_list:
        teacher_scores = teacher_grade_probs @ torch.arange(5, dtype=teacher_grade_probs.dtype)
        parts["rel_list"] = weights.rel_list * listnet(
            expected_grade(student_grade_logits), teacher_scores, weights.temperature
        )
    if weights.eng:
        parts["eng"] = weights.eng * F.binary_cross_entropy_with_logits(student_engage_logits, teacher_engage_probs)
    if weights.eng_list:
        teacher_logits = torch.logit(teacher_engage_probs.clamp(1e-4, 1 - 1e-4))
        parts["eng_list"] = weights.eng_list * listnet(student_engage_logits, teacher_logits, weights.temperature)
    if weights.hard:
        if grades is None or engaged is None:
            raise ValueError("the hard-label term needs grades and engagement labels")
        labelled = grades >= 0  # -1: a pair without a judge label (the label-budget ablation's pool)
        hard = (
            soft_label_kl(student_grade_logits[labelled], soft_grade_targets(grades[labelled], weights.label_sigma))
            if labelled.any()
            else zero
        )
        parts["hard"] = weights.hard * (hard + masked_bce(student_engage_logits, engaged))
    total = sum(parts.values(), zero)
    return total, {name: float(value.detach()) for name, value in parts.items()}
