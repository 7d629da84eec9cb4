"""Simulate a seeded marketplace to disk: members, jobs, candidate pairs and what members did.

Members react to how well a job truly fits them: the caller passes that grade (the policy judge on
latent truth, see training/policy/labelled_dataset.py), so this stage needs no judge of its own. Jobs are held in memory (candidates are drawn from them); members and pairs are streamed to disk,
so a run with millions of pairs needs memory for the job catalogue only. The
catalogue is a base of ``jobs`` postings plus the openings materialised near each member.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from app.domain.canonical import CanonicalView
from app.domain.occupations import default_taxonomy
from app.domain.schemas import Job, Member
from app.domain.skills import default_lexicon
from training.config import DataConfig
from training.data import dataset as layout
from training.data.engagement import ACTIONS, POSITIVE_ACTIONS, simulate_action
from training.data.jsonl import JsonlWriter
from training.data.marketplace import MarketplaceGenerator, Opening
from training.data.retrieval import CatalogueIndex

GENERATOR_VERSION = 1

# The true grade (0-4) of a (member, job) pair given both sides' latent canonical views.
Grader = Callable[[Member, Job, CanonicalView, CanonicalView], int]


def generate(
    config: DataConfig, out_dir: str | Path, grade: Grader, preset: str = "custom", progress: bool = True
) -> dict:
    """Generate a marketplace into ``out_dir`` and return its card (also written as dataset.json).

    ``grade`` gives the true fit members react to (see module docstring)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    taxonomy, lexicon = default_taxonomy(), default_lexicon()
    generator = MarketplaceGenerator(config, taxonomy, lexicon)

    index = CatalogueIndex()
    actions: Counter[str] = Counter()
    with (
        JsonlWriter(out / layout.JOBS) as job_file,
        JsonlWriter(out / layout.JOB_TRUTH) as job_truth_file,
        JsonlWriter(out / layout.MEMBERS) as member_file,
        JsonlWriter(out / layout.MEMBER_TRUTH) as member_truth_file,
        JsonlWriter(out / layout.PAIRS) as pair_file,
    ):

        def add_job(near: Opening | None = None) -> None:
            job, truth = generator.make_job(len(index.jobs), near)
            job_file.write(job)
            job_truth_file.write(dataclasses.asdict(truth))
            index.add(job, truth)

        for _ in tqdm(range(config.jobs), desc="jobs", unit="job", disable=not progress):
            add_job()
        for i in tqdm(range(config.members), desc="members", unit="member", disable=not progress):
            member, truth = generator.make_member(i)
            member_file.write(member)
            member_truth_file.write(dataclasses.asdict(truth))
            rng = random.Random(f"{config.seed}:candidates:{i}")
            for near in generator.local_openings(rng, member, truth):
                add_job(near)
            count = rng.randint(config.min_candidates, config.max_candidates)
            for position, j in enumerate(index.candidates(rng, member, truth, count)):
                job, job_truth = index.jobs[j], index.truths[j]
                # Members react to true fit: the policy grade on latent truth.
                fit = grade(member, job, truth.view(), job_truth.view())
                assert job.posted_at is not None  # the generator dates every job
                age_days = (config.as_of - job.posted_at).days
                action = simulate_action(rng, member, job, fit, position, job_truth.popularity, age_days)
                actions[action] += 1
                pair_file.write(
                    {"member_id": member.member_id, "job_id": job.job_id, "position": position, "action": action}
                )
        pair_count = pair_file.count

    card = {
        "kind": "generated",
        "generator_version": GENERATOR_VERSION,
        "preset": preset,
        "seed": config.seed,
        "config": config.model_dump(mode="json"),
        "counts": {
            "members": config.members,
            "jobs": len(index.jobs),
            "pairs": pair_count,
            "occupations": len(taxonomy.occupations),
            "families": len(taxonomy.families),
        },
        "engagement": {
            "actions": {a: actions[a] for a in ACTIONS},
            "positive_rate": round(sum(actions[a] for a in POSITIVE_ACTIONS) / max(1, pair_count), 4),
        },
        "timing_seconds": {"generate": round(time.perf_counter() - started, 2)},
        "attribution": taxonomy.attribution,
    }
    write_card(out, card)
    return card


def write_card(out: Path, card: dict) -> None:
    """Write dataset.json (the dataset's card)."""
    (out / layout.CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
