"""Agreement metrics on hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training.evaluation.metrics import kendall_tau_b, quadratic_weighted_kappa, recall_at_k


def test_kendall_tau_hand_computed():
    assert kendall_tau_b(np.array([1, 2, 3, 4]), np.array([1, 2, 3, 4])) == pytest.approx(1.0)
    assert kendall_tau_b(np.array([1, 2, 3, 4]), np.array([4, 3, 2, 1])) == pytest.approx(-1.0)
    # pairs: (1,2)+ (1,3)+ (1,4)+ (2,3)- (2,4)+ (3,4)+  -> (5 - 1) / 6
    assert kendall_tau_b(np.array([1, 2, 3, 4]), np.array([1, 3, 2, 4])) == pytest.approx(4 / 6)
    # ties: a = [1,1,2], b = [1,2,3]: untied a pairs 2, untied b 3, concordant 2 -> 2 / sqrt(6)
    assert kendall_tau_b(np.array([1, 1, 2]), np.array([1, 2, 3])) == pytest.approx(2 / math.sqrt(6))
    assert math.isnan(kendall_tau_b(np.array([2, 2, 2]), np.array([1, 2, 3])))


def test_quadratic_weighted_kappa():
    grades = np.array([0, 1, 2, 3, 4, 4, 0])
    assert quadratic_weighted_kappa(grades, grades, 5) == pytest.approx(1.0)
    # a=[0,0,1,1], b=[0,1,1,1]: observed off-diagonal weight 1; expected counts
    # outer([2,2],[1,3])/4 = [[.5,1.5],[.5,1.5]] -> off-diagonal weight 2; kappa = 1 - 1/2
    assert quadratic_weighted_kappa(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2) == pytest.approx(0.5)


def test_ndcg_hand_computed():
    from training.evaluation.metrics import ndcg_at_k

    gains = np.array([3, 2, 0, 1])
    assert ndcg_at_k(np.array([4, 3, 2, 1]) * 1.0, np.array([3, 2, 1, 0]), 4) == pytest.approx(1.0)
    # ranking [item2(g0), item0(g3), item3(g1)] at k=3: DCG = 0 + 7/log2(3) + 1/2; IDCG = 7 + 3/log2(3) + 1/2
    scores = np.array([0.5, 0.1, 0.9, 0.3])
    dcg = 7 / math.log2(3) + 1 / 2
    idcg = 7 + 3 / math.log2(3) + 1 / 2
    assert ndcg_at_k(scores, gains, 3) == pytest.approx(dcg / idcg)
    assert math.isnan(ndcg_at_k(scores, np.zeros(4), 3))


def test_reciprocal_rank():
    from training.evaluation.metrics import reciprocal_rank

    assert reciprocal_rank(np.array([0.9, 0.8, 0.7]), np.array([0, 0, 1])) == pytest.approx(1 / 3)
    assert reciprocal_rank(np.array([0.1, 0.8, 0.7]), np.array([1, 0, 1])) == pytest.approx(1 / 2)
    assert reciprocal_rank(np.array([0.1, 0.2]), np.array([0, 0])) == 0.0


def test_roc_auc_and_log_loss():
    from training.evaluation.metrics import log_loss, roc_auc

    assert roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == pytest.approx(0.75)
    assert roc_auc(np.array([0.5, 0.5, 0.5]), np.array([0, 1, 1])) == pytest.approx(0.5)  # ties count half
    assert math.isnan(roc_auc(np.array([0.2, 0.3]), np.array([1, 1])))
    assert log_loss(np.array([0.5, 0.5]), np.array([0, 1])) == pytest.approx(math.log(2))
    assert log_loss(np.array([0.9, 0.2]), np.array([1, 0])) == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2)


def test_recall_at_k_counts_relevant_items_in_the_top_k_of_as_many_as_fit():
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    assert recall_at_k(scores, np.array([1, 0, 0, 1]), 2) == pytest.approx(0.5)
    assert recall_at_k(scores, np.array([1, 1, 1, 0]), 2) == pytest.approx(1.0)  # only 2 fit in the top 2
    assert recall_at_k(-scores, np.array([1, 1, 0, 0]), 2) == pytest.approx(0.0)
    assert math.isnan(recall_at_k(scores, np.zeros(4), 2))
