"""Teacher presets: ``tiny`` trains and scores in well under 10 minutes on 2 cores (CI);
``full`` is sized so the whole offline pipeline fits 75 minutes on this machine."""

from __future__ import annotations

from dataclasses import dataclass


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
    val_members: int = 20
    score_train_members: int = 200  # train-split lists scored for the students
    score_test_members: int = 80  # held-out lists scored for evaluation
    shard_members: int = 25  # lists per teacher-score shard
    seed: int = 0


PRESETS: dict[str, TeacherConfig] = {
    "tiny": TeacherConfig(
        layers=2, max_length=64, train_members=8, max_list=40, chunk=20, epochs=1,
        val_members=4, score_train_members=10, score_test_members=8, shard_members=4,
    ),
    "full": TeacherConfig(
        layers=6, max_length=128, train_members=120, max_list=40, chunk=20, epochs=1,
        val_members=20, score_train_members=150, score_test_members=80, shard_members=25,
    ),
}
