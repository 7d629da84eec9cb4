"""The user's own data end to end: `pipeline` on a folder of members/jobs/pairs (no generator truth)
judges, trains and publishes a named model the service loads, and never writes a byte into that folder."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.ranking.manifest import load_manifest
from app.ranking.student import StudentModel
from training.data import dataset as layout
from training.policy.label_dataset import main as judge_main

REPO = Path(__file__).resolve().parents[2]


def _fingerprint(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (and so also which files exist)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def own_data(tiny_dataset, tmp_path_factory) -> Path:
    """The tiny dataset's members, jobs and pairs as a user would bring them: no truth, no labels."""
    folder = tmp_path_factory.mktemp("mine")
    for name in (layout.MEMBERS, layout.JOBS, layout.PAIRS):
        shutil.copyfile(tiny_dataset / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def own_run(own_data, tmp_path_factory) -> tuple[Path, dict[str, str], subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("own-run")
    before = _fingerprint(own_data)
    command = [sys.executable, "-m", "training", "pipeline", "--data", str(own_data), "--runs", str(root / "runs")]
    command += ["--publish", str(root / "models"), "--name", "my-ranker", "--no-progress"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root, before, result


def test_pipeline_leaves_the_users_files_byte_identical(own_data, own_run):
    _, before, _ = own_run
    assert _fingerprint(own_data) == before


def test_pipeline_judges_own_data_instead_of_generating(own_run):
    root, _, result = own_run
    seconds = json.loads((root / "runs" / "pipeline.json").read_text())["seconds"]
    assert set(seconds) == {"judge", "teachers", "distill", "export", "total"}
    assert (root / "runs" / "dataset" / layout.LABELS).is_file()
    assert not (root / "runs" / "dataset" / layout.MEMBER_TRUTH).exists()
    assert "your own data" in result.stdout


def test_published_model_has_the_given_name_and_loads(own_run):
    folder = own_run[0] / "models" / "my-ranker"
    assert load_manifest(folder).name == "my-ranker"
    ranking = StudentModel.load(folder, threads=1)
    assert ranking is not None


def test_judge_with_out_writes_nothing_into_the_dataset(own_data, tmp_path):
    before = _fingerprint(own_data)
    assert judge_main([str(own_data), "--out", str(tmp_path / "labelled"), "--no-progress"]) == 0
    assert _fingerprint(own_data) == before
    assert (tmp_path / "labelled" / layout.LABELS).is_file()


def test_pipeline_refuses_a_folder_that_is_neither_generated_nor_own_data(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("mine\n")
    command = [sys.executable, "-m", "training", "pipeline", "--data", str(folder), "--runs", str(tmp_path / "r")]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "not writing into it" in result.stderr
    assert "Traceback" not in result.stderr
    assert _fingerprint(folder) == {"readme.txt": hashlib.sha256(b"mine\n").hexdigest()}
