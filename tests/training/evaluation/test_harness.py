"""The evaluation harness on hand-built lists, and the member split."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import make_job, make_member
from training.data.lists import CandidateList
from training.data.split import split_of
from training.evaluation.harness import ModelScores, evaluate_model
from training.policy.policy import default_policy


def _list(grades, positive):
    jobs = tuple(make_job(job_id=f"j{i}") for i in range(len(grades)))
    return CandidateList(make_member(), jobs, np.array(grades), np.array(positive, dtype=float), np.arange(len(grades)))


def test_perfect_and_reversed_rankings():
    lists = [_list([4, 2, 0, 1], [1, 0, 0, np.nan]), _list([0, 3, 1], [0, 1, 0])]
    perfect = [lst.grades.astype(float) for lst in lists]
    metrics = evaluate_model(lists, ModelScores(perfect), default_policy())
    assert metrics["ndcg@10"] == pytest.approx(1.0) and metrics["mrr"] == pytest.approx(1.0)
    assert metrics["kendall_tau"] == pytest.approx(1.0)
    assert metrics["engagement_auc"] == pytest.approx(1.0)  # positives are the top-graded jobs here
    reversed_ = evaluate_model(lists, ModelScores([-s for s in perfect]), default_policy())
    assert reversed_["ndcg@10"] < 0.6 and reversed_["kendall_tau"] == pytest.approx(-1.0)
    assert np.isnan(metrics["engagement_logloss"])  # not a probability model


def test_engagement_probabilities_get_a_log_loss():
    lists = [_list([4, 0], [1, 0])]
    metrics = evaluate_model(
        lists, ModelScores([np.array([3.0, 0.0])], [np.array([0.8, 0.1])], probabilities=True), default_policy()
    )
    assert metrics["engagement_logloss"] == pytest.approx(-(np.log(0.8) + np.log(0.9)) / 2)


def test_member_split_is_stable_and_roughly_70_10_20():
    splits = [split_of(f"m{i}") for i in range(5000)]
    assert splits == [split_of(f"m{i}") for i in range(5000)]
    shares = {s: splits.count(s) / len(splits) for s in ("train", "val", "test")}
    assert shares["train"] == pytest.approx(0.7, abs=0.03) and shares["test"] == pytest.approx(0.2, abs=0.03)
    assert split_of("m1", seed=1) in ("train", "val", "test")
