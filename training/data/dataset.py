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

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.schemas import Identifier, Job, Member
from training.data.jsonl import DataFileError, Problems, parse_model, read_json_lines
from training.data.marketplace import JobTruth, MemberTruth

MEMBERS = "members.jsonl"
JOBS = "jobs.jsonl"
PAIRS = "pairs.jsonl"
MEMBER_TRUTH = "truth/members.jsonl"
JOB_TRUTH = "truth/jobs.jsonl"
LABELS = "labels.jsonl"
CARD = "dataset.json"
# What a user brings (the card is optional); a run copies these and never writes beside them.
USER_FILES = (MEMBERS, JOBS, PAIRS, CARD)


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


def _load_by_id(
    path: Path, model: type[BaseModel], key: str, problems: Problems | None = None, named: set | None = None
) -> dict:
    """Records by id; ``named`` collects every id a line names, valid or not (so a pair naming an
    invalid record is not reported a second time)."""
    records: dict = {}
    for number, obj in read_json_lines(path, problems):
        if named is not None:
            named.add(obj.get(key))
        record = (
            parse_model(path, number, obj, model)
            if problems is None
            else parse_model(path, number, obj, model, problems)
        )
        if record is None:
            continue
        ident = getattr(record, key)
        if ident in records:
            message = f"{path}:{number}: {key}: '{ident}' appears more than once"
            if problems is None:
                raise DataFileError(message)
            problems.add(message)
        records[ident] = record
    return records


@dataclass(frozen=True)
class DataCheck:
    """What one validating pass over a dataset found (when it found no bad line)."""

    pairs: int
    pairs_with_action: int
    blank_lines: int

    def notes(self) -> list[str]:
        """Plain statements about the data worth saying before training on it."""
        notes = [f"skipped {self.blank_lines} blank lines"] if self.blank_lines else []
        if not self.pairs_with_action:
            notes.append("no pair records an action: labels are relevance only; the engagement teacher will be skipped")
        elif self.pairs_with_action < self.pairs:
            notes.append(f"{self.pairs - self.pairs_with_action} of {self.pairs} pairs record no action")
        return notes


def check_dataset(root: str | Path, cap: int = 20) -> DataCheck:
    """Validate every line of members, jobs and pairs in one pass; raises DataFileError listing all
    bad lines (the first ``cap``) with file:line: field: problem, including pairs naming an unknown
    member or job and a member whose pairs are not on consecutive lines."""
    root = Path(root)
    if not root.is_dir():
        raise DataFileError(f"{root}: no such dataset folder")
    problems = Problems(cap)
    members: set = set()
    jobs: set = set()
    _load_by_id(root / MEMBERS, Member, "member_id", problems, members)
    _load_by_id(root / JOBS, Job, "job_id", problems, jobs)
    path, previous = root / PAIRS, None
    first_line: dict[str, int] = {}
    pairs = with_action = 0
    for number, obj in read_json_lines(path, problems):
        pair = parse_model(path, number, obj, Pair, problems)
        if pair is None:
            continue
        pairs += 1
        with_action += pair.action is not None
        if pair.member_id not in members:
            problems.add(f"{path}:{number}: member_id: '{pair.member_id}' is not in {MEMBERS}")
        if pair.job_id not in jobs:
            problems.add(f"{path}:{number}: job_id: '{pair.job_id}' is not in {JOBS}")
        if pair.member_id != previous and pair.member_id in first_line:
            problems.add(
                f"{path}:{number}: member_id: pairs of '{pair.member_id}' also at line {first_line[pair.member_id]}; "
                "put each member's pairs on consecutive lines"
            )
        first_line.setdefault(pair.member_id, number)
        previous = pair.member_id
    problems.raise_if_any(root)
    return DataCheck(pairs, with_action, sum(problems.blank.values()))


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


def is_users_data(root: str | Path) -> bool:
    """A folder of the user's own data: the input files without the generator's latent truth."""
    root = Path(root)
    return (root / MEMBERS).is_file() and not (root / MEMBER_TRUTH).is_file()


def copy_inputs(root: str | Path, out: str | Path) -> Path:
    """Copy a dataset's input files byte for byte into ``out`` (a run's working copy), so the stages
    that write next to the data (labels.jsonl, the card) never write into the user's folder."""
    root, out = Path(root), Path(out)
    if not root.is_dir():
        raise DataFileError(f"{root}: no such dataset folder")
    if root.resolve() == out.resolve():
        return out
    out.mkdir(parents=True, exist_ok=True)
    for name in USER_FILES:
        if (root / name).is_file():
            shutil.copyfile(root / name, out / name)
        elif (out / name).exists():
            (out / name).unlink()
    return out
