"""Agreement metrics on hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training.evaluation.metrics import kendall_tau_b, quadratic_weighted_kappa


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
