"""The policy judge: grades a (member, job) pair 0-4 under the product policy, explaining every rule.

It is our stand-in for a large policy-tuned model. It needs, besides the schema fields, each side's
*canonical view* (occupation, family, canonical skills). On generated data that view is the latent
truth the generator knows; on users' own data it comes from app/domain/canonical.py. Everything else
(locations, authorisation, levels, pay, workplace) is read from the schema fields exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.canonical import CanonicalView
from app.domain.featurize import annual_amount
from app.domain.places import same_place
from app.domain.schemas import Job, Member, WorkplacePreference, WorkplaceType
from training.policy.policy import Policy, default_policy

RULES = ("work_authorization", "location", "function", "skills", "seniority", "salary", "workplace")
FUNCTION_SAME_OCCUPATION = "same_occupation"
FUNCTION_SAME_FAMILY = "same_family"
FUNCTION_OTHER_FAMILY = "other_family"


@dataclass(frozen=True)
class RuleOutcome:
    """One rule's verdict: ``effect`` is 'pass', 'blocker', 'penalty', 'cap', 'base' or 'skipped'."""

    effect: str
    detail: str
    delta: int = 0

    def to_json(self) -> dict:
        return {"effect": self.effect, "delta": self.delta, "detail": self.detail}


@dataclass(frozen=True)
class Judgement:
    """A grade 0-4 and the outcome of every rule, in policy order."""

    grade: int
    grade_name: str
    rules: dict[str, RuleOutcome]
    function: str
    coverage: float

    def to_json(self) -> dict:
        return {
            "grade": self.grade,
            "grade_name": self.grade_name,
            "function": self.function,
            "coverage": round(self.coverage, 4),
            "rules": {name: outcome.to_json() for name, outcome in self.rules.items()},
        }


def _band(table: tuple[tuple[float, int], ...], coverage: float) -> int:
    return next(grade for minimum, grade in table if coverage >= minimum)


def function_match(member: CanonicalView, job: CanonicalView) -> str:
    """same_occupation, same_family or other_family (unrecognised counts as other family)."""
    if member.occupation is not None and member.occupation == job.occupation:
        return FUNCTION_SAME_OCCUPATION
    if member.family is not None and member.family == job.family:
        return FUNCTION_SAME_FAMILY
    return FUNCTION_OTHER_FAMILY


def judge(
    member: Member,
    job: Job,
    member_view: CanonicalView,
    job_view: CanonicalView,
    policy: Policy | None = None,
) -> Judgement:
    """Grade one pair under the policy and explain each rule."""
    policy = policy or default_policy()
    rules: dict[str, RuleOutcome] = {}
    blocked = False

    # Rule 1a: work authorisation.
    country = job.location.country
    if country in member.authorized_countries():
        rules["work_authorization"] = RuleOutcome("pass", f"authorised to work in {country}")
    elif job.visa_sponsorship:
        rules["work_authorization"] = RuleOutcome("pass", f"not authorised in {country}, but the job sponsors visas")
    elif policy.block_on_authorization:
        blocked = True
        rules["work_authorization"] = RuleOutcome("blocker", f"not authorised to work in {country} and no sponsorship")
    else:
        rules["work_authorization"] = RuleOutcome("skipped", "blocker disabled by policy")

    # Rule 1b: location. A remote job's country is where it may be done from.
    home = member.location
    if job.workplace_type is WorkplaceType.remote:
        present = home.country == country
        where = f"remote from {country}"
    else:
        present = home.country == country and same_place(home.city, job.location.city)
        where = f"{job.workplace_type.value} in {job.location.city or '?'}, {country}"
    if present:
        rules["location"] = RuleOutcome("pass", f"{where}; member lives there")
    elif member.open_to_relocation:
        rules["location"] = RuleOutcome("pass", f"{where}; member is open to relocation")
    elif policy.block_on_location:
        blocked = True
        rules["location"] = RuleOutcome(
            "blocker", f"{where}; member lives in {home.city or '?'}, {home.country} and will not relocate"
        )
    else:
        rules["location"] = RuleOutcome("skipped", "blocker disabled by policy")

    # Rules 2 and 3: function and required-skill coverage give the base grade.
    function = function_match(member_view, job_view)
    if job_view.skills:
        covered = job_view.skills & member_view.skills
        coverage = len(covered) / len(job_view.skills)
        skills_detail = f"{len(covered)}/{len(job_view.skills)} required skills covered"
    else:
        coverage = policy.coverage_without_requirements
        skills_detail = f"job lists no requirements; coverage taken as {coverage:g}"
    table = {
        FUNCTION_SAME_OCCUPATION: policy.same_occupation,
        FUNCTION_SAME_FAMILY: policy.same_family,
        FUNCTION_OTHER_FAMILY: policy.other_family,
    }[function]
    grade = _band(table, coverage)
    rules["function"] = RuleOutcome(
        "base", f"{function.replace('_', ' ')} ({member_view.occupation} vs {job_view.occupation})"
    )
    rules["skills"] = RuleOutcome("base", f"{skills_detail} -> base grade {grade}", grade)
    cap = policy.other_family_cap if function == FUNCTION_OTHER_FAMILY else 4

    # Rule 4: seniority.
    if member.seniority is None or job.seniority is None:
        rules["seniority"] = RuleOutcome("skipped", "level unknown on one side")
    else:
        gap = abs(job.seniority.level - member.seniority.level)
        levels = f"{member.seniority.value} vs {job.seniority.value}: {gap} level(s) apart"
        if gap >= policy.seniority_cap_gap:
            cap = min(cap, policy.seniority_cap)
            rules["seniority"] = RuleOutcome("cap", f"{levels}; grade capped at {policy.seniority_cap}")
        elif gap > policy.seniority_free_gap:
            grade -= policy.seniority_penalty
            rules["seniority"] = RuleOutcome("penalty", levels, -policy.seniority_penalty)
        else:
            rules["seniority"] = RuleOutcome("pass", levels)

    # Rule 5: salary, compared per year in the same currency.
    if job.salary is None or member.min_salary is None:
        rules["salary"] = RuleOutcome("skipped", "salary not stated on one side")
    elif job.salary.currency != member.min_salary.currency:
        rules["salary"] = RuleOutcome(
            "skipped", f"currencies differ ({job.salary.currency} vs {member.min_salary.currency})"
        )
    else:
        job_max = annual_amount(job.salary.max, job.salary.period)
        member_min = annual_amount(member.min_salary.amount, member.min_salary.period)
        amounts = f"job max {job_max:,.0f} vs member min {member_min:,.0f} {job.salary.currency}/year"
        if job_max < member_min:
            grade -= policy.salary_penalty
            rules["salary"] = RuleOutcome("penalty", amounts, -policy.salary_penalty)
        else:
            rules["salary"] = RuleOutcome("pass", amounts)

    # Rule 6: workplace preference.
    if member.workplace_preference is WorkplacePreference.remote and job.workplace_type is WorkplaceType.onsite:
        grade -= policy.remote_preference_onsite_penalty
        rules["workplace"] = RuleOutcome(
            "penalty", "member prefers remote, job is on-site", -policy.remote_preference_onsite_penalty
        )
    else:
        rules["workplace"] = RuleOutcome(
            "pass", f"prefers {member.workplace_preference.value}, job is {job.workplace_type.value}"
        )

    grade = 0 if blocked else max(0, min(grade, cap))
    return Judgement(grade, policy.grade_names[grade], rules, function, coverage)
