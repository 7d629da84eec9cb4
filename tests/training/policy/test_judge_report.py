"""The judge says how much of users' data its occupations cover, and stops on grades with no spread."""

from __future__ import annotations

import json

import pytest

from tests.conftest import JOB, MEMBER, _merge
from training.data import dataset as layout
from training.data.jsonl import DataFileError
from training.policy.label_dataset import degenerate_spread, judge_dataset, main


def _write(path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_coverage_of_unrecognised_titles_is_reported(tmp_path):
    jobs = [JOB, _merge(JOB, {"job_id": "j-2", "title": "Quantum Flux Whisperer"})]
    _write(tmp_path / layout.MEMBERS, [MEMBER])
    _write(tmp_path / layout.JOBS, jobs)
    _write(tmp_path / layout.PAIRS, [{"member_id": "m-1", "job_id": j["job_id"]} for j in jobs])
    labels = judge_dataset(tmp_path, progress=False)
    assert labels["coverage"] == {"job_titles_unrecognised": 0.5, "members_unrecognised": 0.0}
    assert any(note.startswith("50% of job titles and 0% of members") for note in labels["notes"])


@pytest.mark.parametrize(("shares", "stops"), [((0.96, 0.04), True), ((0.9, 0.1), False)])
def test_degenerate_spread(shares, stops):
    labels = {"pairs": 100, "grade_shares": {"bad": shares[0], "poor": shares[1]}}
    assert (degenerate_spread(labels) is not None) is stops
    assert degenerate_spread({**labels, "pairs": 10}) is None  # too few pairs to judge the spread


def test_judge_stops_with_one_line_on_a_degenerate_spread(tmp_path):
    jobs = [_merge(JOB, {"job_id": f"j-{i}", "location": {"city": "Oslo", "country": "NO"}}) for i in range(60)]
    _write(tmp_path / layout.MEMBERS, [_merge(MEMBER, {"open_to_relocation": False})])
    _write(tmp_path / layout.JOBS, jobs)
    _write(tmp_path / layout.PAIRS, [{"member_id": "m-1", "job_id": j["job_id"]} for j in jobs])
    with pytest.raises(DataFileError, match=r"100% of 60 pairs graded 'bad': too little spread"):
        main([str(tmp_path), "--no-progress"])
