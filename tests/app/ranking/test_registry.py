"""The model registry: versions side by side, pinning, refusal of tampered models, reload without a cold start."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from app.config import Settings
from app.ranking.engine import RankingEngine
from app.ranking.registry import ModelRegistry
from tests.app.ranking.model_folders import copy_model, needs_model, read, resave, resign, scale_weights
from tests.conftest import make_job, make_member

pytestmark = needs_model
NAME = "jobrank-ranker"


def _registry(artifacts: Path, **kwargs) -> ModelRegistry:
    return ModelRegistry(artifacts, NAME, threads=1, cache_size=100, **kwargs)


def _traffic(engine: RankingEngine, count: int = 6) -> tuple[list, np.ndarray]:
    """Rank a few jobs through the engine (they land in its cache); returns the jobs and their scores."""
    jobs = [make_job(job_id=f"t{i}", title=f"Engineer {i}", description=f"Posting {i}.") for i in range(count)]
    return jobs, engine.rank(make_member(), jobs, budget_ms=60_000).score


def _tamper(folder: Path) -> None:
    """Other (permuted) scores from the interaction network, its weights negated, with a manifest re-signed
    to match the new file: it passes the hash check and the smoke ranking."""
    scale_weights(folder / "interaction.onnx", -1.0)
    resign(folder)


def test_the_newest_version_serves_and_a_pin_chooses_another(tmp_path):
    old = copy_model(tmp_path / NAME / "v1")
    new = copy_model(tmp_path / NAME / "v2", version="2026.12.01-next", days_later=7)
    registry = _registry(tmp_path)
    report = registry.reload()
    assert report.ok and report.loaded == {NAME: "2026.12.01-next"} and registry.active is not None
    assert registry.served[NAME].folder == new
    pinned = _registry(tmp_path, version=read(old)["version"])
    assert pinned.reload().ok and pinned.served[NAME].folder == old


def test_a_pin_to_a_missing_version_is_refused(tmp_path):
    copy_model(tmp_path / NAME)
    registry = _registry(tmp_path, version="no-such-version")
    report = registry.reload()
    assert not report.ok and "JOBRANK_MODEL_VERSION=no-such-version" in report.refused[NAME]
    assert registry.active is None


def test_hidden_folders_are_not_models(tmp_path):
    copy_model(tmp_path / NAME)
    copy_model(tmp_path / f".{NAME}.staging", version="half-published", days_later=1)
    registry = _registry(tmp_path)
    assert registry.folders() == [tmp_path / NAME]


def test_the_same_version_twice_is_refused_once(tmp_path):
    copy_model(tmp_path / "a")
    copy_model(tmp_path / "b")
    registry = _registry(tmp_path)
    report = registry.reload()
    assert list(report.refused) == ["b"] and "is also in a" in report.refused["b"]
    assert registry.served[NAME].folder == tmp_path / "a"


def test_a_tampered_model_is_refused_at_start_and_the_older_version_serves(tmp_path):
    copy_model(tmp_path / NAME / "v1")
    _tamper(copy_model(tmp_path / NAME / "v2", version="tampered", days_later=7))
    registry = _registry(tmp_path)
    report = registry.reload()
    assert not report.ok and "golden request" in report.refused[f"{NAME}/v2"]
    assert registry.active is not None and registry.active.version != "tampered"
    alone = tmp_path / "alone"
    shutil.move(tmp_path / NAME / "v2", alone / NAME)
    only_tampered = _registry(alone)
    assert not only_tampered.reload().ok and only_tampered.active is None  # nothing serves a tampered model


def test_a_tampered_model_is_refused_at_reload_and_the_old_one_keeps_answering(tmp_path):
    folder = copy_model(tmp_path / NAME)
    registry = _registry(tmp_path)
    assert registry.reload().ok
    serving = registry.active
    assert serving is not None
    jobs, before = _traffic(serving)
    doc = read(folder)
    _tamper(folder)
    (tmp_path / NAME / "manifest.json").write_text(
        (tmp_path / NAME / "manifest.json").read_text().replace(doc["version"], "tampered")
    )
    report = registry.reload()
    assert not report.ok and "golden request" in report.refused[NAME] and report.kept == {NAME: doc["version"]}
    assert registry.active is serving
    np.testing.assert_array_equal(serving.rank(make_member(), jobs, budget_ms=60_000).score, before)


def test_a_new_version_with_the_same_job_tower_takes_over_the_cache(tmp_path):
    copy_model(tmp_path / NAME / "v1")
    registry = _registry(tmp_path)
    registry.reload()
    old = registry.active
    assert old is not None
    jobs, before = _traffic(old)
    copy_model(tmp_path / NAME / "v2", version="next", days_later=1)
    report = registry.reload()
    new = registry.active
    assert report.loaded == {NAME: "next"} and new is not None and new is not old
    assert new.cache is old.cache and "carried over (6 jobs)" in report.cache[NAME]
    again = new.rank(make_member(), jobs, budget_ms=60_000)
    assert again.counts["cached"] == len(jobs) and again.counts["encoded"] == 0
    np.testing.assert_array_equal(again.score, before)


def test_a_new_version_with_another_job_tower_is_warmed_on_recent_jobs(tmp_path):
    copy_model(tmp_path / NAME / "v1")
    registry = _registry(tmp_path, warm_jobs=4)
    registry.reload()
    old = registry.active
    assert old is not None
    jobs, before = _traffic(old)
    new_folder = copy_model(tmp_path / NAME / "v2", version="next", days_later=1)
    resave(new_folder / "job_tower.onnx")  # other bytes, same embeddings
    resign(new_folder)
    report = registry.reload()
    new = registry.active
    assert report.ok and new is not None and new.cache is not old.cache
    assert report.cache[NAME] == "warmed on 4 recent jobs: new job tower" and len(new.cache) == 4
    again = new.rank(make_member(), jobs, budget_ms=60_000)
    assert again.counts["cached"] == 4 and again.counts["encoded"] == 2  # the 4 most recently used were warmed
    np.testing.assert_allclose(again.score, before, atol=1e-6)


def test_a_deleted_folder_is_unloaded_at_the_next_reload(tmp_path):
    copy_model(tmp_path / NAME)
    other = copy_model(tmp_path / "other", name="other-ranker")
    registry = _registry(tmp_path)
    assert registry.reload().ok and set(registry.served) == {NAME, "other-ranker"}
    shutil.rmtree(other)
    report = registry.reload()
    assert (
        report.ok
        and set(registry.served) == {NAME}
        and report.unloaded == {"other-ranker": read(tmp_path / NAME)["version"]}
    )
    newer = copy_model(tmp_path / "newer", version="newer", days_later=1)
    assert registry.reload().loaded == {NAME: "newer"}
    shutil.rmtree(newer)  # the older version's folder is still there: it serves again
    report = registry.reload()
    assert report.loaded == {NAME: read(tmp_path / NAME)["version"]} and not report.unloaded


def test_an_empty_artifacts_folder_changes_nothing(tmp_path):
    folder = copy_model(tmp_path / NAME)
    registry = _registry(tmp_path)
    registry.reload()
    serving = registry.active
    shutil.rmtree(folder)
    report = registry.reload()
    assert not report.ok and registry.active is serving and "no model folder" in report.refused["."]


def test_the_version_pin_comes_from_the_environment():
    from app.main import create_app

    settings = Settings.from_env({"JOBRANK_MODEL_VERSION": "2026.11.24-int8-07c7b9b4"})
    assert settings.model_version == "2026.11.24-int8-07c7b9b4"
    assert create_app(settings).state.service.registry.version == settings.model_version
    assert Settings.from_env({}).model_version is None
