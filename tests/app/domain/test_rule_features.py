"""The rule features: the policy's rules (the one implementation the judge also runs) on the canonicalised request fields."""

from __future__ import annotations

from dataclasses import replace

from app.domain.canonical import CanonicalView
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


def _rules(member, job) -> dict[str, float]:
    values = dict(zip(FEATURE_NAMES, match_features(member, job), strict=True))
    return {name: values[name] for name in RULE_FEATURE_NAMES}


def _verdict(member, job, policy=None):
    return rule_verdict(member_facts(member), job_facts(job), policy or default_policy())


def test_every_rule_names_its_effect():
    verdict = _verdict(make_member(), make_job())
    assert (verdict.authorization, verdict.location, verdict.seniority, verdict.salary, verdict.workplace) == (
        "pass",
        "pass",
        "pass",
        "pass",
        "pass",
    )
    assert verdict.authorized and verdict.covered == 5 and verdict.grade == 4  # 4 listed + REST APIs in the text
    sponsored = _verdict(
        make_member(open_to_relocation=True), make_job(location={"country": "US"}, visa_sponsorship=True)
    )
    assert sponsored.authorization == "pass" and not sponsored.authorized and not sponsored.present
    assert sponsored.location == "pass" and sponsored.grade == 4
    costly = _verdict(
        make_member(workplace_preference="remote"),
        make_job(workplace_type="onsite", salary={"min": 50000, "max": 65000}),
    )
    assert (costly.salary, costly.workplace, costly.grade) == ("penalty", "penalty", 2)
    other_currency = _verdict(make_member(), make_job(salary={"currency": "PLN"}))
    assert other_currency.salary == "skipped" and other_currency.grade == 4
    assert _verdict(make_member(), make_job(salary=None)).salary == "skipped"


def test_a_disabled_blocker_is_skipped_not_applied():
    relaxed = replace(default_policy(), block_on_authorization=False, block_on_location=False)
    abroad = make_job(location={"country": "US", "city": "Austin"})
    blocked = _verdict(make_member(), abroad)
    assert (blocked.authorization, blocked.location, blocked.blocked, blocked.grade) == ("blocker", "blocker", True, 0)
    verdict = _verdict(make_member(), abroad, relaxed)
    assert (verdict.authorization, verdict.location, verdict.blocked, verdict.grade) == ("skipped", "skipped", False, 4)


def test_facts_take_occupation_family_and_skills_from_a_given_view():
    member, job = make_member(), make_job()
    view = CanonicalView("5120.1", "hospitality", frozenset({"cooking"}))
    assert member_facts(member) == member_facts(member, view=default_canonicalizer().member_view(member))
    assert job_facts(job) == job_facts(job, view=default_canonicalizer().job_view(job))
    member_side, job_side = member_facts(member, view=view), job_facts(job, view=view)
    for side in (member_side, job_side):
        assert (side.occupation, side.family, side.skills) == ("5120.1", "hospitality", frozenset({"cooking"}))
    assert job_side.required == job_facts(job).required  # the lists are still read from the fields
    assert rule_verdict(member_facts(member), job_side, default_policy()).function == "other_family"


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
