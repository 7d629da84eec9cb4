"""The policy judge: grades a (member, job) pair 0-4 under the product policy, explaining every rule.

It is our stand-in for a large policy-tuned model. It needs, besides the schema fields, each side's
*canonical view* (occupation, family, canonical skills). On generated data that view is the latent
truth the generator knows; on users' own data it comes from app/domain/canonical.py. Everything else
(locations, authorisation, levels, pay, workplace) is read from the schema fields exactly.

The rules themselves live once, in app/domain/rule_features.py (``rule_verdict``, which also gives the
service's students their rule features): the judge resolves both sides' facts with its views, takes
the grade and every rule's effect from there, and writes the explanation of each.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.canonical import CanonicalView
from app.domain.featurize import JobFacts, MemberFacts, job_facts, member_facts
from app.domain.rule_features import OTHER_FAMILY, SAME_FAMILY, SAME_OCCUPATION, RuleVerdict, rule_verdict
from app.domain.schemas import Job, Member, WorkplaceType
from training.policy.policy import Policy, default_policy

RULES = ("work_authorization", "location", "function", "skills", "seniority", "salary", "workplace")
# The judge's function names are the rules' (app/domain/rule_features.py).
FUNCTION_SAME_OCCUPATION, FUNCTION_SAME_FAMILY, FUNCTION_OTHER_FAMILY = SAME_OCCUPATION, SAME_FAMILY, OTHER_FAMILY


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


def judge(
    member: Member,
    job: Job,
    member_view: CanonicalView,
    job_view: CanonicalView,
    policy: Policy | None = None,
) -> Judgement:
    """Grade one pair under the policy and explain each rule."""
    policy = policy or default_policy()
    member_side, job_side = member_facts(member, view=member_view), job_facts(job, view=job_view)
    verdict = rule_verdict(member_side, job_side, policy)
    rules = {
        "work_authorization": _authorization(verdict, job),
        "location": _location(verdict, member, job),
        "function": RuleOutcome(
            "base", f"{verdict.function.replace('_', ' ')} ({member_view.occupation} vs {job_view.occupation})"
        ),
        "skills": _skills(verdict, job_side),
        "seniority": _seniority(verdict, member, job, policy),
        "salary": _salary(verdict, member_side, job_side, policy),
        "workplace": _workplace(verdict, member, job, policy),
    }
    return Judgement(verdict.grade, policy.grade_names[verdict.grade], rules, verdict.function, verdict.coverage)


# The explanations: each rule's effect is the verdict's; the words say why, from the schema fields.
_BLOCKER_DISABLED = RuleOutcome("skipped", "blocker disabled by policy")


def _authorization(verdict: RuleVerdict, job: Job) -> RuleOutcome:
    country = job.location.country
    if verdict.authorization == "pass":
        if verdict.authorized:
            return RuleOutcome("pass", f"authorised to work in {country}")
        return RuleOutcome("pass", f"not authorised in {country}, but the job sponsors visas")
    if verdict.authorization == "blocker":
        return RuleOutcome("blocker", f"not authorised to work in {country} and no sponsorship")
    return _BLOCKER_DISABLED


def _location(verdict: RuleVerdict, member: Member, job: Job) -> RuleOutcome:
    country, home = job.location.country, member.location
    if job.workplace_type is WorkplaceType.remote:  # a remote job's country is where it may be done from
        where = f"remote from {country}"
    else:
        where = f"{job.workplace_type.value} in {job.location.city or '?'}, {country}"
    if verdict.location == "pass":
        why = "member lives there" if verdict.present else "member is open to relocation"
        return RuleOutcome("pass", f"{where}; {why}")
    if verdict.location == "blocker":
        return RuleOutcome(
            "blocker", f"{where}; member lives in {home.city or '?'}, {home.country} and will not relocate"
        )
    return _BLOCKER_DISABLED


def _skills(verdict: RuleVerdict, job: JobFacts) -> RuleOutcome:
    if job.skills:
        detail = f"{verdict.covered}/{len(job.skills)} required skills covered"
    else:
        detail = f"job lists no requirements; coverage taken as {verdict.coverage:g}"
    return RuleOutcome("base", f"{detail} -> base grade {verdict.base_grade}", verdict.base_grade)


def _seniority(verdict: RuleVerdict, member: Member, job: Job, policy: Policy) -> RuleOutcome:
    if member.seniority is None or job.seniority is None:
        return RuleOutcome("skipped", "level unknown on one side")
    gap = abs(job.seniority.level - member.seniority.level)
    levels = f"{member.seniority.value} vs {job.seniority.value}: {gap} level(s) apart"
    if verdict.seniority == "cap":
        return RuleOutcome("cap", f"{levels}; grade capped at {policy.seniority_cap}")
    if verdict.seniority == "penalty":
        return RuleOutcome("penalty", levels, -policy.seniority_penalty)
    return RuleOutcome("pass", levels)


def _salary(verdict: RuleVerdict, member: MemberFacts, job: JobFacts, policy: Policy) -> RuleOutcome:
    if verdict.salary == "skipped":
        if job.salary_currency is None or member.min_salary_currency is None:
            return RuleOutcome("skipped", "salary not stated on one side")
        return RuleOutcome("skipped", f"currencies differ ({job.salary_currency} vs {member.min_salary_currency})")
    amounts = (
        f"job max {job.salary_max_annual:,.0f} vs member min {member.min_salary_annual:,.0f} {job.salary_currency}/year"
    )
    if verdict.salary == "penalty":
        return RuleOutcome("penalty", amounts, -policy.salary_penalty)
    return RuleOutcome("pass", amounts)


def _workplace(verdict: RuleVerdict, member: Member, job: Job, policy: Policy) -> RuleOutcome:
    if verdict.workplace == "penalty":
        return RuleOutcome("penalty", "member prefers remote, job is on-site", -policy.remote_preference_onsite_penalty)
    return RuleOutcome("pass", f"prefers {member.workplace_preference.value}, job is {job.workplace_type.value}")
