"""The options every stage's command takes, and how they become one resolved run.

``--preset``, ``--config`` and ``--set`` select the settings (see training/config.py);
``--data`` and ``--runs`` the dataset and run folders (default: data/<preset>, runs/<preset>);
``--show-config`` prints the resolved settings with every key's meaning and exits.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from training.config import PRESETS, RunConfig, describe_keys, load_config


@dataclass(frozen=True)
class Run:
    """What a stage works with: the resolved settings and its folders."""

    config: RunConfig
    data: Path
    runs: Path


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """--preset, --config, --set and --show-config."""
    parser.add_argument("--preset", choices=PRESETS, default="tiny", help="settings preset (default: tiny)")
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML or JSON settings over the preset")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one setting, e.g. teacher.layers=6 (--show-config lists every key)",
    )
    parser.add_argument(
        "--show-config", action="store_true", help="print the resolved settings and their keys, then exit"
    )


def add_run_arguments(parser: argparse.ArgumentParser, progress: bool = True, policy: bool = False) -> None:
    """The options every stage after the data takes (and, for stages that blend relevance and
    engagement, the policy file)."""
    add_config_arguments(parser)
    parser.add_argument("--data", type=Path, help="labelled dataset folder (default: data/<preset>)")
    parser.add_argument("--runs", type=Path, help="run folder (default: runs/<preset>)")
    if progress:
        parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    if policy:
        add_policy_argument(parser)


def add_policy_argument(parser: argparse.ArgumentParser) -> None:
    """--policy: the policy TOML (judge rules and the business blend)."""
    parser.add_argument("--policy", type=Path, help="policy TOML (default: the bundled policy)")


def resolve_config(args: argparse.Namespace, overrides: tuple[str, ...] = ()) -> RunConfig:
    """The settings the command line asks for; with --show-config, print them and exit."""
    config = load_config(args.preset, args.config, [*args.set, *overrides])
    if args.show_config:
        print(config.model_dump_json(indent=2))
        print("\nkeys (--set SECTION.KEY=VALUE):\n" + describe_keys())
        raise SystemExit(0)
    return config


def resolve_run(args: argparse.Namespace) -> Run:
    """(settings, dataset folder, run folder) from parsed run arguments."""
    return Run(
        resolve_config(args),
        args.data or Path("data") / args.preset,
        args.runs or Path("runs") / args.preset,
    )
