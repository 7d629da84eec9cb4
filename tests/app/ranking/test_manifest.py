"""manifest.json, the typed contract: the checked-in schema, the shipped document, what is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.ranking.manifest import ManifestError, ModelManifest, json_schema, load_manifest, parse_manifest
from tests.app.ranking.model_folders import SHIPPED, copy_model, needs_model, read, write

SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "manifest.schema.json"


def test_checked_in_schema_is_the_models_schema():
    checked_in = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert checked_in == json_schema(), (
        "docs/manifest.schema.json is stale: python -m app.ranking.manifest > docs/manifest.schema.json"
    )
    assert "golden" in checked_in["required"] and "teacher_ndcg@10" in checked_in["$defs"]["Metrics"]["properties"]


@needs_model
def test_shipped_manifest_validates_and_is_complete():
    manifest = load_manifest(SHIPPED)
    assert manifest.name == "jobrank-ranker" and manifest.format == 2
    assert isinstance(manifest.metrics.ndcg_at_10, float) and isinstance(manifest.metrics.teacher_ndcg_at_10, float)
    assert manifest.inputs.member_tower.max_length > 0 and manifest.inputs.job_tower.max_length > 0
    assert abs(manifest.blend.relevance + manifest.blend.engagement - 1) < 1e-9
    assert manifest.cards["teachers"]["relevance"]["metrics"] and manifest.cards["data"]["counts"]
    assert manifest.metrics.parity.mean_kendall_tau >= 0.99
    assert sum(entry.bytes for entry in manifest.files.values()) <= 50_000_000
    assert len(manifest.golden) >= 3 and all(len(g.candidates) >= 4 for g in manifest.golden)


@needs_model
def test_manifest_round_trips_through_its_json():
    manifest = load_manifest(SHIPPED, verify=False)
    text = manifest.to_json()
    assert parse_manifest(json.loads(text)) == manifest
    assert list(json.loads(text))[:3] == ["format", "name", "version"]
    # The shipped file is exactly what the model writes: no hand-edited drift.
    assert json.loads(text) == json.loads((SHIPPED / "manifest.json").read_text())


@needs_model
def test_a_null_teacher_ndcg_is_accepted(tmp_path):
    folder = copy_model(tmp_path / "model")
    doc = read(folder)
    doc["metrics"] |= {"teacher_ndcg@10": None, "kept_vs_teacher": None}
    write(folder, doc)
    manifest = load_manifest(folder)
    assert manifest.metrics.teacher_ndcg_at_10 is None and manifest.metrics.kept_vs_teacher is None


@needs_model
@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda m: m["inputs"]["interaction"].update(features_version=999), "match features version 999"),
        (lambda m: m["metrics"].pop("ndcg@10"), "'metrics.ndcg@10': Field required"),
        (lambda m: m["metrics"].update(combined="high"), "'metrics.combined'"),
        (lambda m: m["components"].update(interaction="elsewhere.onnx"), "not listed in 'files'"),
        (lambda m: m["files"].update({"../x.onnx": m["files"]["features.onnx"]}), "must not contain a path"),
        (lambda m: m.update(format=3), "format 3 is not 2"),
        (lambda m: m.update(format=1), "--golden-only"),
        (lambda m: m.pop("golden"), "'golden': Field required"),
        (lambda m: m["golden"][0]["expected"].pop(), "'expected' and 'order' must name the candidates"),
        (lambda m: m["golden"][0].update(tolerance=0), "'golden.0.tolerance'"),
        (lambda m: m.update(unexpected=1), "'unexpected': Extra inputs are not permitted"),
        (lambda m: m.update(created="2026-11-24T07:50:26"), "'created': Input should have timezone info"),
    ],
)
def test_inconsistent_manifests_are_refused(tmp_path, edit, message):
    folder = copy_model(tmp_path / "model")
    doc = read(folder)
    edit(doc)
    write(folder, doc)
    with pytest.raises(ManifestError, match=message.replace("(", r"\(").replace(".", r"\.")) as refused:
        load_manifest(folder)
    assert str(refused.value).startswith(str(folder))


def test_manifest_field_order_covers_every_field():
    from app.ranking.manifest import _ORDER

    assert sorted(_ORDER) == sorted(ModelManifest.model_fields)
