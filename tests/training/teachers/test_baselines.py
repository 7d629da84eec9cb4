"""The rules baseline reads only the request fields: the judge's field path, never the latent truth."""

from __future__ import annotations

import json
import random
import shutil

import numpy as np

from training.data import dataset as layout
from training.data.lists import load_lists
from training.evaluation.harness import ModelScores, evaluate_model
from training.policy.policy import default_policy
from training.teachers.baselines import random_scores, rules_scores


def _scramble(path, keys):
    """Rewrite a JSONL file with the given fields shuffled across records."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rng = random.Random(0)
    for key in keys:
        values = [r[key] for r in rows]
        rng.shuffle(values)
        for row, value in zip(rows, values, strict=True):
            row[key] = value
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_rules_do_not_change_when_the_truth_is_scrambled(tiny_dataset, tmp_path):
    copy = tmp_path / "scrambled"
    shutil.copytree(tiny_dataset, copy)
    _scramble(copy / layout.MEMBER_TRUTH, ("occupation", "family", "skills"))
    _scramble(copy / layout.JOB_TRUTH, ("occupation", "family", "required", "preferred"))
    _scramble(copy / layout.LABELS, ("grade",))
    original = load_lists(tiny_dataset, ("test",), 4)
    scrambled = load_lists(copy, ("test",), 4)
    assert any((a.grades != b.grades).any() for a, b in zip(original, scrambled, strict=True))
    for a, b in zip(rules_scores(original), rules_scores(scrambled), strict=True):
        np.testing.assert_array_equal(a, b)


def test_rules_rank_by_grade_and_beat_random(tiny_dataset):
    lists = load_lists(tiny_dataset, ("test",), 4)
    scores = rules_scores(lists)
    for s in scores:
        # Grade dominates: the tie-breakers stay below one grade step.
        assert np.all((s - np.floor(s)) < 0.2)
    policy = default_policy()
    rules = evaluate_model(lists, ModelScores(scores), policy)["ndcg@10"]
    assert rules > evaluate_model(lists, ModelScores(random_scores(lists)), policy)["ndcg@10"] + 0.2
