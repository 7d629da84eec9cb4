"""The label-budget ablation on the tiny dataset: both arms at every budget, the outputs it promises."""

from __future__ import annotations

import json

import pytest

from training.config import load_config
from training.data.lists import load_lists
from training.distill import ablation
from training.distill.ablation import format_table, labelled_prefix, run_ablation
from training.errors import TrainingError
from training.policy.policy import default_policy

# Small enough for CI: one labelled list of a pool of three, a one-layer teacher, one epoch each.
OVERRIDES = [
    "ablation.budgets=[100]",
    "ablation.pool_members=3",
    "ablation.teacher_epochs=1",
    "teacher.layers=1",
    "teacher.val_members=1",
    "student.epochs=1",
    "lists.score_test_members=2",
]


def test_labelled_prefix_takes_whole_lists_within_the_budget(tiny_dataset):
    lists = load_lists(tiny_dataset, ("train",), 5)
    first = len(lists[0])
    assert labelled_prefix(lists, first) == 1
    assert labelled_prefix(lists, first + len(lists[1]) - 1) == 1
    assert labelled_prefix(lists, 1) == 1  # never empty
    assert labelled_prefix(lists, None) == 5


def test_ablation_writes_the_curve_for_every_arm(tiny_dataset, tmp_path):
    config = load_config("tiny", overrides=OVERRIDES)
    report = run_ablation(tiny_dataset, tmp_path, config, default_policy(), progress=False)
    out = tmp_path / "ablation"
    assert {p.name for p in out.iterdir()} >= {"metrics.json", "table.md", "curve.png"}
    assert json.loads((out / "metrics.json").read_text())["points"] == report["points"]
    small, everything = report["points"]
    assert small["labelled_lists"] == 1 < small["pool_lists"] == 3
    assert everything["labelled_pairs"] == everything["pool_pairs"] > small["labelled_pairs"]
    for point in report["points"]:
        for arm in ("labels only", "labels + engagement", "distilled", "teacher"):
            assert 0.0 <= point[arm]["ndcg@10"] <= 1.0
    assert format_table(report).count("\n") == 2 + len(report["points"])


def test_a_stopped_run_resumes_from_the_budgets_already_measured(tiny_dataset, tmp_path, monkeypatch):
    config = load_config("tiny", overrides=OVERRIDES)
    first = run_ablation(tiny_dataset, tmp_path, config, default_policy(), progress=False)

    def no_training(*args, **kwargs):
        raise AssertionError("a kept budget was trained again")

    fit, prepare = ablation.fit, ablation.prepare
    monkeypatch.setattr(ablation, "train_teacher", no_training)
    monkeypatch.setattr(ablation, "fit", no_training)
    monkeypatch.setattr(ablation, "prepare", no_training)  # nothing to train: nothing is encoded either
    again = run_ablation(tiny_dataset, tmp_path, config, default_policy(), progress=False)
    assert again["points"] == first["points"]

    # A point kept before the "labels + engagement" arm existed gets that arm: one student, no teacher.
    kept = tmp_path / "ablation" / "points" / f"labels-{first['points'][0]['labelled_pairs']}.json"
    stored = json.loads(kept.read_text())
    del stored["result"]["labels + engagement"]
    kept.write_text(json.dumps(stored))
    monkeypatch.setattr(ablation, "fit", fit)
    monkeypatch.setattr(ablation, "prepare", prepare)
    completed = run_ablation(tiny_dataset, tmp_path, config, default_policy(), progress=False)
    arm = completed["points"][0]["labels + engagement"]
    assert 0.0 <= arm["ndcg@10"] <= 1.0
    assert json.loads(kept.read_text())["result"]["labels + engagement"] == arm
    monkeypatch.setattr(ablation, "fit", no_training)
    monkeypatch.setattr(ablation, "prepare", no_training)

    # Which budgets run is not a setting of a budget's result: a run of the first budget alone reuses it.
    alone = load_config("tiny", overrides=[*OVERRIDES, "ablation.include_all=false"])
    assert run_ablation(tiny_dataset, tmp_path, alone, default_policy(), progress=False)["points"] == [
        completed["points"][0]
    ]
    nothing = load_config("tiny", overrides=[*OVERRIDES, "ablation.budgets=[]", "ablation.include_all=false"])
    with pytest.raises(TrainingError, match="nothing to measure"):
        run_ablation(tiny_dataset, tmp_path, nothing, default_policy(), progress=False)

    # Other settings: nothing kept applies, the first budget trains again.
    changed = load_config("tiny", overrides=[*OVERRIDES, "student.epochs=2"])
    with pytest.raises(AssertionError, match="trained again"):
        run_ablation(tiny_dataset, tmp_path, changed, default_policy(), progress=False)


def test_the_table_shows_each_arms_engagement_auc_and_the_rules_row():
    arm = lambda ndcg, auc: {"ndcg@10": ndcg, "combined": 0.8, "engagement_auc": auc}  # noqa: E731
    point = {
        "labelled_pairs": 997,
        "labelled_lists": 8,
        "labels only": arm(0.9366, 0.737),
        "distilled": arm(0.9359, 0.836),
        "teacher": {"ndcg@10": 0.936},
    }  # a point kept before the "labels + engagement" arm existed
    report = {"points": [point], "rules": {"ndcg@10": 0.944, "combined": 0.845}}  # and before the rules' AUC
    rows = format_table(report).splitlines()
    assert rows[0].count("|") == rows[1].count("|") == rows[2].count("|") == rows[3].count("|") == 6
    assert rows[2] == "| 997 (8) | 0.937 / 0.800 / 0.737 | – | 0.936 / 0.800 / 0.836 | 0.936 |"
    assert rows[3] == "| rules (no labels) | 0.944 / 0.845 / – | | | |"
