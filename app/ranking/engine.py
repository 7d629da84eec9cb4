"""The scoring engine: one loaded model, its job cache, and the cascade that plans within a budget.

Tiers, cheapest first:
  * ``features`` — the features-only scorer over the exact match features (~µs a job);
  * ``ranker``   — member tower once (its embedding is cached by member text), job embeddings from the cache (the job tower for jobs not
    seen before), interaction + heads over every candidate.
A request runs the ranker on every candidate when its budget allows. When the jobs not yet in the
cache cannot all be encoded in time, the engine encodes the most promising first (by the features
tier's score) in small chunks, checking the clock before each, and scores the rest with the
features tier: ``tier = "ranker+features"``, ``degraded = True``. When not even the member tower
fits, everything is scored by the features tier. Costs are measured as the engine runs
(exponentially weighted), starting from a warm-up at load time; jobs are encoded a few at a time
with a look at the clock in between, so a wrong estimate costs at most one small chunk. No reranker tier ships: it is not
built (see the README).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.domain.featurize import JobFacts, MemberFacts, facts_feature_matrix, job_facts, member_facts
from app.domain.schemas import Job, Member
from app.ranking.cache import CachedJob, JobCache, MemberCache, job_key
from app.ranking.student import StudentModel

ENCODE_CHUNK = 2  # jobs encoded between two looks at the clock
ENCODE_MARGIN = 1.25  # plan job encoding with this multiple of its measured cost (texts vary in length)
WARMUP_LENGTHS = (16, 32, 64, 96, 128)  # token lengths the sessions are warmed up on
MEMBER_CACHE_SIZE = 10_000  # member embeddings kept (LRU; under 1 kB each), and as many member sides
_member_json = Member.__pydantic_serializer__.to_json  # a member's content, every field


class CostModel:
    """Exponentially weighted costs (ms) of each step, per call or per job; thread-safe (the inference
    thread and the event loop both observe)."""

    def __init__(self, alpha: float = 0.2):
        self.alpha = alpha
        self._lock = threading.Lock()
        self.ms: dict[str, float] = {
            # "fixed": what a request costs after the engine returns (sorting, the response); the
            # route measures it.
            "member": 3.0,  # the member tower, for a member not seen before
            "member_expected": 3.0,  # the member step per request, cache hits included: what admission charges
            "encode_per_job": 3.0,
            "score_per_job": 0.02,
            "features_per_job": 0.02,
            "fixed": 1.0,
        }

    def observe(self, name: str, value_ms: float) -> None:
        """Fold one measurement of step ``name`` into its average."""
        if math.isfinite(value_ms) and value_ms >= 0:
            with self._lock:
                self.ms[name] = (1 - self.alpha) * self.ms[name] + self.alpha * value_ms

    def snapshot(self) -> dict[str, float]:
        """The current averages, rounded."""
        with self._lock:
            return {k: round(v, 4) for k, v in self.ms.items()}

    def request_ms(self, candidates: int) -> float:
        """Predicted inference-thread time of a ranking request over cached jobs (the ranker tier):
        what admission control charges it. Jobs not cached are not counted: the cascade degrades
        instead of encoding what does not fit."""
        with self._lock:
            ms = self.ms
            return ms["member_expected"] + (ms["score_per_job"] + ms["features_per_job"]) * candidates + ms["fixed"]


@dataclass
class RankedList:
    """A ranking as the API returns it: best first (ties in input order), cut to top_k, rounded."""

    results: list[dict[str, Any]]  # each in RankedJob's JSON shape (app/schemas.py)
    tier: str
    degraded: bool
    counts: dict[str, int]
    steps_ms: dict[str, float]


@dataclass
class RankOutcome:
    """Scores per candidate (in request order) and how they were made."""

    relevance: np.ndarray
    engagement: np.ndarray
    score: np.ndarray
    tier: str
    degraded: bool
    by_ranker: np.ndarray  # per candidate: True when the ranker scored it, False for the features tier
    counts: dict[str, int] = field(default_factory=dict)
    steps_ms: dict[str, float] = field(default_factory=dict)


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


class RankingEngine:
    """A model plus everything a request needs around it; thread-safe for concurrent callers."""

    def __init__(self, model: StudentModel, cache_size: int, member_cache_size: int = MEMBER_CACHE_SIZE):
        self.model = model
        self.cache = JobCache(cache_size)
        self.members: MemberCache[np.ndarray] = MemberCache(member_cache_size)
        # The match features' member side (canonicaliser, skills read from the text: ~0.3 ms), by the
        # member's JSON: a member who asks again skips it, as the tower.
        self.member_sides: MemberCache[MemberFacts] = MemberCache(member_cache_size)
        self.costs = CostModel()

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def version(self) -> str:
        return self.model.version

    # -- jobs ----------------------------------------------------------------------------------
    def _encode(self, jobs: Sequence[Job], keys: Sequence[bytes], facts: Sequence[JobFacts]) -> list[CachedJob]:
        started = time.perf_counter()
        texts = [self.model.job_text(job) for job in jobs]
        vectors = self.model.encode_jobs(texts)
        entries = [CachedJob(vectors[i], facts[i]) for i in range(len(jobs))]
        self.cache.put_many(list(zip(keys, entries, strict=False)), texts)  # texts: to warm the next version
        self.costs.observe("encode_per_job", _ms_since(started) / max(1, len(jobs)))
        return entries

    def index_jobs(self, jobs: Sequence[Job]) -> dict[str, int]:
        """Encode and cache the jobs not cached yet (PUT /v1/jobs); returns counts."""
        keys = [job_key(job) for job in jobs]
        found = self.cache.get_many(keys, count=False)  # the hit rate is the ranking requests'
        todo = [i for i, entry in enumerate(found) if entry is None]
        if todo:
            self._encode([jobs[i] for i in todo], [keys[i] for i in todo], [job_facts(jobs[i]) for i in todo])
        return {"received": len(jobs), "encoded": len(todo), "already_cached": len(jobs) - len(todo)}

    # -- ranking -------------------------------------------------------------------------------
    def ranked(
        self,
        member: Member,
        jobs: Sequence[Job],
        budget_ms: float,
        started: float | None = None,
        top_k: int | None = None,
        explain: bool = False,
        keys: Sequence[bytes] | None = None,
    ) -> RankedList:
        """:meth:`rank`, then sorted by score (a stable sort: equal scores keep the candidates' order),
        cut to ``top_k``, rounded to 6 decimals; with ``explain`` each result says which tier scored it."""
        outcome = self.rank(member, jobs, budget_ms, started, keys)
        order = np.argsort(-outcome.score, kind="stable")[:top_k].tolist()
        score, relevance, engagement = outcome.score.tolist(), outcome.relevance.tolist(), outcome.engagement.tolist()
        # Plain dicts in the answer's JSON shape (RankedJob's fields): the route writes them with orjson;
        # 100 pydantic objects and their serialisation cost ~0.4 ms a request more.
        results: list[dict[str, Any]] = []
        for rank, i in enumerate(order, start=1):
            result = {
                "job_id": jobs[i].job_id,
                "rank": rank,
                "score": round(score[i], 6),
                "scores": {"relevance": round(relevance[i], 6), "engagement": round(engagement[i], 6)},
            }
            if explain:
                result["tier"] = "ranker" if outcome.by_ranker[i] else "features"
            results.append(result)
        return RankedList(results, outcome.tier, outcome.degraded, outcome.counts, outcome.steps_ms)

    def rank(
        self,
        member: Member,
        jobs: Sequence[Job],
        budget_ms: float,
        started: float | None = None,
        keys: Sequence[bytes] | None = None,
    ) -> RankOutcome:
        """Score ``jobs`` for ``member`` within ``budget_ms`` counted from ``started`` (perf_counter);
        ``keys`` are the jobs' content keys when the caller has them (:func:`job_key` otherwise)."""
        started = time.perf_counter() if started is None else started
        deadline = started + budget_ms / 1000.0
        steps: dict[str, float] = {}
        n = len(jobs)
        t = time.perf_counter()
        keys = list(keys) if keys is not None else [job_key(job) for job in jobs]
        found = self.cache.get_many(keys)
        facts = [entry.facts if entry is not None else job_facts(job) for entry, job in zip(found, jobs, strict=False)]
        member_json = _member_json(member)
        member_side = self.member_sides.get(member_json)
        if member_side is None:
            member_side = member_facts(member)
            self.member_sides.put(member_json, member_side)
        features = facts_feature_matrix(member_side, facts)
        steps["prepare"] = _ms_since(t)
        self.costs.observe("features_per_job", steps["prepare"] / max(1, n))

        cost = self.costs.ms

        def left_ms() -> float:
            return (deadline - time.perf_counter()) * 1000.0 - cost["fixed"]

        def encodable() -> int:
            """Unseen jobs that can still be encoded, leaving time to score every candidate."""
            return int((left_ms() - cost["score_per_job"] * n) / (ENCODE_MARGIN * cost["encode_per_job"]))

        misses = [i for i, entry in enumerate(found) if entry is None]
        counts = {"candidates": n, "cached": n - len(misses), "encoded": 0, "features_only": 0, "member_cached": 0}
        if n == 0:
            empty = np.zeros(0, dtype=np.float32)
            return RankOutcome(empty, empty, empty, "ranker", False, np.zeros(0, dtype=bool), counts, steps)

        t = time.perf_counter()
        text = self.model.member_text(member)
        member_vector = self.members.get(text)
        counts["member_cached"] = int(member_vector is not None)
        if left_ms() < (cost["member"] if member_vector is None else 0.0) + cost["score_per_job"] * n:
            return self._features_only(features, keys, counts, steps)
        if member_vector is None:
            member_vector = self.model.encode_members([text])[0]
            self.members.put(text, member_vector)
            steps["member_tower"] = _ms_since(t)
            self.costs.observe("member", steps["member_tower"])
        self.costs.observe("member_expected", _ms_since(t))

        embeddings: list[np.ndarray | None] = [entry.embedding if entry is not None else None for entry in found]
        if misses:
            t = time.perf_counter()
            if encodable() < len(misses):
                # Most promising first: the features tier's score of each job not yet encoded.
                rel, eng = self.model.score_features(features[misses])
                order = np.argsort(-self.model.blend(rel, eng), kind="stable")
                misses = [misses[i] for i in order]
            encoded = 0
            while encoded < len(misses):
                chunk_size = min(ENCODE_CHUNK, len(misses) - encoded, encodable())
                if chunk_size <= 0:
                    break
                chunk = misses[encoded : encoded + chunk_size]
                entries = self._encode([jobs[i] for i in chunk], [keys[i] for i in chunk], [facts[i] for i in chunk])
                for i, entry in zip(chunk, entries, strict=False):
                    embeddings[i] = entry.embedding
                encoded += chunk_size
            counts["encoded"] = encoded
            steps["job_tower"] = _ms_since(t)

        t = time.perf_counter()
        have = np.array([e is not None for e in embeddings])
        relevance = np.zeros(n, dtype=np.float32)
        engagement = np.zeros(n, dtype=np.float32)
        # Rows go through the networks in content-key order, not request order: a matrix product's
        # result can differ in the last bit with a row's position, and a job's score must not
        # depend on where the request put it.
        canonical = sorted(range(n), key=keys.__getitem__)
        index = np.array([i for i in canonical if have[i]], dtype=np.int64)
        rest = np.array([i for i in canonical if not have[i]], dtype=np.int64)
        if len(index):
            rel, eng = self.model.score(member_vector, np.stack([embeddings[i] for i in index]), features[index])
            relevance[index], engagement[index] = rel, eng
        if len(rest):
            relevance[rest], engagement[rest] = self.model.score_features(features[rest])
        steps["score"] = _ms_since(t)
        self.costs.observe("score_per_job", steps["score"] / n)
        counts["features_only"] = int(len(rest))
        tier = "ranker" if not len(rest) else "ranker+features"
        return RankOutcome(
            relevance, engagement, self.model.blend(relevance, engagement), tier, bool(len(rest)), have, counts, steps
        )

    def _features_only(self, features: np.ndarray, keys: list[bytes], counts: dict, steps: dict) -> RankOutcome:
        t = time.perf_counter()
        canonical = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)  # see rank()
        relevance = np.zeros(len(keys), dtype=np.float32)
        engagement = np.zeros(len(keys), dtype=np.float32)
        relevance[canonical], engagement[canonical] = self.model.score_features(features[canonical])
        steps["score"] = _ms_since(t)
        counts["features_only"] = len(features)
        return RankOutcome(
            relevance,
            engagement,
            self.model.blend(relevance, engagement),
            "features",
            True,
            np.zeros(len(features), dtype=bool),
            counts,
            steps,
        )

    # -- start-up --------------------------------------------------------------------------------
    def warm_up(self) -> dict[str, float]:
        """Run every session on the token-length buckets in use (first runs allocate), then measure costs."""
        for length in WARMUP_LENGTHS:
            for tower in (self.model.member_tower, self.model.job_tower):
                if length <= tower.max_length:
                    tower.run_ids([tower.warm_up_ids(length)])
        member, jobs = smoke_request()
        for _ in range(3):
            self.model.rank(member, jobs)
        t = time.perf_counter()
        self.model.encode_members([self.model.member_text(member)])
        self.costs.ms["member"] = self.costs.ms["member_expected"] = _ms_since(t)
        t = time.perf_counter()
        self.model.encode_jobs([self.model.job_text(job) for job in jobs])
        self.costs.ms["encode_per_job"] = _ms_since(t) / len(jobs)
        return self.costs.snapshot()

    def smoke_check(self) -> None:
        """Rank a built-in request; raise ValueError unless the scores are finite, in range and order-free."""
        member, jobs = smoke_request()
        first = self.model.rank(member, jobs)
        again = self.model.rank(member, list(reversed(jobs)))
        if len(first.score) != len(jobs) or not np.all(np.isfinite(first.score)):
            raise ValueError("smoke ranking: scores missing or not finite")
        if (
            first.relevance.min() < 0
            or first.relevance.max() > 4
            or first.engagement.min() < 0
            or first.engagement.max() > 1
        ):
            raise ValueError("smoke ranking: head outputs out of range")
        if not np.allclose(first.score, again.score[::-1], atol=1e-5):
            raise ValueError("smoke ranking: scores depend on candidate order")
        if np.ptp(first.score) <= 0:
            raise ValueError("smoke ranking: every job got the same score")


