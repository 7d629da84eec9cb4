"""Users' own data: JSONL loading with line-numbered errors, judging without truth, the CLI's errors."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

from tests.conftest import JOB, MEMBER, _merge
from training.data import dataset as layout
from training.data.dataset import load_dataset
from training.data.jsonl import DataFileError, JsonlWriter, read_json_lines
from training.policy.label_dataset import judge_dataset
from training.policy.policy import DEFAULT_POLICY_PATH


def write_lines(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


@pytest.fixture
def user_data(tmp_path):
    write_lines(
        tmp_path / layout.MEMBERS, [MEMBER, _merge(MEMBER, {"member_id": "m-2", "location": {"city": "Hamburg"}})]
    )
    write_lines(
        tmp_path / layout.JOBS,
        [
            JOB,
            _merge(
                JOB,
                {
                    "job_id": "j-2",
                    "title": "Line Cook",
                    "required_skills": ["food prep"],
                    "preferred_skills": [],
                    "description": "Busy kitchen. You know HACCP.",
                    "salary": None,
                },
            ),
        ],
    )
    write_lines(
        tmp_path / layout.PAIRS,
        [
            {"member_id": "m-1", "job_id": "j-1", "position": 0, "action": "apply"},
            {"member_id": "m-1", "job_id": "j-2", "position": 1, "action": "dismiss"},
            {"member_id": "m-2", "job_id": "j-1"},
        ],
    )
    return tmp_path


def test_users_own_data_is_judged_from_the_fields(user_data):
    labels = judge_dataset(user_data, progress=False)
    assert labels["source"] == "fields" and labels["pairs"] == 3
    rows = [obj for _, obj in read_json_lines(user_data / layout.LABELS)]
    assert [r["grade"] for r in rows] == [4, 1, 0]  # match; cook job: other family; Hamburg member: location blocker
    assert rows[2]["rules"]["location"]["effect"] == "blocker"
    assert "field_path_agreement" not in labels  # nothing to compare with


def test_own_lexicon_is_used_by_the_field_path(user_data, tmp_path):
    lexicon = tmp_path / "lexicon.json"
    lexicon.write_text(
        json.dumps({"families": {"cooking": {"Food Preparation": ["food prep"], "Food Safety": ["HACCP"]}}})
    )
    result = run_cli("judge", str(user_data), "--lexicon", str(lexicon), "--no-progress")
    assert result.returncode == 0, result.stderr
    lexicon.write_text("{broken")
    result = run_cli("judge", str(user_data), "--lexicon", str(lexicon), "--no-progress")
    assert result.returncode == 2 and result.stderr.startswith("error: cannot read skills lexicon")


def test_latent_source_needs_truth(user_data):
    with pytest.raises(DataFileError, match="needs truth/members.jsonl"):
        judge_dataset(user_data, source="latent", progress=False)


@pytest.mark.parametrize(
    ("file", "rows", "message"),
    [
        (layout.MEMBERS, [MEMBER, "{not json"], r"members.jsonl:2: not valid JSON"),
        (layout.MEMBERS, [MEMBER, "[1, 2]"], r"members.jsonl:2: expected a JSON object"),
        (
            layout.MEMBERS,
            ["", _merge(MEMBER, {"skills": "Python"})],
            r"members.jsonl:2: skills: Input should be a valid list",
        ),
        (layout.JOBS, [_merge(JOB, {"salary": {"min": 9, "max": 1}})], r"jobs.jsonl:1: salary: Value error, min \(9\)"),
        (layout.JOBS, [JOB, JOB], r"jobs.jsonl:2: job_id: 'j-1' appears more than once"),
        (layout.PAIRS, [{"member_id": "m-1", "job_id": "nope"}], r"pairs.jsonl:1: job_id: 'nope' is not in jobs.jsonl"),
        (layout.PAIRS, [{"member_id": "ghost", "job_id": "j-1"}], r"pairs.jsonl:1: member_id: 'ghost' is not in"),
        (
            layout.PAIRS,
            [{"member_id": "m-1", "job_id": "j-1", "action": "like"}],
            r"pairs.jsonl:1: action: Input should be",
        ),
        (layout.PAIRS, [{"member_id": "m-1", "job_id": "j-1", "position": -1}], r"pairs.jsonl:1: position: "),
    ],
)
def test_bad_lines_are_reported_with_file_line_and_field(user_data, file, rows, message):
    write_lines(user_data / file, rows)
    with pytest.raises(DataFileError, match=message):
        data = load_dataset(user_data)
        list(data.pairs())


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(DataFileError, match="members.jsonl: no such file"):
        load_dataset(tmp_path)


def test_gzip_round_trip(tmp_path):
    path = tmp_path / "x.jsonl.gz"
    with JsonlWriter(path) as out:
        out.write({"a": 1})
        out.write({"a": 2})
    assert gzip.open(path, "rt").read() == '{"a":1}\n{"a":2}\n'
    assert [obj for _, obj in read_json_lines(path)] == [{"a": 1}, {"a": 2}]


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "training", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_cli_bad_data_gives_one_readable_line_and_nonzero_exit(user_data):
    kept = (user_data / layout.JOBS).read_text().splitlines()[1]  # j-2 stays valid: one bad line
    write_lines(user_data / layout.JOBS, [_merge(JOB, {"location": {"country": "XX"}}), kept])
    result = run_cli("judge", str(user_data), "--no-progress")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {user_data / layout.JOBS}:1: location.country: Value error, 'XX' is not an ISO 3166-1 alpha-2 country code"
    ]


def test_cli_bad_policy_and_bad_arguments(user_data, tmp_path):
    bad_policy = tmp_path / "policy.toml"
    bad_policy.write_text("name = 'x'\n")
    result = run_cli("judge", str(user_data), "--policy", str(bad_policy))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: policy") and "missing key" in result.stderr
    assert run_cli("generate", "--members", "0").returncode != 0
    assert run_cli("nonsense").returncode == 2


@pytest.mark.parametrize("stage", ["", "generate", "judge", "data", "demo", "esco-subset"])
def test_every_stage_has_help(stage):
    result = run_cli(*([stage] if stage else []), "--help")
    assert result.returncode == 0 and "usage" in result.stdout.lower()


def test_cli_data_stage_end_to_end(tmp_path):
    out = tmp_path / "ds"
    result = run_cli("data", "--out", str(out), "--members", "4", "--jobs", "200", "--seed", "7", "--no-progress")
    assert result.returncode == 0, result.stderr
    card = json.loads((out / layout.CARD).read_text())
    assert card["seed"] == 7 and card["counts"]["members"] == 4
    assert card["labels"]["pairs"] == card["counts"]["pairs"]
    assert "judged" in result.stdout


def test_engagement_follows_the_policy_given(tmp_path):
    # Members react to the policy's grades, so --policy must reach the simulation (it used to use the bundled one).
    generous = tmp_path / "policy.toml"
    text = DEFAULT_POLICY_PATH.read_text()
    generous.write_text(
        text.replace("other_family = [[0.0, 1]]", "other_family = [[0.0, 4]]").replace(
            "other_family_cap = 1", "other_family_cap = 4"
        )
    )
    runs = {}
    for name, extra in (("bundled", []), ("generous", ["--policy", str(generous)])):
        out = tmp_path / name
        result = run_cli("generate", "--out", str(out), "--members", "3", "--jobs", "200", "--no-progress", *extra)
        assert result.returncode == 0, result.stderr
        runs[name] = [obj["action"] for _, obj in read_json_lines(out / layout.PAIRS)]
    assert len(runs["bundled"]) == len(runs["generous"])  # same members, jobs and candidates
    engaged = {name: sum(a in ("apply", "click") for a in actions) for name, actions in runs.items()}
    assert engaged["generous"] > engaged["bundled"], engaged


def test_demo_ends_pointing_at_the_ranking_service(tmp_path):
    result = run_cli("demo", "--out", str(tmp_path / "demo"), "--members", "3", "--jobs", "100", "--no-progress")
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert "once a trained model ships" not in last and "/v1/rank" in last and "make run" in last


def test_demo_rebuilds_a_dataset_from_another_generator_version(tmp_path):
    out = tmp_path / "demo"
    first = run_cli("demo", "--out", str(out), "--members", "3", "--jobs", "100", "--no-progress", "--top", "2")
    assert first.returncode == 0, first.stderr
    assert "best and worst by the judge" in first.stdout
    card = json.loads((out / layout.CARD).read_text())
    card["generator_version"] = -1
    (out / layout.CARD).write_text(json.dumps(card))
    second = run_cli("demo", "--out", str(out), "--members", "3", "--jobs", "100", "--no-progress", "--top", "2")
    assert second.returncode == 0, second.stderr
    assert json.loads((out / layout.CARD).read_text())["generator_version"] != -1
