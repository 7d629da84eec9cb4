"""Teacher presets: ``tiny`` trains and scores in well under 10 minutes on 2 cores (CI);
``full`` is sized so the whole offline pipeline fits 75 minutes on this machine."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TeacherConfig:
    """Plain values; every one can be overridden on the command line (--set key=value)."""

    layers: int  # encoder layers kept (all-MiniLM-L6-v2 has 6)
    max_length: int  # wordpiece tokens of the (member, job) pair
    train_members: int  # candidate lists used for training (train split)
    max_list: int  # candidates sampled per list per epoch (keeps lists varied and steps cheap)
    chunk: int  # pairs per optimiser step (a slice of one member's list: the listwise unit)
    epochs: int
    lr: float = 4e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.1
    label_sigma: float = 0.5  # width of the soft grade targets
    listwise_weight: float = 0.5
    engagement_warm_start: bool = True  # engagement encoder starts from the relevance teacher's
    # PAL position-bias-aware engagement loss. Off: on logged data it lowered engagement AUC
    # (0.649 vs 0.711 on 20 val lists of the full data) since the evaluation is position-biased too.
    position_aware: bool = False
    val_members: int = 20
    score_train_members: int = 200  # train-split lists scored for the students
    score_test_members: int = 80  # held-out lists scored for evaluation
    shard_members: int = 25  # lists per teacher-score shard
    seed: int = 0


PRESETS: dict[str, TeacherConfig] = {
    "tiny": TeacherConfig(
        layers=2,
        max_length=64,
        train_members=8,
        max_list=40,
        chunk=20,
        epochs=1,
        val_members=4,
        score_train_members=10,
        score_test_members=8,
        shard_members=4,
    ),
    # 4 of MiniLM's 6 layers at 96 tokens: ~80 ms a training pair, ~10 ms a scored pair on 2 cores.
    "full": TeacherConfig(
        layers=4,
        max_length=96,
        train_members=120,
        max_list=40,
        chunk=20,
        epochs=1,
        val_members=20,
        score_train_members=150,
        score_test_members=80,
        shard_members=25,
    ),
}


def config_with_overrides(preset: str, overrides: list[str]) -> TeacherConfig:
    """The preset with `key=value` overrides (types follow the field's default)."""
    cfg = PRESETS[preset]
    changes = {}
    for item in overrides:
        key, _, value = item.partition("=")
        if key not in {f.name for f in dataclasses.fields(cfg)}:
            raise SystemExit(f"error: --set {item}: unknown setting '{key}'")
        kind = type(getattr(cfg, key))
        try:
            if kind is bool:
                if value.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(value)
                changes[key] = value.lower() in ("true", "1")
            else:
                changes[key] = kind(value)
        except ValueError:
            raise SystemExit(f"error: --set {item}: '{value}' is not a valid {kind.__name__}") from None
    return dataclasses.replace(cfg, **changes)


def add_run_arguments(parser: argparse.ArgumentParser, progress: bool = True, policy: bool = False) -> None:
    """The options every teacher-side stage takes: preset, data and run folders, overrides
    (and, for stages that blend relevance and engagement, the policy file)."""
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    parser.add_argument("--data", type=Path, help="labelled dataset folder (default: data/<preset>)")
    parser.add_argument("--runs", type=Path, help="run folder (default: runs/<preset>)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a preset value")
    if progress:
        parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    if policy:
        from training.policy.policy import DEFAULT_POLICY_PATH

        parser.add_argument(
            "--policy", type=Path, default=DEFAULT_POLICY_PATH, help="policy TOML (for the business blend)"
        )


def run_paths(args: argparse.Namespace) -> tuple[TeacherConfig, Path, Path]:
    """(config with overrides, dataset folder, run folder) from parsed run arguments."""
    cfg = config_with_overrides(args.preset, args.set)
    return cfg, args.data or Path("data") / args.preset, args.runs or Path("runs") / args.preset
