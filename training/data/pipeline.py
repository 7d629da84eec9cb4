"""`python -m training data`: generate a marketplace and judge it, one labelled dataset in one command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.data import dataset as layout
from training.data.generate import add_arguments, config_from_args, generate
from training.policy.labelling import judge_dataset, summary_line, update_card
from training.policy.policy import DEFAULT_POLICY_PATH, load_policy


def build_dataset(args: argparse.Namespace) -> dict:
    """Generate then judge into args.out; returns the finished card."""
    policy = load_policy(args.policy)
    config = config_from_args(args)
    out = args.out or Path("data") / args.preset
    generate(config, out, preset=args.preset, progress=not args.no_progress)
    labels = judge_dataset(out, "latent", policy, progress=not args.no_progress)
    update_card(out, labels)
    return json.loads((out / layout.CARD).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the data stage."""
    parser = argparse.ArgumentParser(prog="python -m training data", description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--policy", type=Path, default=DEFAULT_POLICY_PATH, help="policy TOML (default: the bundled policy)")
    args = parser.parse_args(argv)
    card = build_dataset(args)
    counts = card["counts"]
    print(f"{counts['members']} members, {counts['jobs']} jobs, {counts['pairs']} pairs -> {args.out or Path('data') / args.preset}")
    print(summary_line(card["labels"]))
    return 0
