"""One validating pass over users' own data: every bad line reported (up to a cap) with file:line and
field, blank lines counted, a member's pairs split across the file reported; no traceback on the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import JOB, MEMBER, _merge
from training.data import dataset as layout
from training.data.dataset import check_dataset
from training.data.jsonl import DataFileError


def _write(path, rows) -> None:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


@pytest.fixture
def folder(tmp_path):
    _write(tmp_path / layout.MEMBERS, [MEMBER, _merge(MEMBER, {"member_id": "m-2"})])
    _write(tmp_path / layout.JOBS, [JOB, _merge(JOB, {"job_id": "j-2"})])
    _write(
        tmp_path / layout.PAIRS,
        [
            {"member_id": "m-1", "job_id": "j-1"},
            {"member_id": "m-1", "job_id": "j-2"},
            {"member_id": "m-2", "job_id": "j-1"},
        ],
    )
    return tmp_path


def test_clean_data_passes_and_says_it_has_no_actions(folder):
    check = check_dataset(folder)
    assert (check.pairs, check.pairs_with_action, check.blank_lines) == (3, 0, 0)
    assert any("relevance only" in note for note in check.notes())


def test_every_bad_line_is_reported_in_one_pass(folder):
    _write(folder / layout.MEMBERS, [MEMBER, "{broken", _merge(MEMBER, {"member_id": "m-2", "skills": "x"})])
    _write(folder / layout.JOBS, [JOB, JOB, _merge(JOB, {"job_id": "j-2"})])
    pairs = [{"member_id": "m-1", "job_id": "j-1", "action": "like"}, {"member_id": "ghost", "job_id": "j-1"}]
    _write(folder / layout.PAIRS, pairs)
    with pytest.raises(DataFileError) as caught:
        check_dataset(folder)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{folder}: 5 bad lines:"
    fields = [line.split(": ")[1].split(" (")[0] for line in lines[1:]]
    assert fields == ["not valid JSON", "skills", "job_id", "action", "member_id"]
    assert lines[1].startswith(f"{folder / layout.MEMBERS}:2: ") and lines[5].startswith(f"{folder / layout.PAIRS}:2: ")


def test_the_report_is_capped_but_counts_everything(folder):
    _write(folder / layout.JOBS, [JOB] + ["{broken"] * 30)
    with pytest.raises(DataFileError, match=r"31 bad lines \(the first 20 shown\)") as caught:
        check_dataset(folder)
    assert len(str(caught.value).splitlines()) == 21


def test_a_member_split_across_the_file_and_blank_lines(folder):
    rows = [{"member_id": "m-1", "job_id": "j-1"}, "", {"member_id": "m-2", "job_id": "j-1"}]
    _write(folder / layout.PAIRS, rows + [{"member_id": "m-1", "job_id": "j-2", "action": "apply"}])
    with pytest.raises(DataFileError, match=r"pairs.jsonl:4: member_id: pairs of 'm-1' also at line 1"):
        check_dataset(folder)
    _write(folder / layout.PAIRS, rows)
    check = check_dataset(folder)
    assert check.blank_lines == 1 and "skipped 1 blank lines" in check.notes()


def test_judge_cli_lists_all_bad_lines_without_a_traceback(folder):
    _write(folder / layout.PAIRS, [{"member_id": "ghost", "job_id": "j-1"}, {"member_id": "m-1", "job_id": "nope"}])
    result = subprocess.run(
        [sys.executable, "-m", "training", "judge", str(folder), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"error: {folder}: 2 bad lines:",
        f"{folder / layout.PAIRS}:1: member_id: 'ghost' is not in members.jsonl",
        f"{folder / layout.PAIRS}:2: job_id: 'nope' is not in jobs.jsonl",
    ]
    assert not (folder / layout.LABELS).exists()
