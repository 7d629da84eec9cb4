"""The rule features: the policy's rules on the canonicalised request fields, as the judge applies them."""

from __future__ import annotations

import pytest

from app.domain.featurize import (
    FEATURE_NAMES,
    FEATURE_SETS,
    FEATURES_VERSION,
    default_canonicalizer,
    job_facts,
    match_features,
    member_facts,
)
from app.domain.policy import default_policy
from app.domain.rule_features import RULE_FEATURE_NAMES, rule_verdict
from tests.conftest import make_job, make_member
from training.data.dataset import load_dataset
from training.data.lists import load_lists
from training.policy.judge import judge


def _rules(member, job) -> dict[str, float]:
    values = dict(zip(FEATURE_NAMES, match_features(member, job), strict=True))
    return {name: values[name] for name in RULE_FEATURE_NAMES}


def test_the_rule_grade_is_the_judges_field_path_grade_on_every_generated_pair(tiny_dataset):
    data = load_dataset(tiny_dataset)
    canonicalizer, policy = default_canonicalizer(), default_policy()
    pairs = 0
    for candidate_list in load_lists(data, ("train", "val", "test"), 25, seed=0):
        member = candidate_list.member
        member_side, member_view = member_facts(member), canonicalizer.member_view(member)
        for job in candidate_list.jobs:
            expected = judge(member, job, member_view, canonicalizer.job_view(job), policy)
            verdict = rule_verdict(member_side, job_facts(job), policy)
            assert (verdict.grade, verdict.function) == (expected.grade, expected.function), job.job_id
            assert verdict.coverage == pytest.approx(expected.coverage)
            pairs += 1
    assert pairs > 1000


def test_skills_named_only_in_free_text_count_towards_coverage():
    member = make_member(skills=[], summary="Backend developer: Java, SQL and REST APIs every day.")
    job = make_job(required_skills=[], description="Requirements: Java, SQL and REST APIs.")
    rules = _rules(member, job)
    listed = dict(zip(FEATURE_NAMES, match_features(member, job), strict=True))
    assert listed["required_coverage"] == 0.0  # the list-only feature sees nothing
    assert rules["rule_coverage"] == 1.0 and rules["job_states_requirements"] == 1.0
    assert rules["function_same_occupation"] == 1.0


def test_a_blocker_zeroes_the_grade_and_the_one_hot_names_it():
    blocked = _rules(make_member(), make_job(location={"country": "US", "city": "Boston"}))
    assert blocked["rule_blocked"] == 1.0 and blocked["rule_grade"] == 0.0
    assert [blocked[f"rule_grade_{g}"] for g in range(5)] == [1.0, 0.0, 0.0, 0.0, 0.0]
    fine = _rules(make_member(), make_job())
    assert fine["rule_blocked"] == 0.0 and fine["rule_grade"] == 1.0 and fine["rule_grade_4"] == 1.0


def test_an_address_is_the_same_place_as_its_city():
    rules = _rules(make_member(), make_job(location={"country": "DE", "city": "Acme HQ, Berlin 10115"}))
    assert rules["rule_present"] == 1.0


def test_every_older_feature_set_is_a_prefix_of_the_current_one():
    assert FEATURE_SETS[FEATURES_VERSION] == FEATURE_NAMES
    for names in FEATURE_SETS.values():
        assert FEATURE_NAMES[: len(names)] == names
    assert len(FEATURE_SETS[1]) == 20
