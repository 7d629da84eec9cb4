"""Rule-blind and rule-wrong training pairs: the rules' reading of a title removed or made wrong, text unchanged.

In generated data the canonicaliser recognises nearly every title, and recognises it right, so a
student given the rule features learns to copy them and never reads its towers. Real profiles and
postings break that in two ways:

* **blind** — phrased in ways the rules miss (the *held-out phrasings* split): the rule features say
  "occupation unknown, other family" while the text still says what the job is;
* **wrong** — recognised but mapped to the wrong occupation (the *real titles* split: an O*NET
  occupation's titles land on several ESCO occupations), so a true same-occupation pair looks like
  another occupation, often another family, to the rules.

To teach the student both cases, a share of the train members and jobs gets the facts the service
would compute if their title were not recognised (occupation and family unknown), and another,
disjoint share gets another occupation — half of the time one of the same family, else any — with
the family following it. Everything else stays: the texts the towers read, the skills, places and
the labels (judge grades, teacher scores, engagement). No text is rewritten, so the evaluation
splits' transformations (abbreviations, typos in training/data/generalisation.py) stay unseen.

    rules = RuleBlind.draw(lists, share=0.3, seed=0, wrong_share=0.15)
    features = rules.feature_matrix(candidate_list)   # [n, len(FEATURE_NAMES)]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

import numpy as np

from app.domain.featurize import JobFacts, MemberFacts, facts_feature_matrix, job_facts, member_facts
from app.domain.occupations import default_taxonomy
from app.domain.schemas import Job, Member
from training.data.lists import CandidateList

_Facts = TypeVar("_Facts", MemberFacts, JobFacts)


def unrecognised(facts: _Facts) -> _Facts:
    """The same facts with the title unresolved: no occupation, no family."""
    return dataclasses.replace(facts, occupation=None, family=None)


@dataclass(frozen=True)
class Misreading:
    """How one member's or job's title is misread: which pool the wrong occupation comes from, and where in it."""

    same_family: bool  # another occupation of the true family (if it has one), else any other
    pick: float  # in [0, 1): the position in the sorted pool

    def apply(self, facts: _Facts) -> _Facts:
        """The same facts read as another occupation (never the true one); the family follows it."""
        occupations = default_taxonomy().occupations
        pool = _family_pool(facts.family) if self.same_family and facts.family else ()
        pool = tuple(o for o in pool if o != facts.occupation) or tuple(
            o for o in _family_pool(None) if o != facts.occupation
        )
        wrong = pool[int(self.pick * len(pool))]
        return dataclasses.replace(facts, occupation=wrong, family=occupations[wrong].family)


@cache
def _family_pool(family: str | None) -> tuple[str, ...]:
    """The occupation ids of one family (``None``: all of them), sorted."""
    occupations = default_taxonomy().occupations.values()
    return tuple(sorted(o.id for o in occupations if family is None or o.family == family))


def _draw(ids: Sequence[str], count: int, rng: np.random.Generator) -> frozenset[str]:
    ordered = sorted(set(ids))  # the draw depends on the ids, not on list order
    return frozenset(rng.choice(ordered, size=count, replace=False).tolist()) if count else frozenset()


def _blind_and_wrong(
    ids: Sequence[str], share: float, wrong_share: float, rng: np.random.Generator, wrong_rng: np.random.Generator
) -> tuple[frozenset[str], dict[str, Misreading]]:
    distinct = set(ids)
    blind = _draw(sorted(distinct), round(share * len(distinct)), rng)
    wrong = _draw(sorted(distinct - blind), round(wrong_share * len(distinct)), wrong_rng)
    return blind, {i: Misreading(bool(wrong_rng.random() < 0.5), float(wrong_rng.random())) for i in sorted(wrong)}


def _as_read(facts: _Facts, record_id: str, blind: frozenset[str], wrong: dict[str, Misreading]) -> _Facts:
    """A member's or job's facts as the drawn rules read them: unresolved if blind, misread if wrong."""
    if record_id in blind:
        return unrecognised(facts)
    misreading = wrong.get(record_id)
    return facts if misreading is None else misreading.apply(facts)


@dataclass
class RuleBlind:
    """Which members and jobs are rule-blind or rule-wrong, and their (cached) facts."""

    members: frozenset[str]
    jobs: frozenset[str]
    wrong_members: dict[str, Misreading] = field(default_factory=dict)
    wrong_jobs: dict[str, Misreading] = field(default_factory=dict)
    _job_facts: dict[str, JobFacts] = field(default_factory=dict, repr=False)

    @classmethod
    def draw(cls, lists: Sequence[CandidateList], share: float, seed: int, wrong_share: float = 0.0) -> RuleBlind:
        """``share`` of the distinct members and, independently, of the distinct jobs of ``lists`` made
        rule-blind; ``wrong_share`` (of all, drawn from the rest) rule-wrong. ``share + wrong_share <= 1``."""
        if share + wrong_share > 1:
            raise ValueError(f"share {share} + wrong_share {wrong_share} exceed 1")
        rng, wrong_rng = np.random.default_rng([seed, 17]), np.random.default_rng([seed, 18])
        members, wrong_members = _blind_and_wrong(
            [lst.member.member_id for lst in lists], share, wrong_share, rng, wrong_rng
        )
        jobs, wrong_jobs = _blind_and_wrong(
            [job.job_id for lst in lists for job in lst.jobs], share, wrong_share, rng, wrong_rng
        )
        return cls(members, jobs, wrong_members, wrong_jobs)

    def member_facts(self, member: Member) -> MemberFacts:
        """The member's facts, title unresolved or misread if the member was drawn."""
        return _as_read(member_facts(member), member.member_id, self.members, self.wrong_members)

    def job_facts(self, job: Job) -> JobFacts:
        """The job's facts (computed once per job), title unresolved or misread if the job was drawn."""
        facts = self._job_facts.get(job.job_id)
        if facts is None:
            facts = _as_read(job_facts(job), job.job_id, self.jobs, self.wrong_jobs)
            self._job_facts[job.job_id] = facts
        return facts

    def feature_matrix(self, candidate_list: CandidateList) -> np.ndarray:
        """The list's match features with the drawn members' and jobs' titles unresolved or misread."""
        member = self.member_facts(candidate_list.member)
        return facts_feature_matrix(member, [self.job_facts(job) for job in candidate_list.jobs])
