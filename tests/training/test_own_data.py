"""The user's own data end to end: `pipeline` on a folder of members/jobs/pairs (no generator truth,
no actions) judges, trains relevance only, publishes a named model the service loads, reports no NaN,
and never writes a byte into that folder."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.ranking.engine import RankingEngine, smoke_request
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
    """The tiny dataset's members, jobs and pairs as a user might bring them: no truth, no labels,
    no actions (relevance only)."""
    folder = tmp_path_factory.mktemp("mine")
    for name in (layout.MEMBERS, layout.JOBS):
        shutil.copyfile(tiny_dataset / name, folder / name)
    rows = [json.loads(line) for line in (tiny_dataset / layout.PAIRS).read_text().splitlines()]
    pairs = "".join(json.dumps({"member_id": r["member_id"], "job_id": r["job_id"]}) + "\n" for r in rows)
    (folder / layout.PAIRS).write_text(pairs)
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
    manifest = load_manifest(folder)
    assert manifest.name == "my-ranker" and manifest.metrics.engagement_auc is None
    model = StudentModel.load(folder, threads=1)
    engine = RankingEngine(model, cache_size=10)
    member, jobs = smoke_request()
    assert np.all(np.isfinite(engine.rank(member, jobs, budget_ms=60_000).score))


def test_relevance_only_is_said_plainly_and_no_report_has_nan(own_run):
    root, _, result = own_run
    assert "relevance only" in result.stdout and "engagement teacher skipped" in result.stdout
    card = json.loads((root / "runs" / "teachers" / "engagement" / "card.json").read_text())
    assert card["skipped"] and not (root / "runs" / "teachers" / "engagement" / "model.pt").exists()
    for path in (root / "runs").rglob("*.json"):
        assert "NaN" not in path.read_text(), path
    ablation = json.loads((root / "runs" / "student" / "metrics.json").read_text())["ablation"]
    assert all(metrics["engagement_auc"] is None for metrics in ablation.values())


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
