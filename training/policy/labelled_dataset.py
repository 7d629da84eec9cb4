"""`python -m training generate` and `python -m training data`: a simulated marketplace, then labelled.

``generate`` writes members, jobs and candidate pairs whose engagement follows the policy's grade
on latent truth (members react to how well a job really fits them); ``data`` also judges every
pair (labels.jsonl): one labelled dataset in one command. Both live here, after the judge, since
the simulation needs the policy's grades.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.domain.canonical import CanonicalView
from app.domain.schemas import Job, Member
from training.cli import add_config_arguments, add_policy_argument, resolve_config
from training.config import DataConfig, RunConfig
from training.data import dataset as layout
from training.data.simulate import Grader, generate
from training.policy.judge import judge
from training.policy.label_dataset import judge_dataset, summary_line, update_card
from training.policy.policy import Policy, load_policy


def policy_grader(policy: Policy) -> Grader:
    """The true grade members react to: the judge under ``policy`` on both sides' latent views."""

    def grade(member: Member, job: Job, member_view: CanonicalView, job_view: CanonicalView) -> int:
        return judge(member, job, member_view, job_view, policy).grade

    return grade


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by `generate`, `data` and `demo`."""
    add_config_arguments(parser)
    add_policy_argument(parser)
    parser.add_argument("--out", type=Path, help="output folder (default: data/<preset>)")
    parser.add_argument("--seed", type=int, help="random seed (same as --set data.seed=N)")
    parser.add_argument("--members", type=int, help="member count (same as --set data.members=N)")
    parser.add_argument("--jobs", type=int, help="job count (same as --set data.jobs=N)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The run settings with --seed/--members/--jobs applied as data.* overrides."""
    shortcuts = tuple(
        f"data.{key}={getattr(args, key)}" for key in ("seed", "members", "jobs") if getattr(args, key) is not None
    )
    return resolve_config(args, shortcuts)


def output_folder(args: argparse.Namespace) -> Path:
    """--out, or data/<preset>."""
    return args.out or Path("data") / args.preset


def build_dataset(config: DataConfig, out: Path, policy: Policy, preset: str = "custom", progress: bool = True) -> dict:
    """Generate then judge into ``out``; returns the finished card."""
    generate(config, out, policy_grader(policy), preset=preset, progress=progress)
    labels = judge_dataset(out, "latent", policy, progress=progress)
    update_card(out, labels)
    return json.loads((out / layout.CARD).read_text(encoding="utf-8"))


def build_from_args(args: argparse.Namespace) -> dict:
    """build_dataset with the settings, folder and policy the command line names."""
    config = config_from_args(args)
    return build_dataset(config.data, output_folder(args), load_policy(args.policy), args.preset, not args.no_progress)


def generate_main(argv: list[str] | None = None) -> int:
    """Entry point of the generate stage."""
    parser = argparse.ArgumentParser(
        prog="python -m training generate",
        description="generate a seeded marketplace (members, jobs, candidate pairs, engagement)",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    config = config_from_args(args)
    out = output_folder(args)
    card = generate(config.data, out, policy_grader(load_policy(args.policy)), args.preset, not args.no_progress)
    counts = card["counts"]
    print(f"wrote {counts['pairs']} pairs for {counts['members']} members over {counts['jobs']} jobs to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the data stage."""
    parser = argparse.ArgumentParser(
        prog="python -m training data", description="generate a marketplace and judge it: one labelled dataset"
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    card = build_from_args(args)
    counts = card["counts"]
    print(f"{counts['members']} members, {counts['jobs']} jobs, {counts['pairs']} pairs -> {output_folder(args)}")
    print(summary_line(card["labels"]))
    return 0
