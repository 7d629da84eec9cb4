"""The policy's rules as model input: the judge's verdict on a pair's resolved facts, rule by rule.

The judge (training/policy/judge.py) grades a pair from both sides' canonical views (occupation,
family, skills) and the schema fields. Run on views the canonicaliser reads from the request
fields — titles to occupations, skill spellings, skills named in free text — it is the *rules*
baseline. Its per-rule outcomes are the student's strongest input: given them, a student starts
where the rules are and only has to learn what they miss (phrasings they cannot resolve, what
members engage with beyond the policy). Computed from ``MemberFacts`` / ``JobFacts`` (resolved once
per member and once per job, which the service caches), never from the generator's latent truth.

``rule_verdict`` is the one implementation of the policy's rules: the judge builds the same facts
from its canonical views (``member_facts`` / ``job_facts`` with ``view=``) and takes its grade and
every rule's effect from here, adding only the explanations. ``RULE_FEATURE_NAMES`` fixes the
features' order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.domain.policy import GRADE_COUNT, Policy

if TYPE_CHECKING:  # featurize imports this module; the facts only travel through here
    from app.domain.featurize import JobFacts, MemberFacts

RULE_FEATURE_NAMES: tuple[str, ...] = (
    "rule_present",  # the member lives where the job is done (same place, or same country if remote)
    "rule_location_ok",  # present, or open to relocation
    "rule_blocked",  # a blocker applies (authorisation or location): grade 0
    "function_same_occupation",
    "function_same_family",
    "member_occupation_known",
    "job_occupation_known",
    "rule_coverage",  # required skills covered, from the lists and the free text (the judge's coverage)
    "job_states_requirements",
    "rule_base_grade",  # function x coverage band, / 4
    "rule_seniority_penalty",
    "rule_seniority_cap",
    "rule_grade",  # the judge's grade on the request fields, / 4
    *(f"rule_grade_{grade}" for grade in range(GRADE_COUNT)),  # the same grade, one-hot
)
SAME_OCCUPATION, SAME_FAMILY, OTHER_FAMILY = "same_occupation", "same_family", "other_family"


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """What each rule of the policy decides for one pair, and the grade that follows. A rule's effect
    is 'pass', 'blocker', 'penalty', 'cap' or 'skipped' ('skipped': a fact is unknown on one side, or
    the policy disabled the blocker)."""

    authorized: bool  # the member may work in the job's country (without a sponsored visa)
    authorization: str  # 'pass', 'blocker' or 'skipped'
    present: bool
    location_ok: bool
    location: str  # 'pass', 'blocker' or 'skipped'
    blocked: bool
    function: str  # SAME_OCCUPATION, SAME_FAMILY or OTHER_FAMILY
    covered: int  # required skills the member has
    coverage: float
    base_grade: int
    seniority: str  # 'pass', 'penalty', 'cap' or 'skipped'
    salary: str  # 'pass', 'penalty' or 'skipped'
    workplace: str  # 'pass' or 'penalty'
    grade: int


def function_match(
    member_occupation: str | None, member_family: str | None, job_occupation: str | None, job_family: str | None
) -> str:
    """same_occupation, same_family or other_family (unrecognised counts as other family)."""
    if member_occupation is not None and member_occupation == job_occupation:
        return SAME_OCCUPATION
    if member_family is not None and member_family == job_family:
        return SAME_FAMILY
    return OTHER_FAMILY


def _blocker(enabled: bool) -> str:
    return "blocker" if enabled else "skipped"


def rule_verdict(member: MemberFacts, job: JobFacts, policy: Policy) -> RuleVerdict:
    """The policy's rules on one pair's facts, heaviest first (see training/policy/POLICY.md)."""
    return RuleVerdict(*_decide(member, job, policy))


def _decide(member: MemberFacts, job: JobFacts, policy: Policy) -> tuple:
    """:func:`rule_verdict`'s fields in order, as a plain tuple: :func:`rule_features` runs for every
    candidate of every request and skips the frozen dataclass (~2 µs a pair)."""
    authorized = job.country in member.authorized
    authorization = "pass" if authorized or job.visa_sponsorship else _blocker(policy.block_on_authorization)
    # A remote job's country is where it may be done from.
    present = member.country == job.country and (job.remote or bool(member.places & job.places))
    location_ok = present or member.open_to_relocation
    location = "pass" if location_ok else _blocker(policy.block_on_location)
    blocked = authorization == "blocker" or location == "blocker"
    function = function_match(member.occupation, member.family, job.occupation, job.family)
    if job.skills:
        covered = len(job.skills & member.skills)
        coverage = covered / len(job.skills)
    else:
        covered, coverage = 0, policy.coverage_without_requirements
    table = (
        policy.same_occupation
        if function == SAME_OCCUPATION
        else policy.same_family
        if function == SAME_FAMILY
        else policy.other_family
    )
    base = 0
    for minimum, band in table:  # highest band first
        if coverage >= minimum:
            base = band
            break
    grade, cap = base, policy.other_family_cap if function == OTHER_FAMILY else GRADE_COUNT - 1
    seniority = "skipped"
    if member.seniority is not None and job.seniority is not None:
        gap = abs(job.seniority - member.seniority)
        if gap >= policy.seniority_cap_gap:
            seniority, cap = "cap", min(cap, policy.seniority_cap)
        elif gap > policy.seniority_free_gap:
            seniority, grade = "penalty", grade - policy.seniority_penalty
        else:
            seniority = "pass"
    # Pay is compared per year and only in the same currency (no conversion).
    salary = "skipped"
    if job.salary_currency is not None and job.salary_currency == member.min_salary_currency:
        salary = "pass"
        if job.salary_max_annual < member.min_salary_annual:
            salary, grade = "penalty", grade - policy.salary_penalty
    workplace = "pass"
    if member.prefers_remote and job.onsite:
        workplace, grade = "penalty", grade - policy.remote_preference_onsite_penalty
    grade = 0 if blocked else max(0, min(grade, cap))
    return (
        authorized,
        authorization,
        present,
        location_ok,
        location,
        blocked,
        function,
        covered,
        coverage,
        base,
        seniority,
        salary,
        workplace,
        grade,
    )


def rule_features(member: MemberFacts, job: JobFacts, policy: Policy) -> list[float]:
    """The rule features of one pair, in ``RULE_FEATURE_NAMES`` order."""
    _, _, present, location_ok, _, blocked, function, _, coverage, base_grade, seniority, _, _, grade = _decide(
        member, job, policy
    )
    top = GRADE_COUNT - 1
    return [
        float(present),
        float(location_ok),
        float(blocked),
        float(function == SAME_OCCUPATION),
        float(function == SAME_FAMILY),
        float(member.occupation is not None),
        float(job.occupation is not None),
        coverage,
        float(bool(job.skills)),
        base_grade / top,
        float(seniority == "penalty"),
        float(seniority == "cap"),
        grade / top,
        *_ONE_HOT[grade],
    ]


_ONE_HOT = tuple(tuple(float(grade == g) for g in range(GRADE_COUNT)) for grade in range(GRADE_COUNT))
