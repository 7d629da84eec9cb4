"""`python -m training generate`: write a seeded marketplace (members, jobs, candidate pairs with engagement).

Jobs are held in memory (candidates are drawn from them); members and pairs are streamed to disk,
so a run with millions of pairs needs memory for the job catalogue only. The
catalogue is a base of ``jobs`` postings plus the openings materialised near each member.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import random
import time
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from app.domain.skills import default_lexicon
from training.data import dataset as layout
from training.data.engagement import ACTIONS, POSITIVE_ACTIONS, simulate_action
from training.data.generator import PRESETS, GeneratorConfig, MarketplaceGenerator, Opening
from training.data.jsonl import JsonlWriter
from training.data.retrieval import CatalogueIndex
from training.data.taxonomy import default_taxonomy
from training.policy.judge import judge
from training.policy.policy import default_policy

GENERATOR_VERSION = 1


def generate(config: GeneratorConfig, out_dir: str | Path, preset: str = "custom", progress: bool = True) -> dict:
    """Generate a marketplace into ``out_dir`` and return its card (also written as dataset.json)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    taxonomy, lexicon, policy = default_taxonomy(), default_lexicon(), default_policy()
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
                grade = judge(member, job, truth.view(), job_truth.view(), policy).grade
                age_days = (config.as_of - job.posted_at).days
                action = simulate_action(rng, member, job, grade, position, job_truth.popularity, age_days)
                actions[action] += 1
                pair_file.write({"member_id": member.member_id, "job_id": job.job_id, "position": position, "action": action})
        pair_count = pair_file.count

    card = {
        "kind": "generated",
        "generator_version": GENERATOR_VERSION,
        "preset": preset,
        "seed": config.seed,
        "config": {k: str(v) if isinstance(v, dt.date) else v for k, v in dataclasses.asdict(config).items()},
        "counts": {"members": config.members, "jobs": len(index.jobs), "pairs": pair_count,
                   "occupations": len(taxonomy.occupations), "families": len(taxonomy.families)},
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by `generate` and `data`."""
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny", help="size preset (default: tiny)")
    parser.add_argument("--out", type=Path, help="output folder (default: data/<preset>)")
    parser.add_argument("--seed", type=int, help="random seed (default: the preset's)")
    parser.add_argument("--members", type=int, help="override the preset's member count")
    parser.add_argument("--jobs", type=int, help="override the preset's job count")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def config_from_args(args: argparse.Namespace) -> GeneratorConfig:
    """The preset with the command line's overrides applied (validated)."""
    overrides = {k: getattr(args, k) for k in ("seed", "members", "jobs") if getattr(args, k) is not None}
    for key in ("members", "jobs"):
        if key in overrides and overrides[key] < 1:
            raise SystemExit(f"error: --{key} must be at least 1")
    return dataclasses.replace(PRESETS[args.preset], **overrides)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the generate stage."""
    parser = argparse.ArgumentParser(prog="python -m training generate", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    config = config_from_args(args)
    out = args.out or Path("data") / args.preset
    card = generate(config, out, preset=args.preset, progress=not args.no_progress)
    counts = card["counts"]
    print(f"wrote {counts['pairs']} pairs for {counts['members']} members over {counts['jobs']} jobs to {out}")
    return 0
