"""Training pairs of the title encoder: two real phrasings of one ESCO occupation.

Every ESCO occupation with at least two usable titles (its preferred label and its alternative
labels) gives (preferred, alt) and (alt, alt) pairs. Titles the evaluation uses are left out
(``excluded_titles``): every title of the held-out occupations (the whole occupation goes), every
held-out alternative label of the world's occupations, and every O*NET title of the *real
titles* split (occupation titles, alternate and reported titles). Titles are compared as
``norm_title`` keys; a title that is an excluded one behind a level word ('senior ...') goes too.

A batch holds at most one pair per occupation and no title twice, so the in-batch negatives of
the contrastive loss are never phrasings of the anchor's own occupation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from training.data.benchmark_sets import norm_title, without_level
from training.data.esco_skills import read_csv
from training.data.esco_subset import DEFAULT_ESCO_DIR, MAX_TITLE_CHARS
from training.data.generalisation import load_benchmark_sets
from training.errors import TrainingError


@dataclass(frozen=True)
class TitleGroups:
    """The usable titles of each ESCO occupation (preferred label first) and what was left out."""

    titles: dict[str, list[str]]  # occupation code -> titles
    excluded_occupations: int
    excluded_titles: int

    def pairs(self) -> int:
        """Distinct ordered (anchor, positive) pairs the groups hold."""
        return sum(len(t) * (len(t) - 1) for t in self.titles.values())

    def summary(self) -> dict:
        """Counts for the encoder's card."""
        return {
            "occupations": len(self.titles),
            "titles": sum(len(t) for t in self.titles.values()),
            "pairs": self.pairs(),
            "excluded_occupations": self.excluded_occupations,
            "excluded_titles": self.excluded_titles,
        }


def excluded_titles(sets: dict | None = None) -> tuple[set[str], set[str]]:
    """(occupation codes, ``norm_title`` keys) training must not see: the held-out occupations and
    their titles, the held-out alternative labels and every O*NET title of benchmark_sets.json."""
    sets = sets or load_benchmark_sets()
    codes = {occ["id"] for occ in sets["heldout_occupations"]}
    titles = [t for occ in sets["heldout_occupations"] for t in (occ["label"], *occ["titles"])]
    titles += [t for labels in sets["heldout_titles"].values() for t in labels]
    for occ in sets["onet"]["occupations"]:
        titles += [occ["title"], *occ["alternate_titles"], *occ.get("reported_titles", [])]
    return codes, {norm_title(t) for t in titles}


def is_excluded(title: str, keys: set[str]) -> bool:
    """Whether ``title`` (or it without level words) is one of the excluded ``keys``."""
    key = norm_title(title)
    return key in keys or without_level(key) in keys


def title_groups(esco_dir: Path = DEFAULT_ESCO_DIR, sets: dict | None = None) -> TitleGroups:
    """Every ESCO occupation's usable titles: no excluded title, at most MAX_TITLE_CHARS long, no
    two with one key; occupations left with fewer than two titles give no pair and are dropped."""
    path = esco_dir / "occupations.csv"
    if not path.is_file():
        raise TrainingError(f"{path}: ESCO occupations not found (see shared/data/esco/README.md)")
    codes, keys = excluded_titles(sets)
    groups: dict[str, list[str]] = {}
    dropped_titles = dropped_occupations = 0
    for row in read_csv(path):
        labels = [row["PREFERREDLABEL"], *row["ALTLABELS"].splitlines()]
        if row["CODE"] in codes:
            dropped_occupations += 1
            dropped_titles += len(labels)
            continue
        titles: list[str] = []
        seen: set[str] = set()
        for label in (" ".join(label.split()) for label in labels):  # NBSPs in some labels
            key = norm_title(label)
            if not key or key in seen or len(label) > MAX_TITLE_CHARS:
                continue
            if is_excluded(label, keys):
                dropped_titles += 1
                continue
            seen.add(key)
            titles.append(label)
        if len(titles) >= 2:
            groups[row["CODE"]] = titles
    return TitleGroups(groups, dropped_occupations, dropped_titles)


def sample_batch(groups: dict[str, list[str]], size: int, rng: random.Random) -> list[tuple[str, str]]:
    """``size`` (anchor, positive) pairs of distinct occupations with no title repeated in the batch
    (an alt label can belong to two occupations). Occupations are drawn in proportion to the
    square root of their title count (big ones appear more often, small ones still appear)."""
    codes = list(groups)
    if len(codes) < size:
        raise TrainingError(f"batch of {size} pairs needs as many occupations; only {len(codes)} usable")
    weights = [len(groups[c]) ** 0.5 for c in codes]
    batch: list[tuple[str, str]] = []
    used_codes: set[str] = set()
    used_keys: set[str] = set()
    while len(batch) < size:
        if len(used_codes) == len(codes):
            raise TrainingError(f"cannot fill a batch of {size} pairs with distinct titles")
        code = rng.choices(codes, weights)[0]
        if code in used_codes:
            continue
        used_codes.add(code)
        anchor, positive = rng.sample(groups[code], 2)
        pair_keys = {norm_title(anchor), norm_title(positive)}
        if pair_keys & used_keys:
            continue
        used_keys |= pair_keys
        batch.append((anchor, positive))
    return batch
