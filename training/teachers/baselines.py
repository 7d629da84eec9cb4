"""Baselines every model must beat: random, lexical (BM25 over skills and title), and the
off-the-shelf pretrained encoder used zero-shot (cosine of member and job embeddings)."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from app.domain.featurize import job_text, member_text, strip_boilerplate
from app.domain.schemas import Job
from training.data.lists import CandidateList

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