def smoke_request() -> tuple[Member, list[Job]]:
    """A fixed member and four jobs from clearly good to clearly bad (start-up checks and warm-up)."""
    member = Member.model_validate(
        {
            "member_id": "smoke",
            "headline": "Senior backend engineer",
            "summary": "Python, SQL and Kubernetes; 8 years.",
            "skills": ["Python", "SQL", "Kubernetes", "Git"],
            "years_experience": 8,
            "seniority": "mid_senior",
            "location": {"country": "DE", "city": "Berlin"},
            "workplace_preference": "hybrid",
            "min_salary": {"amount": 70000, "currency": "EUR"},
        }
    )
    base: dict[str, object] = {
        "company": "Acme",
        "location": {"country": "DE", "city": "Berlin"},
        "workplace_type": "hybrid",
        "seniority": "mid_senior",
        "salary": {"min": 70000, "max": 90000, "currency": "EUR"},
    }
    jobs: list[dict[str, object]] = [
        {
            "job_id": "s1",
            "title": "Senior Backend Engineer",
            "required_skills": ["Python", "SQL"],
            "description": "Build APIs in Python on Kubernetes.",
        },
        {"job_id": "s2", "title": "Software Engineer", "required_skills": ["Java"], "description": "Java services."},
        {
            "job_id": "s3",
            "title": "Nurse",
            "required_skills": ["Patient care"],
            "description": "Ward nursing, shifts.",
            "location": {"country": "US", "city": "Boston"},
            "workplace_type": "onsite",
            "salary": None,
        },
        {
            "job_id": "s4",
            "title": "Truck Driver",
            "required_skills": ["Driving licence"],
            "seniority": "entry",
            "description": "Long-haul routes.",
            "location": {"country": "FR", "city": "Lyon"},
            "workplace_type": "onsite",
            "salary": {"min": 20000, "max": 25000, "currency": "EUR"},
        },
    ]
    return member, [Job.model_validate(base | job) for job in jobs]
