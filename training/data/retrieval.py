"""The candidate lists a retrieval stage would hand to ranking: good, borderline and bad jobs mixed.

Retrieval is recall-oriented and imprecise: it pulls jobs of the member's occupation, of related
occupations and of unrelated ones, mostly near the member but not only, and orders them by a noisy
score. Ranking's job is to sort that out.
"""

from __future__ import annotations

import random
from collections import defaultdict

from app.domain.schemas import Job, Member, WorkplaceType
from training.data.marketplace import JobTruth, MemberTruth


class CatalogueIndex:
    """Job catalogue indexed by occupation, family and country for candidate sampling."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self.truths: list[JobTruth] = []
        self.by_occupation: dict[str, list[int]] = defaultdict(list)
        self.by_family: dict[str, list[int]] = defaultdict(list)
        self.by_occupation_country: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.by_family_country: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.by_country: dict[str, list[int]] = defaultdict(list)

    def add(self, job: Job, truth: JobTruth) -> None:
        """Put one job in the catalogue."""
        i = len(self.jobs)
        self.jobs.append(job)
        self.truths.append(truth)
        country = job.location.country
        self.by_occupation[truth.occupation].append(i)
        self.by_family[truth.family].append(i)
        self.by_occupation_country[(truth.occupation, country)].append(i)
        self.by_family_country[(truth.family, country)].append(i)
        self.by_country[country].append(i)

    def candidates(self, rng: random.Random, member: Member, truth: MemberTruth, count: int) -> list[int]:
        """``count`` distinct catalogue indices for the member, in retrieval order (best guess first)."""
        count = min(count, len(self.jobs))
        country = member.location.country
        share_same = rng.uniform(0.35, 0.5)
        share_family = rng.uniform(0.25, 0.35)
        everywhere = range(len(self.jobs))
        pools = [
            (
                share_same,
                self.by_occupation_country.get((truth.occupation, country)),
                self.by_occupation[truth.occupation],
            ),
            (share_family, self.by_family_country.get((truth.family, country)), self.by_family[truth.family]),
            (1.0, self.by_country.get(country), everywhere),
        ]
        chosen: dict[int, None] = {}
        attempts = 0
        while len(chosen) < count and attempts < count * 20:
            attempts += 1
            roll = rng.random()
            local, anywhere = next((loc, anyw) for share, loc, anyw in pools if (roll := roll - share) < 0)
            # Retrieval mostly stays in the member's country, but not always.
            pool = local if local and rng.random() < 0.8 else anywhere
            # Retrieval favours jobs the member could take (nearby or remote), but not strictly.
            draws = [pool[rng.randrange(len(pool))] for _ in range(10)]
            weights = [self._retrieval_weight(member, self.jobs[i]) for i in draws]
            chosen[rng.choices(draws, weights=weights)[0]] = None
        indices = list(chosen)
        scores = {i: self._retrieval_score(rng, member, truth, i) for i in indices}
        return sorted(indices, key=lambda i: -scores[i])

    @staticmethod
    def _retrieval_weight(member: Member, job: Job) -> float:
        """How strongly retrieval favours a job: nearby (or remote in-country) and at a close level."""
        same_country = job.location.country == member.location.country
        if same_country and job.location.city == member.location.city:
            weight = 10.0
        elif same_country and job.workplace_type is WorkplaceType.remote:
            weight = 6.0
        else:
            weight = 1.0 if same_country else 0.3
        if member.seniority is not None and job.seniority is not None:
            gap = abs(member.seniority.level - job.seniority.level)
            weight *= 1.0 if gap <= 1 else 0.4 if gap == 2 else 0.15
        return weight

    def _retrieval_score(self, rng: random.Random, member: Member, truth: MemberTruth, index: int) -> float:
        job, job_truth = self.jobs[index], self.truths[index]
        score = rng.gauss(0, 1.0)
        score += 1.0 if job_truth.occupation == truth.occupation else 0.5 if job_truth.family == truth.family else 0.0
        score += 0.5 if job.location.country == member.location.country else 0.0
        score += 0.3 if job.workplace_type is WorkplaceType.remote or job.location.city == member.location.city else 0.0
        overlap = len(set(job_truth.required) & set(truth.skills)) / max(1, len(job_truth.required))
        return score + overlap
