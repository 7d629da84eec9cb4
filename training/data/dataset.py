"""A dataset on disk: its file layout, the pair record, and the loader for generated or users' own data.

Layout of a dataset folder (generated, or brought by a user with the same names):

    members.jsonl         one Member per line (app.domain.schemas)
    jobs.jsonl            one Job per line
    pairs.jsonl           one Pair per line: the candidates shown to a member, with engagement
    truth/members.jsonl   latent truth (generated data only): occupation, family, canonical skills
    truth/jobs.jsonl      latent truth of jobs (generated data only)
    labels.jsonl          judge output, line-aligned with pairs.jsonl (written by `judge`)
    dataset.json          the card: counts, grade distribution, engagement rate, seed, timings
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.schemas import Identifier, Job, Member
from training.data.marketplace import JobTruth, MemberTruth
from training.data.jsonl import DataFileError, parse_model, read_json_lines

MEMBERS = "members.jsonl"
JOBS = "jobs.jsonl"
PAIRS = "pairs.jsonl"
MEMBER_TRUTH = "truth/members.jsonl"
JOB_TRUTH = "truth/jobs.jsonl"
LABELS = "labels.jsonl"
CARD = "dataset.json"


class Pair(BaseModel):
    """One candidate shown to a member: where it was shown and what the member did (if known)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member_id: Identifier
    job_id: Identifier
    position: int | None = Field(default=None, ge=0, le=100_000)
    action: Literal["apply", "click", "dismiss", "none"] | None = None


@dataclass
class Dataset:
    """Members and jobs in memory by id (pairs stay on disk and are streamed)."""

    root: Path
    members: dict[str, Member]
    jobs: dict[str, Job]
    member_truth: dict[str, MemberTruth] | None
    job_truth: dict[str, JobTruth] | None

    @property
    def has_truth(self) -> bool:
        return self.member_truth is not None and self.job_truth is not None

    def pairs(self) -> Iterator[Pair]:
        """Stream pairs.jsonl, checking every pair names a known member and job."""
        path = self.root / PAIRS
        for number, obj in read_json_lines(path):
            pair = parse_model(path, number, obj, Pair)
            if pair.member_id not in self.members:
                raise DataFileError(f"{path}:{number}: member_id: '{pair.member_id}' is not in {MEMBERS}")
            if pair.job_id not in self.jobs:
                raise DataFileError(f"{path}:{number}: job_id: '{pair.job_id}' is not in {JOBS}")
            yield pair


def _load_by_id(path: Path, model: type[BaseModel], key: str) -> dict:
    records: dict = {}
    for number, obj in read_json_lines(path):
        record = parse_model(path, number, obj, model)
        ident = getattr(record, key)
        if ident in records:
            raise DataFileError(f"{path}:{number}: {key}: '{ident}' appears more than once")
        records[ident] = record
    return records


def _load_truth(path: Path, cls: type, key: str) -> dict:
    out = {}
    for number, obj in read_json_lines(path):
        try:
            truth = cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in obj.items()})
        except TypeError as exc:
            raise DataFileError(f"{path}:{number}: {exc}") from None
        out[getattr(truth, key)] = truth
    return out


def load_dataset(root: str | Path) -> Dataset:
    """Load a dataset folder; raises DataFileError (file:line: field: problem) on any bad record."""
    root = Path(root)
    if not root.is_dir():
        raise DataFileError(f"{root}: no such dataset folder")
    members = _load_by_id(root / MEMBERS, Member, "member_id")
    jobs = _load_by_id(root / JOBS, Job, "job_id")
    has_truth = (root / MEMBER_TRUTH).is_file() and (root / JOB_TRUTH).is_file()
    return Dataset(
        root,
        members,
        jobs,
        _load_truth(root / MEMBER_TRUTH, MemberTruth, "member_id") if has_truth else None,
        _load_truth(root / JOB_TRUTH, JobTruth, "job_id") if has_truth else None,
    )
