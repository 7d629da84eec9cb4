"""The multi-teacher distillation loss: each term, the variants, and that it teaches the right order."""

from __future__ import annotations

import pytest
import torch

from training.distill.losses import DistillWeights, multi_teacher_loss
from training.teachers.losses import soft_grade_targets


def _inputs(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    teacher_probs = torch.softmax(torch.randn(n, 5, generator=g) * 2, -1)
    teacher_eng = torch.sigmoid(torch.randn(n, generator=g))
    grades = torch.randint(0, 5, (n,), generator=g)
    engaged = torch.tensor([1.0, 0.0, float("nan"), 0.0, 1.0, 0.0])[:n]
    return teacher_probs, teacher_eng, grades, engaged


def test_variants_switch_terms_on_and_off():
    probs, eng, grades, engaged = _inputs()
    z, e = torch.zeros(6, 5), torch.zeros(6)
    expected = {
        "hard": {"hard"},
        "relevance": {"rel_kl", "rel_list"},
        "engagement": {"eng", "eng_list"},
        "multi": {"rel_kl", "rel_list", "eng", "eng_list"},
        "multi+hard": {"rel_kl", "rel_list", "eng", "eng_list", "hard"},
    }
    for name, terms in expected.items():
        _, parts = multi_teacher_loss(z, e, probs, eng, grades, engaged, DistillWeights.variant(name))
        assert set(parts) == terms, name
    with pytest.raises(ValueError):
        DistillWeights.variant("nope")


def test_loss_is_smallest_when_the_student_copies_the_teachers():
    probs, eng, grades, engaged = _inputs()
    weights = DistillWeights.variant("multi")
    copy, _ = multi_teacher_loss(torch.log(probs), torch.logit(eng), probs, eng, grades, engaged, weights)
    other, _ = multi_teacher_loss(torch.zeros(6, 5), torch.zeros(6), probs, eng, grades, engaged, weights)
    assert float(copy) < float(other)


def test_hard_term_needs_labels_and_ignores_missing_engagement():
    probs, eng, grades, engaged = _inputs()
    with pytest.raises(ValueError, match="needs grades"):
        multi_teacher_loss(torch.zeros(6, 5), torch.zeros(6), probs, eng, None, None, DistillWeights.variant("hard"))
    z = torch.log(soft_grade_targets(grades, 0.5))
    loss, parts = multi_teacher_loss(z, torch.zeros(6), probs, eng, grades, engaged, DistillWeights.variant("hard"))
    assert torch.isfinite(loss) and parts["hard"] == pytest.approx(float(torch.log(torch.tensor(2.0))), abs=1e-4)


def test_gradient_descent_learns_the_teachers_order():
    probs, eng, grades, engaged = _inputs(seed=3)
    z = torch.zeros(6, 5, requires_grad=True)
    e = torch.zeros(6, requires_grad=True)
    opt = torch.optim.Adam([z, e], lr=0.1)
    for _ in range(300):
        loss, _ = multi_teacher_loss(z, e, probs, eng, grades, engaged, DistillWeights.variant("multi"))
        opt.zero_grad()
        loss.backward()
        opt.step()
    teacher_rank = torch.argsort(probs @ torch.arange(5.0))
    student_rank = torch.argsort(torch.softmax(z, -1) @ torch.arange(5.0))
    assert torch.equal(teacher_rank, student_rank)
    assert torch.equal(torch.argsort(eng), torch.argsort(e.detach()))


def test_pairs_without_a_judge_label_keep_only_the_engagement_part():
    probs, eng, grades, engaged = _inputs()
    z, e = torch.randn(6, 5), torch.zeros(6)
    weights = DistillWeights(rel_kl=0.0, rel_list=0.0, eng=0.0, eng_list=0.0, hard=1.0)
    unlabelled = torch.full_like(grades, -1)
    _, none = multi_teacher_loss(z, e, probs, eng, unlabelled, engaged, weights)
    _, labelled = multi_teacher_loss(z, e, probs, eng, grades, engaged, weights)
    assert none["hard"] == pytest.approx(
        float(torch.nn.functional.binary_cross_entropy_with_logits(e[[0, 1, 3, 4, 5]], engaged[[0, 1, 3, 4, 5]]))
    )
    assert labelled["hard"] > none["hard"]
