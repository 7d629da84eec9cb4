"""The scoring engine without HTTP: manifest checks, the ONNX runtime, the job cache, the cascade, settings."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from app.config import Settings, SettingsError, usable_cpus
from app.domain.featurize import job_facts
from app.ranking.cache import CachedJob, JobCache, job_key
from app.ranking.engine import RankingEngine, smoke_request
from app.ranking.manifest import ManifestError
from app.ranking.registry import ModelRegistry
from app.ranking.student import StudentModel
from app.schemas import RankedJob
from tests.conftest import make_job, make_member

SHIPPED = Path(__file__).resolve().parents[3] / "artifacts" / "jobrank-ranker"
needs_model = pytest.mark.skipif(not (SHIPPED / "manifest.json").is_file(), reason="no shipped model in artifacts/")


@pytest.fixture(scope="module")
def engine() -> RankingEngine:
    engine = RankingEngine(StudentModel.load(SHIPPED, threads=2), cache_size=1000)
    engine.warm_up()
    return engine


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(SHIPPED, folder)
    return folder


@needs_model
@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda f: (f / "job_tower.onnx").write_bytes(b"not a model"), "job_tower.onnx: sha256 does not match"),
        (lambda f: (f / "tokenizer.json").unlink(), "tokenizer.json: listed in manifest.json but missing"),
        (lambda f: (f / "manifest.json").write_text("{"), "unreadable"),
        (lambda f: (f / "manifest.json").unlink(), "no manifest.json"),
    ],
)
def test_damaged_model_folders_are_refused(tmp_path, damage, message):
    folder = _copy(tmp_path)
    damage(folder)
    with pytest.raises(ManifestError, match=message):
        StudentModel.load(folder)


@needs_model
def test_engine_scores_match_the_uncached_model(engine):
    member, jobs = smoke_request()
    direct = engine.model.rank(member, jobs)
    outcome = engine.rank(member, jobs, budget_ms=60_000)
    assert outcome.tier == "ranker" and not outcome.degraded
    np.testing.assert_allclose(outcome.score, direct.score, atol=1e-6)
    assert (
        outcome.score[0] > outcome.score[2] and outcome.score[0] > outcome.score[3]
    )  # the engineer job beats nurse/driver
    cached = engine.rank(member, jobs, budget_ms=60_000)
    assert cached.counts["cached"] == len(jobs)
    np.testing.assert_array_equal(cached.score, outcome.score)


@needs_model
def test_embeddings_do_not_depend_on_the_batch(engine):
    jobs = [
        make_job(job_id=f"b{i}", title=title, description=" ".join(["details"] * (i * 7)))
        for i, title in enumerate(["Data Engineer", "Nurse", "Welder", "Accountant", "Chef"])
    ]
    from app.domain.featurize import job_text

    texts = [job_text(job) for job in jobs]
    together = engine.model.encode_jobs(texts)
    alone = np.stack([engine.model.encode_jobs([text])[0] for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


@needs_model
def test_cascade_falls_back_to_the_features_tier(engine):
    member = make_member()
    jobs = [make_job(job_id=f"c{i}", title=f"Role {i}", description=f"Unique posting {i}.") for i in range(40)]
    nothing_fits = engine.rank(member, jobs, budget_ms=0.001)
    assert nothing_fits.tier == "features" and nothing_fits.degraded and nothing_fits.counts["features_only"] == 40
    assert not nothing_fits.by_ranker.any() and np.all(np.isfinite(nothing_fits.score))
    engine.costs.ms["encode_per_job"] = 5.0  # pretend encoding is slow: only some jobs fit
    partial = engine.rank(member, jobs, budget_ms=engine.costs.ms["member"] + 60)
    assert partial.tier in ("ranker+features", "ranker")
    counts = partial.counts
    assert counts["encoded"] + counts["features_only"] + counts["cached"] == 40
    assert partial.by_ranker.sum() == counts["encoded"] + counts["cached"]


def test_job_cache_is_bounded_and_keyed_by_content():
    cache = JobCache(capacity=2)
    jobs = [make_job(job_id=f"k{i}") for i in range(3)]
    entry = CachedJob(np.zeros(4, dtype=np.float32), job_facts(jobs[0]))
    cache.put_many([(job_key(job), entry) for job in jobs])
    assert len(cache) == 2 and cache.get_many([job_key(jobs[0])]) == [None]  # least recently used went first
    assert job_key(make_job(job_id="x")) != job_key(make_job(job_id="x", title="Other title"))
    assert job_key(make_job(job_id="x")) == job_key(make_job(job_id="x"))
    job = make_job(job_id="x")  # the key hashes the job's canonical JSON, every field
    assert job_key(job) == hashlib.blake2b(job.model_dump_json().encode(), digest_size=16).digest()
    cache.get_many([job_key(jobs[2]), job_key(jobs[0])])
    assert (cache.hits, cache.misses) == (1, 2) and cache.hit_rate() == pytest.approx(1 / 3)
    assert cache.get_many([job_key(jobs[2]), job_key(jobs[0])], count=False)[0] is not None
    assert (cache.hits, cache.misses) == (1, 2)  # lookups of indexing do not count


@needs_model
def test_indexing_does_not_count_as_cache_lookups(engine):
    jobs = [make_job(job_id=f"ix{i}", title=f"Indexed {i}") for i in range(3)]
    before = (engine.cache.hits, engine.cache.misses)
    engine.index_jobs(jobs)
    assert engine.index_jobs(jobs)["already_cached"] == 3
    assert (engine.cache.hits, engine.cache.misses) == before
    engine.rank(make_member(), jobs, budget_ms=60_000)
    assert (engine.cache.hits, engine.cache.misses) == (before[0] + 3, before[1])


@needs_model
def test_registry_loads_every_folder_and_keeps_serving_after_a_bad_reload(tmp_path):
    folder = _copy(tmp_path)
    registry = ModelRegistry(tmp_path, "jobrank-ranker", threads=1, cache_size=10)
    assert registry.reload().ok and registry.active is not None
    serving = registry.active
    (folder / "features.onnx").write_bytes(b"broken")
    report = registry.reload()
    assert not report.ok and "features.onnx" in report.refused["model"]
    assert registry.active is serving


def test_settings_from_environment():
    settings = Settings.from_env({"JOBRANK_DEFAULT_BUDGET_MS": "20", "JOBRANK_ADMIN_TOKEN": "", "JOBRANK_WORKERS": "2"})
    assert settings.default_budget_ms == 20 and settings.admin_token is None and settings.workers == 2
    with pytest.raises(SettingsError, match="JOBRANK_DEFAULT_BUDGET_MS"):
        Settings.from_env({"JOBRANK_DEFAULT_BUDGET_MS": "-1"})
    with pytest.raises(SettingsError, match="JOBRANK_LOG_LEVEL"):
        Settings.from_env({"JOBRANK_LOG_LEVEL": "chatty"})


def test_threads_follow_the_cgroup_quota(monkeypatch):
    import app.domain.cpus as config

    monkeypatch.setattr(config.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7})
    monkeypatch.setattr(config, "_cgroup_quota", lambda: 2.5)
    assert usable_cpus() == 2
    assert Settings(workers=2).onnx_threads() == 1
    monkeypatch.setattr(config, "_cgroup_quota", lambda: None)
    assert usable_cpus() == 8 and Settings(workers=2).onnx_threads() == 4 and Settings(threads=3).onnx_threads() == 3


def test_serving_imports_neither_torch_nor_training():
    import subprocess
    import sys

    code = (
        "import sys, app.main; heavy = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'training', "
        "'transformers'}); print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


@needs_model
def test_ranked_is_sorted_cut_rounded_and_keeps_input_order_on_ties(engine):
    member = make_member()
    twins = [make_job(job_id=job_id) for job_id in ("z", "a", "m")]  # same content: the same score
    other = make_job(job_id="b", title="Nurse", required_skills=["Patient care"], description="Ward nursing.")
    ranked = engine.ranked(member, [*twins, other], budget_ms=60_000, explain=True)
    assert [r["job_id"] for r in ranked.results] == ["z", "a", "m", "b"]
    assert [r["rank"] for r in ranked.results] == [1, 2, 3, 4]
    assert all(r["tier"] == "ranker" and r["score"] == round(r["score"], 6) for r in ranked.results)
    assert all(RankedJob.model_validate(r) for r in ranked.results)  # the answer's declared shape
    top = engine.ranked(member, [other, *twins], budget_ms=60_000, top_k=2)
    assert [r["job_id"] for r in top.results] == ["z", "a"] and "tier" not in top.results[0]


@needs_model
def test_a_member_seen_before_reuses_its_embedding_with_the_same_scores(engine):
    jobs = [make_job(job_id=f"mc{i}", title=f"Engineer {i}") for i in range(3)]
    member = make_member(headline="Member cache check")
    first = engine.rank(member, jobs, budget_ms=60_000)
    again = engine.rank(member, jobs, budget_ms=60_000)
    other = engine.rank(make_member(headline="Someone else entirely"), jobs, budget_ms=60_000)
    assert (first.counts["member_cached"], again.counts["member_cached"], other.counts["member_cached"]) == (0, 1, 0)
    assert "member_tower" in first.steps_ms and "member_tower" not in again.steps_ms
    assert "member_tower" in other.steps_ms  # another member's text is encoded, never served from the cache
    np.testing.assert_array_equal(first.score, again.score)


@needs_model
def test_a_member_side_is_reused_only_for_the_same_member_content(engine):
    jobs = [make_job(job_id=f"ms{i}", title=f"Nurse {i}", required_skills=["Patient care"]) for i in range(3)]
    member = make_member(headline="Member side check")
    hits = engine.member_sides.hits
    first = engine.rank(member, jobs, budget_ms=60_000)
    again = engine.rank(member, jobs, budget_ms=60_000)
    assert engine.member_sides.hits == hits + 1
    np.testing.assert_array_equal(first.score, again.score)
    # Same text for the tower, other facts (skills): the features change, so no cached side is served.
    nurse = member.model_copy(update={"skills": ["Patient care"]})
    changed = engine.rank(nurse, jobs, budget_ms=60_000)
    assert engine.member_sides.hits == hits + 1
    fresh = RankingEngine(engine.model, cache_size=100).rank(nurse, jobs, budget_ms=60_000)
    np.testing.assert_array_equal(changed.score, fresh.score)
