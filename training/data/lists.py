"""Candidate lists joined with their labels: what teachers, students and evaluation read.

A ``CandidateList`` is one member with the jobs retrieval showed them, the judge's grade of each
and what the member did. Lists are read straight from a dataset folder (pairs.jsonl and
labels.jsonl are line-aligned), selected by member split.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.domain.schemas import Job, Member
from training.data import dataset as layout
from training.data.dataset import Dataset, load_dataset
from training.data.engagement import POSITIVE_ACTIONS
from training.data.jsonl import DataFileError, read_json_lines
from training.data.split import split_of


@dataclass(frozen=True)
class CandidateList:
    """One member's candidates with judge grades and engagement (positive = apply/click; None = unknown)."""

    member: Member
    jobs: tuple[Job, ...]
    grades: np.ndarray  # int, 0-4
    positive: np.ndarray  # float: 1.0 / 0.0, NaN where no action is recorded
    positions: np.ndarray  # int: where retrieval showed each job (list order when not recorded)

    def __len__(self) -> int:
        return len(self.jobs)


def iter_lists(data: Dataset, splits: tuple[str, ...] = ("train",), seed: int = 0) -> Iterator[CandidateList]:
    """Yield the candidate lists of members in ``splits``; a member's pairs must be contiguous."""
    labels_path = data.root / layout.LABELS
    if not labels_path.is_file():
        raise DataFileError(f"{labels_path}: no such file (run `python -m training judge {data.root}` first)")
    labels = read_json_lines(labels_path)
    done: set[str] = set()
    rows: list = []
    for pair in data.pairs():
        number, label = next(labels, (None, None))
        if label is None or (label["member_id"], label["job_id"]) != (pair.member_id, pair.job_id):
            raise DataFileError(
                f"{labels_path}:{number}: labels are not line-aligned with {layout.PAIRS}; re-run judge"
            )
        if rows and rows[-1][0].member_id != pair.member_id:
            done.add(rows[-1][0].member_id)
            yield from _emit(data, rows, splits, seed)
            rows = []
        if pair.member_id in done:
            raise DataFileError(f"{labels_path}:{number}: member_id: pairs of '{pair.member_id}' are not contiguous")
        rows.append((pair, label["grade"]))
    yield from _emit(data, rows, splits, seed)


def _emit(data: Dataset, rows: list, splits: tuple[str, ...], seed: int) -> Iterator[CandidateList]:
    if not rows or split_of(rows[0][0].member_id, seed) not in splits:
        return
    member_id = rows[0][0].member_id
    yield CandidateList(
        member=data.members[member_id],
        jobs=tuple(data.jobs[p.job_id] for p, _ in rows),
        grades=np.array([g for _, g in rows], dtype=np.int64),
        positive=np.array([np.nan if p.action is None else float(p.action in POSITIVE_ACTIONS) for p, _ in rows]),
        positions=np.array([i if p.position is None else p.position for i, (p, _) in enumerate(rows)], dtype=np.int64),
    )


def load_lists(
    source: str | Path | Dataset, splits: tuple[str, ...], max_members: int | None = None, seed: int = 0
) -> list[CandidateList]:
    """The first ``max_members`` candidate lists of the given splits, in file order. Pass a loaded
    Dataset when reading several splits, so its members and jobs are parsed once."""
    data = source if isinstance(source, Dataset) else load_dataset(source)
    out = []
    for candidate_list in iter_lists(data, splits, seed):
        out.append(candidate_list)
        if max_members is not None and len(out) >= max_members:
            break
    return out
