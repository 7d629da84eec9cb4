"""The LP-FT head stage: the head learns over the frozen encoder's pair embeddings, the encoder stays
as it was, head_epochs=0 keeps the old path, and a config that trains nothing is refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from training.config import ConfigError, load_config
from training.data.lists import load_lists
from training.teachers.encoder import load_encoder
from training.teachers.head_stage import pair_embeddings, teacher_loss, train_head
from training.teachers.model import CrossEncoderTeacher
from training.teachers.train import CHECKPOINT, train_teacher

SMALL = ("teacher.layers=1", "teacher.max_length=32", "teacher.train_members=3", "teacher.val_members=1")


def _cfg(*overrides: str):
    return load_config("tiny", overrides=SMALL + overrides).teacher


def _mean_loss(model, lists, cache, cfg) -> float:
    model.eval()
    with torch.no_grad():
        values = [
            teacher_loss(
                model,
                "relevance",
                model.score(torch.from_numpy(pooled), torch.from_numpy(features)),
                torch.from_numpy(lst.grades),
                torch.from_numpy(lst.positive.astype(np.float32)),
                torch.from_numpy(lst.positions),
                cfg,
            ).item()
            for lst, (_, pooled, features) in zip(lists, cache, strict=True)
        ]
    return float(np.mean(values))


def test_the_head_stage_lowers_the_training_loss_and_leaves_the_encoder_alone(tiny_dataset):
    cfg = _cfg("teacher.head_epochs=40")
    lists = load_lists(tiny_dataset, ("train",), cfg.train_members)
    tokenizer, encoder, _ = load_encoder(cfg.layers)
    model = CrossEncoderTeacher(encoder, "relevance")
    encoder_before = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    cache = pair_embeddings(model, tokenizer, lists, "relevance", cfg)
    assert [len(pooled) for _, pooled, _ in cache] == [len(lst) for lst in lists]  # every candidate, not a sample
    before = _mean_loss(model, lists, cache, cfg)

    record = train_head(model, lists, "relevance", tokenizer, cfg)

    after = _mean_loss(model, lists, cache, cfg)
    assert after < 0.9 * before, (before, after)
    assert record["epochs"] == 40 and record["loss_last_epoch"] < record["loss_first_epoch"]
    assert record["pairs"] == sum(len(lst) for lst in lists) and record["seconds"]["train"] >= 0
    for name, value in model.encoder.state_dict().items():
        assert torch.equal(value, encoder_before[name]), name


def test_head_epochs_zero_takes_the_old_path(tiny_dataset, tmp_path, monkeypatch):
    def no_head_stage(*args, **kwargs):
        raise AssertionError("the head stage ran with head_epochs=0")

    monkeypatch.setattr("training.teachers.train.train_head", no_head_stage)
    card = train_teacher("relevance", tiny_dataset, tmp_path, _cfg("teacher.head_epochs=0"), progress=False)
    assert card["head_stage"] is None and card["data"]["steps"] > 0
    assert (tmp_path / CHECKPOINT).is_file()


def test_head_stage_only_keeps_the_pretrained_encoder(tiny_dataset, tmp_path):
    cfg = _cfg("teacher.head_epochs=3", "teacher.epochs=0")
    card = train_teacher("relevance", tiny_dataset, tmp_path, cfg, progress=False)
    assert card["data"]["steps"] == 0 and card["head_stage"]["epochs"] == 3
    assert card["loss_first_20"] is None and 0.0 <= card["metrics"]["val_ndcg@10"] <= 1.0
    _, pretrained, _ = load_encoder(cfg.layers)
    state = torch.load(tmp_path / CHECKPOINT, map_location="cpu")
    for name, value in pretrained.state_dict().items():
        assert torch.equal(state[f"encoder.{name}"], value), name


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (("teacher.head_epochs=-1",), "teacher.head_epochs"),
        (("teacher.head_stage_lr=0",), "teacher.head_stage_lr"),
        (("teacher.epochs=0", "teacher.head_epochs=0"), "would not be trained"),
    ],
)
def test_a_head_stage_setting_that_cannot_train_is_refused(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config("tiny", overrides=overrides)
