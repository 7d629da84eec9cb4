"""Export's side of the manifest: the typed document it writes, a null teacher NDCG, golden requests."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from app.ranking.manifest import load_manifest, sha256_of
from tests.app.ranking.model_folders import SHIPPED, copy_model, needs_model, read, write
from training.config import load_config
from training.errors import TrainingError
from training.export.golden import add_golden
from training.export.manifest_writer import evaluated_ndcg, held_out_metrics, model_spec, teacher_ndcg, write_manifest
from training.policy.policy import load_policy

REPO = Path(__file__).resolve().parents[3]
HELD_OUT = {
    "ndcg@5": 0.81234,
    "ndcg@10": 0.8,
    "mrr": 0.9,
    "kendall_tau": 0.7,
    "engagement_auc": 0.8,
    "engagement_logloss": float("nan"),
    "combined": 0.75,
}
PARITY = {
    "lists": 2,
    "max_abs_relevance": 0.0,
    "max_abs_engagement": 0.0,
    "max_abs_score": 0.0,
    "mean_kendall_tau": 1.0,
    "min_kendall_tau": 1.0,
}


def test_a_null_teacher_ndcg_does_not_crash_the_metrics(tmp_path):
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "metrics.json").write_text(json.dumps({"models": {"relevance teacher": {"ndcg@10": None}}}))
    teacher = teacher_ndcg(tmp_path)
    assert teacher is None
    metrics = held_out_metrics(HELD_OUT, teacher, lists=2, pairs=20, parity=PARITY)
    assert metrics.teacher_ndcg_at_10 is None and metrics.kept_vs_teacher is None
    assert metrics.engagement_logloss is None and metrics.ndcg_at_5 == 0.8123  # NaN -> null, rounded
    with_teacher = held_out_metrics(HELD_OUT, 0.64, lists=2, pairs=20, parity=PARITY)
    assert with_teacher.kept_vs_teacher == 1.25 and math.isclose(with_teacher.teacher_ndcg_at_10 or 0, 0.64)


def test_the_rules_ndcg_is_carried_and_harness_only_metrics_are_left_out(tmp_path):
    (tmp_path / "eval").mkdir()
    models = {"relevance teacher": {"ndcg@10": 0.8}, "rules": {"ndcg@10": 0.9}}
    (tmp_path / "eval" / "metrics.json").write_text(json.dumps({"models": models}))
    rules = evaluated_ndcg(tmp_path, "rules")
    metrics = held_out_metrics({**HELD_OUT, "recall@10": 0.5}, 0.8, lists=2, pairs=20, parity=PARITY, rules=rules)
    assert metrics.rules_ndcg_at_10 == 0.9
    assert "recall@10" not in metrics.model_dump(by_alias=True)
    (tmp_path / "eval" / "metrics.json").write_text(json.dumps({"models": {"relevance teacher": {"ndcg@10": 0.8}}}))
    assert evaluated_ndcg(tmp_path, "rules") is None  # an evaluation from before the rules row


def test_a_missing_teacher_evaluation_is_one_readable_error(tmp_path):
    with pytest.raises(TrainingError, match="run `python -m training evaluate` first"):
        teacher_ndcg(tmp_path)


@needs_model
def test_the_full_presets_spec_is_the_shipped_models():
    shipped = load_manifest(SHIPPED, verify=False)
    spec = model_spec(load_config("full").student, load_policy())
    assert (spec.components, spec.inputs, spec.blend) == (shipped.components, shipped.inputs, shipped.blend)


@needs_model
def test_write_manifest_signs_the_folder_and_the_service_accepts_it(tmp_path):
    folder = copy_model(tmp_path / "model")
    shipped = load_manifest(folder)
    (folder / "manifest.json").unlink()
    created = dt.datetime(2026, 12, 1, 8, 30, 15, 123, tzinfo=dt.UTC)
    metrics = held_out_metrics(HELD_OUT, None, lists=2, pairs=20, parity=PARITY)
    spec = model_spec(load_config("full").student, load_policy())
    written = write_manifest(folder, spec, "int8", metrics, shipped.golden, shipped.cards, created)
    loaded = load_manifest(folder)
    assert loaded == written and loaded.version.startswith("2026.12.01-int8-")
    assert loaded.files == shipped.files and loaded.metrics.teacher_ndcg_at_10 is None
    assert read(folder)["created"] == "2026-12-01T08:30:15Z"


@needs_model
def test_golden_only_migrates_a_format_1_manifest_without_touching_the_model(tmp_path):
    folder = copy_model(tmp_path / "model")
    before = {p.name: sha256_of(p) for p in folder.iterdir() if p.name != "manifest.json"}
    doc = read(folder)
    recorded = doc.pop("golden")
    write(folder, doc | {"format": 1})
    assert add_golden(folder, threads=1) == len(recorded)
    manifest = load_manifest(folder)
    assert manifest.format == 2 and [g.order for g in manifest.golden] == [g["order"] for g in recorded]
    assert {p.name: sha256_of(p) for p in folder.iterdir() if p.name != "manifest.json"} == before


@needs_model
def test_golden_only_refuses_a_folder_whose_files_do_not_match(tmp_path):
    folder = copy_model(tmp_path / "model")
    (folder / "features.onnx").write_bytes(b"broken")
    result = subprocess.run(
        [sys.executable, "-m", "training", "export", "--golden-only", str(folder)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: features.onnx: sha256 does not match")


@needs_model
def test_the_shipped_golden_requests_are_the_exports():
    from training.export.golden import golden_inputs

    shipped = load_manifest(SHIPPED, verify=False).golden
    assert [(g.member, g.candidates) for g in shipped] == golden_inputs()
