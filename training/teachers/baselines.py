"""Baselines every model must beat: random, lexical (BM25 over skills and title), the
off-the-shelf pretrained encoder used zero-shot (cosine of member and job embeddings), and the
rules: the judge's field path, which reads only the request fields (no latent truth)."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from app.domain.canonical import FieldCanonicalizer
from app.domain.featurize import job_text, member_text, strip_boilerplate
from app.domain.occupations import default_taxonomy
from app.domain.schemas import Job
from app.domain.skills import default_lexicon
from training.data.lists import CandidateList
from training.policy.judge import FUNCTION_SAME_FAMILY, FUNCTION_SAME_OCCUPATION, judge
from training.policy.policy import Policy, default_policy

_WORD = re.compile(r"[a-z0-9+#]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def random_scores(lists: list[CandidateList], seed: int = 0) -> list[np.ndarray]:
    """Uniform random scores (seeded)."""
    rng = np.random.default_rng(seed)
    return [rng.random(len(lst)) for lst in lists]


def lexical_scores(lists: list[CandidateList], k1: float = 1.2, b: float = 0.75) -> list[np.ndarray]:
    """BM25 of the member's headline and skills (query) against each job's title, skills and
    boilerplate-free description; IDF over all evaluated jobs."""
    docs = {}
    for candidate_list in lists:
        for job in candidate_list.jobs:
            if job.job_id not in docs:
                docs[job.job_id] = _words(
                    " ".join(
                        [job.title, *job.required_skills, *job.preferred_skills, strip_boilerplate(job.description)]
                    )
                )
    df = Counter(w for words in docs.values() for w in set(words))
    n = len(docs)
    idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}
    avg_len = sum(len(w) for w in docs.values()) / max(1, n)
    out = []
    for candidate_list in lists:
        query = set(_words(" ".join([candidate_list.member.headline, *candidate_list.member.skills])))
        scores = []
        for job in candidate_list.jobs:
            words = docs[job.job_id]
            tf = Counter(words)
            norm = k1 * (1 - b + b * len(words) / avg_len)
            scores.append(sum(idf.get(w, 0.0) * tf[w] * (k1 + 1) / (tf[w] + norm) for w in query if w in tf))
        out.append(np.array(scores))
    return out


def zero_shot_scores(lists: list[CandidateList], batch_size: int = 64, max_length: int = 128) -> list[np.ndarray]:
    """Cosine similarity of mean-pooled all-MiniLM-L6-v2 embeddings of member text and job text."""
    from training.teachers.encoder import load_encoder, pooled_embeddings

    tokenizer, model, _ = load_encoder()
    model.eval()

    def embed(texts: list[str]) -> np.ndarray:
        vectors = pooled_embeddings(model, tokenizer, texts, max_length, batch_size)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    jobs: dict[str, Job] = {}
    for candidate_list in lists:
        for job in candidate_list.jobs:
            jobs.setdefault(job.job_id, job)
    ids = list(jobs)
    job_vectors = dict(zip(ids, embed([job_text(jobs[i]) for i in ids]), strict=False))
    member_vectors = embed([member_text(lst.member) for lst in lists])
    return [np.array([job_vectors[j.job_id] @ member_vectors[i] for j in lst.jobs]) for i, lst in enumerate(lists)]


# Tie-breakers inside a grade, together < 1 so the grade always dominates.
_COVERAGE_WEIGHT = 0.1
_FUNCTION_BONUS = {FUNCTION_SAME_OCCUPATION: 0.05, FUNCTION_SAME_FAMILY: 0.025}


def rules_scores(
    lists: list[CandidateList], policy: Policy | None = None, canonicalizer: FieldCanonicalizer | None = None
) -> list[np.ndarray]:
    """The judge's field path as a ranker: each pair's grade under the policy, computed from the
    member's and job's schema fields through the canonicaliser (never the generator's truth);
    ties broken by required-skill coverage, then by function (same occupation > same family).

    score = grade + 0.1 * coverage + {0.05 same occupation, 0.025 same family, 0 other}
    """
    policy = policy or default_policy()
    canon = canonicalizer or FieldCanonicalizer(default_taxonomy(), default_lexicon())
    job_views = {}
    out = []
    for candidate_list in lists:
        member = candidate_list.member
        member_view = canon.member_view(member)
        scores = []
        for job in candidate_list.jobs:
            if job.job_id not in job_views:
                job_views[job.job_id] = canon.job_view(job)
            verdict = judge(member, job, member_view, job_views[job.job_id], policy)
            scores.append(
                verdict.grade + _COVERAGE_WEIGHT * verdict.coverage + _FUNCTION_BONUS.get(verdict.function, 0.0)
            )
        out.append(np.array(scores))
    return out
