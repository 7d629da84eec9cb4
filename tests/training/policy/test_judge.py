"""Every policy rule, exercised by a hand-built pair whose grade is asserted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import make_job, make_member
from training.policy.judge import RULES, CanonicalView, RuleOutcome, judge
from training.policy.policy import DEFAULT_POLICY_PATH, PolicyError, default_policy, load_policy

DEV, DATA_SCIENTIST, COOK = "2512.4", "2511.4", "5120.1"
MEMBER_VIEW = CanonicalView(DEV, "software_data", frozenset({"java", "python", "sql", "git", "rest_apis", "ci_cd"}))


def job_view(occupation=DEV, family="software_data", skills=("java", "python", "sql", "git")) -> CanonicalView:
    return CanonicalView(occupation, family, frozenset(skills))


def grade(member=None, job=None, mview=MEMBER_VIEW, jview=None, policy=None) -> int:
    verdict = judge(member or make_member(), job or make_job(), mview, jview or job_view(), policy)
    return verdict.grade


def test_reference_pair_is_excellent_and_every_rule_is_explained():
    verdict = judge(make_member(), make_job(), MEMBER_VIEW, job_view())
    assert verdict.grade == 4 and verdict.grade_name == "excellent"
    assert tuple(verdict.rules) == RULES
    assert all(outcome.detail for outcome in verdict.rules.values())
    assert verdict.to_json()["rules"]["skills"]["detail"].startswith("4/4 required skills covered")


# Rule 1: hard blockers.
def test_not_authorised_without_sponsorship_is_bad():
    job = make_job(location={"country": "US", "city": "Austin"}, workplace_type="remote")
    member = make_member(open_to_relocation=True)
    assert grade(member, job) == 0
    assert judge(member, job, MEMBER_VIEW, job_view()).rules["work_authorization"].effect == "blocker"


def test_sponsorship_lifts_the_authorisation_blocker():
    job = make_job(location={"country": "US", "city": "Austin"}, workplace_type="onsite", visa_sponsorship=True)
    assert grade(make_member(open_to_relocation=True), job) == 4
    rules = judge(make_member(open_to_relocation=True), job, MEMBER_VIEW, job_view()).rules
    assert rules["work_authorization"].detail == "not authorised in US, but the job sponsors visas"
    assert rules["location"].detail == "onsite in Austin, US; member is open to relocation"


def test_a_blocker_the_policy_disables_is_explained_as_skipped():
    relaxed = replace(default_policy(), block_on_authorization=False, block_on_location=False)
    verdict = judge(
        make_member(), make_job(location={"country": "US", "city": "Austin"}), MEMBER_VIEW, job_view(), relaxed
    )
    assert verdict.grade == 4
    for rule in ("work_authorization", "location"):
        assert verdict.rules[rule] == RuleOutcome("skipped", "blocker disabled by policy")


def test_onsite_elsewhere_without_relocation_is_bad():
    job = make_job(location={"city": "Munich"})
    assert grade(make_member(), job) == 0
    assert grade(make_member(open_to_relocation=True), job) == 4


def test_remote_job_is_fine_anywhere_in_its_country_but_not_abroad():
    assert grade(make_member(location={"city": "Munich"}), make_job(workplace_type="remote")) == 4
    abroad = make_job(workplace_type="remote", location={"country": "FR", "city": "Paris"})
    verdict = judge(make_member(), abroad, MEMBER_VIEW, job_view())
    assert verdict.grade == 0 and verdict.rules["location"].effect == "blocker"
    assert verdict.rules["work_authorization"].effect == "pass"  # EU member may work in FR


def test_city_match_ignores_case_and_accents():
    member = make_member(location={"country": "PL", "city": "Kraków"}, work_authorization=["PL"])
    job = make_job(location={"country": "PL", "city": "krakow"}, salary=None)
    assert grade(member, job) == 4


# Rules 2 and 3: function and skills give the base grade.
@pytest.mark.parametrize(
    ("skills", "expected"),
    [
        (("java", "python", "sql", "git"), 4),
        (("java", "python", "sql", "kotlin"), 4),
        (("java", "python", "kotlin", "swift"), 3),
        (("java", "kotlin", "swift", "go"), 2),
        (("kotlin", "swift", "go", "terraform"), 1),
    ],
)
def test_same_occupation_grade_follows_skill_coverage(skills, expected):
    assert grade(jview=job_view(skills=skills)) == expected


def test_related_occupation_in_same_family_is_at_most_good():
    assert grade(jview=job_view(occupation=DATA_SCIENTIST)) == 3
    assert grade(jview=job_view(occupation=DATA_SCIENTIST, skills=("java", "python", "kotlin", "swift"))) == 2
    assert grade(jview=job_view(occupation=DATA_SCIENTIST, skills=("java", "kotlin", "swift", "go"))) == 1


def test_other_family_is_capped_at_poor_even_with_full_skill_coverage():
    assert grade(jview=job_view(occupation=COOK, family="hospitality")) == 1


def test_unrecognised_occupation_counts_as_other_family():
    assert grade(mview=CanonicalView(None, None, MEMBER_VIEW.skills)) == 1


def test_job_without_requirements_uses_the_policy_default_coverage():
    verdict = judge(make_member(), make_job(), MEMBER_VIEW, job_view(skills=()))
    assert verdict.coverage == 0.5 and verdict.grade == 3


# Rule 4: seniority.
@pytest.mark.parametrize(
    ("job_level", "expected"),
    [("mid_senior", 4), ("associate", 4), ("director", 4), ("entry", 3), ("executive", 3), ("intern", 1)],
)
def test_seniority_gap(job_level, expected):
    assert grade(job=make_job(seniority=job_level, salary=None)) == expected


def test_free_gap_sets_how_many_levels_cost_nothing(tmp_path):
    # free_gap = 0: one level apart already costs the penalty (the rule used to ignore free_gap).
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_POLICY_PATH.read_text().replace("free_gap = 1", "free_gap = 0"))
    strict = load_policy(path)
    assert strict.seniority_free_gap == 0
    one_level_apart = make_job(seniority="associate", salary=None)
    assert grade(job=one_level_apart) == 4
    assert grade(job=one_level_apart, policy=strict) == 3
    assert judge(make_member(), one_level_apart, MEMBER_VIEW, job_view(), strict).rules["seniority"].effect == "penalty"


def test_unknown_seniority_is_skipped():
    verdict = judge(make_member(seniority=None), make_job(), MEMBER_VIEW, job_view())
    assert verdict.grade == 4 and verdict.rules["seniority"].effect == "skipped"


# Rule 5: salary.
def test_salary_below_member_minimum_costs_a_grade():
    assert grade(job=make_job(salary={"min": 50000, "max": 65000})) == 3
    assert grade(job=make_job(salary={"min": 50000, "max": 70000})) == 4  # equal is fine


def test_salary_compares_per_year_and_only_in_the_same_currency():
    hourly = make_job(salary={"min": 30, "max": 32, "currency": "EUR", "period": "hour"})  # 66,560 a year
    assert grade(job=hourly) == 3
    monthly = make_job(salary={"min": 6000, "max": 6500, "currency": "EUR", "period": "month"})  # 78,000
    assert grade(job=monthly) == 4
    other_currency = make_job(salary={"min": 1, "max": 2, "currency": "PLN"})
    verdict = judge(make_member(), other_currency, MEMBER_VIEW, job_view())
    assert verdict.grade == 4 and verdict.rules["salary"].effect == "skipped"


# Rule 6: workplace preference.
def test_remote_preference_and_onsite_job_costs_a_grade():
    assert grade(make_member(workplace_preference="remote"), make_job(workplace_type="onsite")) == 3
    assert grade(make_member(workplace_preference="remote"), make_job(workplace_type="hybrid")) == 4
    assert grade(make_member(workplace_preference="onsite"), make_job(workplace_type="remote")) == 4


def test_penalties_add_up_and_never_go_below_zero():
    member = make_member(workplace_preference="remote")
    job = make_job(workplace_type="onsite", seniority="entry", salary={"min": 10000, "max": 20000})
    assert grade(member, job) == 1  # 4 - seniority - salary - workplace
    assert grade(member, job, jview=job_view(skills=("kotlin", "swift", "go", "terraform"))) == 0


def test_blocker_beats_everything():
    job = make_job(location={"city": "Hamburg"})
    assert grade(make_member(), job, jview=job_view()) == 0


# The machine-readable policy is what the judge executes.
def test_editing_the_policy_file_changes_the_grades(tmp_path):
    text = DEFAULT_POLICY_PATH.read_text()
    relaxed = text.replace("location = true ", "location = false").replace(
        "[salary]\npenalty = 1", "[salary]\npenalty = 2"
    )
    path = tmp_path / "policy.toml"
    path.write_text(relaxed)
    policy = load_policy(path)
    assert not policy.block_on_location and policy.salary_penalty == 2
    assert grade(job=make_job(location={"city": "Munich"}), policy=policy) == 4
    assert grade(job=make_job(salary={"min": 50000, "max": 65000}), policy=policy) == 2
    assert DEFAULT_POLICY_PATH.read_text() == text


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("[blend]\nrelevance = 0.7", "[blend]\nrelevance = 0.9"), "blend"),
        (("other_family = [[0.0, 1]]", "other_family = [[0.5, 1]]"), "function.other_family"),
        (
            ("same_family = [[0.75, 3], [0.4, 2], [0.0, 1]]", "same_family = [[0.75, 7], [0.0, 1]]"),
            "function.same_family",
        ),
        (("free_gap = 1", "free_gap = 5"), "seniority"),
        (("[salary]\npenalty = 1\n", ""), "salary"),
    ],
)
def test_a_malformed_policy_is_refused_naming_the_key(tmp_path, edit, message):
    text = DEFAULT_POLICY_PATH.read_text()
    assert edit[0] in text
    path = tmp_path / "policy.toml"
    path.write_text(text.replace(edit[0], edit[1]))
    with pytest.raises(PolicyError, match=message):
        load_policy(path)


def test_blend_weights_relevance_and_engagement():
    policy = default_policy()
    assert policy.blend(4, 1.0) == pytest.approx(1.0)
    assert policy.blend(0, 0.0) == 0.0
    assert policy.blend(2, 0.5) == pytest.approx(0.7 * 0.5 + 0.3 * 0.5)
