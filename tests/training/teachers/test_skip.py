"""A teacher with nothing to learn is skipped with a reason, never trained for 0 steps; a report never
carries NaN."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tests.conftest import make_job, make_member
from training.config import load_config
from training.data.lists import CandidateList
from training.distill.train import _rounded, format_ablation
from training.export.manifest_writer import held_out_metrics
from training.teachers.train import CARD, CHECKPOINT, load_teacher, nothing_to_learn, train_teacher


def _list(positive: list[float]) -> CandidateList:
    n = len(positive)
    return CandidateList(
        make_member(),
        tuple(make_job(job_id=f"j-{i}") for i in range(n)),
        np.zeros(n, dtype=np.int64),
        np.array(positive, dtype=float),
        np.arange(n),
    )


@pytest.mark.parametrize(
    ("positive", "reason"),
    [
        ([math.nan, math.nan], "no pair records an action"),
        ([0.0, 0.0, math.nan], "every recorded action is dismiss/none"),
        ([1.0, 1.0], "every recorded action is apply/click"),
        ([1.0, 0.0], None),
    ],
)
def test_engagement_needs_both_outcomes(positive, reason):
    found = nothing_to_learn("engagement", [_list(positive)])
    assert (found is None) if reason is None else (reason in found)
    assert nothing_to_learn("relevance", [_list(positive)]) is None


def test_skipped_teacher_writes_a_card_and_no_checkpoint(tiny_dataset, tmp_path):
    no_actions = tmp_path / "data"
    no_actions.mkdir()
    for name in ("members.jsonl", "jobs.jsonl", "labels.jsonl", "dataset.json"):
        (no_actions / name).write_bytes((tiny_dataset / name).read_bytes())
    rows = [json.loads(line) for line in (tiny_dataset / "pairs.jsonl").read_text().splitlines()]
    (no_actions / "pairs.jsonl").write_text("".join(json.dumps({**r, "action": None}) + "\n" for r in rows))
    out = tmp_path / "engagement"
    out.mkdir()
    (out / CHECKPOINT).write_bytes(b"stale")
    card = train_teacher("engagement", no_actions, out, load_config("tiny").teacher, progress=False)
    assert "no pair records an action" in card["skipped"] and card["data"]["steps"] == 0
    assert not (out / CHECKPOINT).exists() and json.loads((out / CARD).read_text()) == card
    assert load_teacher(out) == (None, None, card)


def test_undefined_metrics_are_null_not_nan():
    metrics = _rounded({"ndcg@10": 0.81234, "engagement_auc": math.nan, "combined": 0.7})
    assert metrics == {"ndcg@10": 0.8123, "engagement_auc": None, "combined": 0.7}
    table = format_ablation({"ablation": {"hard": metrics}, "features_tier": metrics})
    assert "n/a" in table and "nan" not in table


def test_the_manifest_accepts_a_missing_engagement_auc():
    held_out = {k: 0.5 for k in ("ndcg@5", "ndcg@10", "mrr", "kendall_tau", "combined", "engagement_logloss")}
    parity = {k: 0.0 for k in ("max_abs_relevance", "max_abs_engagement", "max_abs_score")}
    parity |= {"lists": 1, "mean_kendall_tau": 1.0, "min_kendall_tau": 1.0}
    metrics = held_out_metrics({**held_out, "engagement_auc": math.nan}, None, 1, 2, parity)
    assert metrics.engagement_auc is None
