"""The title encoder's training pairs: evaluation titles never leak in, batches hold one pair per occupation."""

from __future__ import annotations

import csv
import random
from collections import Counter

import pytest

from training.data.benchmark_sets import norm_title
from training.errors import TrainingError
from training.teachers.title_pairs import excluded_titles, is_excluded, sample_batch, title_groups

SETS = {
    "heldout_occupations": [{"id": "9.9", "label": "kite maker", "titles": ["kite builder", "kite designer"]}],
    "heldout_titles": {"1.1": ["Baking Artist"]},
    "onet": {
        "occupations": [
            {"code": "x", "title": "Cake Decorator", "alternate_titles": ["Sugar Artist"], "reported_titles": ["Icer"]},
            {"code": "y", "title": "Weaver", "alternate_titles": ["Loom Operator"]},
        ]
    },
}


def _write_esco(folder, rows):
    with open(folder / "occupations.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["CODE", "PREFERREDLABEL", "ALTLABELS"])
        writer.writeheader()
        for code, preferred, alts in rows:
            writer.writerow({"CODE": code, "PREFERREDLABEL": preferred, "ALTLABELS": "\n".join(alts)})


def test_excluded_titles_never_reach_the_pairs(tmp_path):
    _write_esco(
        tmp_path,
        [
            ("1.1", "baker", ["baking artist", "bread maker", "senior sugar artist", "Bread  Maker"]),
            ("9.9", "kite maker", ["kite flyer", "kite engineer"]),  # a held-out occupation: every title goes
            ("2.2", "cake decorator", ["icer", "pastry artist", "kite builder"]),
            ("3.3", "weaver", ["loom operator"]),  # left with one title: no pair
        ],
    )
    groups = title_groups(tmp_path, SETS)
    assert groups.titles == {"1.1": ["baker", "bread maker"]}
    assert groups.excluded_occupations == 1
    # baking artist, senior sugar artist, cake decorator, icer, kite builder, weaver, loom operator + 3 of kite maker
    assert groups.excluded_titles == 10
    assert groups.pairs() == 2


def test_no_evaluation_title_in_the_real_esco_pairs():
    codes, keys = excluded_titles()
    groups = title_groups()
    assert not codes & set(groups.titles)
    titles = [t for group in groups.titles.values() for t in group]
    assert titles and not [t for t in titles if is_excluded(t, keys)]
    assert groups.excluded_occupations == len(codes) > 0
    assert groups.excluded_titles > 1000  # the O*NET and held-out ESCO titles overlap ESCO a lot


def test_a_batch_holds_one_pair_per_occupation_and_no_title_twice():
    groups = {f"o{i}": [f"title {i} {k}" for k in range(2 + i % 5)] for i in range(40)}
    occupation_of = {norm_title(t): code for code, titles in groups.items() for t in titles}
    rng = random.Random(0)
    for _ in range(200):
        batch = sample_batch(groups, 32, rng)
        assert len(batch) == 32
        owners = Counter(occupation_of[norm_title(a)] for a, _ in batch)
        assert max(owners.values()) == 1
        assert all(occupation_of[norm_title(a)] == occupation_of[norm_title(p)] and a != p for a, p in batch)
        titles = [norm_title(t) for pair in batch for t in pair]
        assert len(set(titles)) == len(titles)


def test_a_title_shared_by_two_occupations_is_not_in_one_batch_twice():
    groups = {"a": ["clerk", "office clerk"], "b": ["clerk", "filing clerk", "records clerk"]}
    filled = 0
    for seed in range(40):
        try:
            batch = sample_batch(groups, 2, random.Random(seed))
        except TrainingError:
            continue  # the second occupation drawn collided on "clerk": no valid batch
        filled += 1
        titles = [t for pair in batch for t in pair]
        assert len(set(titles)) == len(titles)
    assert filled > 0


def test_a_batch_bigger_than_the_occupations_is_refused():
    with pytest.raises(TrainingError, match="occupations"):
        sample_batch({"a": ["x", "y"]}, 2, random.Random(0))
