"""The tiny preset end to end — data → teachers → students → ONNX — by the one pipeline command,
then the exported model loaded and ranking through the service's own engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.domain.featurize import FEATURE_NAMES, FEATURES_VERSION
from app.ranking.engine import RankingEngine, smoke_request
from app.ranking.golden import check_golden
from app.ranking.manifest import load_manifest
from app.ranking.student import StudentModel
from training.data.lists import load_lists

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pipeline")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "pipeline",
            "--preset",
            "tiny",
            "--data",
            str(root / "data"),
            "--runs",
            str(root / "runs"),
            "--publish",
            str(root / "artifacts"),
            "--no-progress",
            "--max-publish-mb",
            "500",
        ],  # the tiny student may keep fp32 (125 MB) when its int8 misses the gate
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root


def test_pipeline_times_every_stage(pipeline_run):
    seconds = json.loads((pipeline_run / "runs" / "pipeline.json").read_text())["seconds"]
    assert set(seconds) == {"data", "teachers", "distill", "export", "total"}
    assert all(value > 0 for value in seconds.values())


def test_export_passed_its_parity_gate(pipeline_run):
    report = json.loads((pipeline_run / "runs" / "export" / "report.json").read_text())
    fp32 = report["precisions"]["fp32"]["parity"]
    assert fp32["max_abs_score"] <= 1e-3 and fp32["mean_kendall_tau"] >= 0.99
    assert report["shipped_precision"] in ("fp32", "int8")
    if report["shipped_precision"] == "int8":
        assert report["precisions"]["int8"]["parity"]["mean_kendall_tau"] >= 0.99


def test_published_model_loads_and_ranks(pipeline_run):
    folder = pipeline_run / "artifacts" / "jobrank-ranker"
    manifest = load_manifest(folder)
    assert manifest.metrics.held_out_lists > 0 and len(manifest.golden) == 3
    model = StudentModel.load(folder, threads=1)
    check_golden(model, manifest.golden)  # the answers recorded at export, as the service checks them
    engine = RankingEngine(model, cache_size=100)
    engine.smoke_check()
    member, jobs = smoke_request()
    outcome = engine.rank(member, jobs, budget_ms=60_000)
    assert outcome.tier == "ranker" and np.all(np.isfinite(outcome.score)) and len(outcome.score) == len(jobs)


def test_the_service_ranks_as_the_exported_model_on_the_rule_features(pipeline_run):
    """The engine (job facts, the canonicaliser's reading included, cached with the embeddings) scores
    held-out lists exactly as the exported folder does on its own: the path the parity gate checked."""
    folder = pipeline_run / "artifacts" / "jobrank-ranker"
    interaction = load_manifest(folder).inputs.interaction
    assert (interaction.features_version, tuple(interaction.features)) == (FEATURES_VERSION, FEATURE_NAMES)
    model = StudentModel.load(folder, threads=1)
    engine = RankingEngine(model, cache_size=1000)
    for candidate_list in load_lists(pipeline_run / "data", ("test",), 3):
        exported = model.rank(candidate_list.member, candidate_list.jobs)
        engine.index_jobs(candidate_list.jobs)
        served = engine.rank(candidate_list.member, candidate_list.jobs, budget_ms=60_000)
        assert served.tier == "ranker" and served.counts["cached"] == len(candidate_list.jobs)
        np.testing.assert_allclose(served.score, exported.score, atol=1e-5)  # same scores, so the same ranking


def test_export_gate_reads_its_thresholds_from_the_run_config(pipeline_run):
    """An fp32 tolerance no real export meets, set from the command line, makes the export fail its gate."""
    runs = pipeline_run / "runs"
    args = ["--preset", "tiny", "--data", str(pipeline_run / "data"), "--runs", str(runs), "--no-progress"]
    result = subprocess.run(
        [sys.executable, "-m", "training", "export", *args, "--set", "export.parity_max_abs=1e-30"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode != 0 and "fp32 ONNX disagrees with PyTorch" in result.stderr
    assert "Traceback" not in result.stderr
    saved = json.loads((runs / "config.json").read_text())
    assert saved["export"]["parity_max_abs"] == 1e-30  # the config that ran is kept beside the outputs


def export_into(runs: Path) -> subprocess.CompletedProcess:
    """`python -m training export` (tiny preset) on the run folder ``runs``."""
    command = [sys.executable, "-m", "training", "export", "--preset", "tiny", "--runs", str(runs)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_export_refuses_a_missing_student(tmp_path):
    result = export_into(tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.strip().startswith("error:")
        and "student.pt" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_export_refuses_a_student_of_another_version(tmp_path):
    import torch

    (tmp_path / "student").mkdir()
    torch.save({"interaction.relevance.weight": torch.zeros(5, 7)}, tmp_path / "student" / "student.pt")
    result = export_into(tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "made by another student version" in result.stderr and "re-run `python -m training distill`" in result.stderr
