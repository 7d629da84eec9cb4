"""Rule-blind training pairs: members and jobs whose title the rules do not resolve, text unchanged.

In generated data the canonicaliser recognises nearly every title, so a student given the rule
features learns to copy them and never reads its towers. Real profiles and postings are phrased in
ways the rules miss (the *real titles* and *held-out phrasings* splits); there the rule features
say "occupation unknown, other family" while the text still says what the job is. To teach the
student that case, a share of the train members and jobs gets the facts the service would compute
if their title were not recognised — occupation and family unknown — while everything else stays:
the texts the towers read, the skills, places and the labels (judge grades, teacher scores,
engagement). No text is rewritten, so the evaluation splits' transformations (abbreviations,
typos in training/data/generalisation.py) stay unseen.

    blind = RuleBlind.draw(lists, share=0.3, seed=0)
    features = blind.feature_matrix(candidate_list)   # [n, len(FEATURE_NAMES)]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from app.domain.featurize import JobFacts, MemberFacts, facts_feature_matrix, job_facts, member_facts
from app.domain.schemas import Job, Member
from training.data.lists import CandidateList

_Facts = TypeVar("_Facts", MemberFacts, JobFacts)


def unrecognised(facts: _Facts) -> _Facts:
    """The same facts with the title unresolved: no occupation, no family."""
    return dataclasses.replace(facts, occupation=None, family=None)


def _draw(ids: Sequence[str], share: float, rng: np.random.Generator) -> frozenset[str]:
    ordered = sorted(set(ids))  # the draw depends on the ids, not on list order
    count = round(share * len(ordered))
    return frozenset(rng.choice(ordered, size=count, replace=False).tolist()) if count else frozenset()


@dataclass
class RuleBlind:
    """Which members and jobs are rule-blind, and their (cached) facts."""

    members: frozenset[str]
    jobs: frozenset[str]
    _job_facts: dict[str, JobFacts] = field(default_factory=dict, repr=False)

    @classmethod
    def draw(cls, lists: Sequence[CandidateList], share: float, seed: int) -> RuleBlind:
        """``share`` of the distinct members and, independently, of the distinct jobs of ``lists``."""
        rng = np.random.default_rng([seed, 17])
        members = _draw([lst.member.member_id for lst in lists], share, rng)
        jobs = _draw([job.job_id for lst in lists for job in lst.jobs], share, rng)
        return cls(members, jobs)

    def member_facts(self, member: Member) -> MemberFacts:
        """The member's facts, title unresolved if the member was drawn."""
        facts = member_facts(member)
        return unrecognised(facts) if member.member_id in self.members else facts

    def job_facts(self, job: Job) -> JobFacts:
        """The job's facts (computed once per job), title unresolved if the job was drawn."""
        facts = self._job_facts.get(job.job_id)
        if facts is None:
            facts = job_facts(job)
            facts = unrecognised(facts) if job.job_id in self.jobs else facts
            self._job_facts[job.job_id] = facts
        return facts

    def feature_matrix(self, candidate_list: CandidateList) -> np.ndarray:
        """The list's match features with the drawn members' and jobs' titles unresolved."""
        member = self.member_facts(candidate_list.member)
        return facts_feature_matrix(member, [self.job_facts(job) for job in candidate_list.jobs])
