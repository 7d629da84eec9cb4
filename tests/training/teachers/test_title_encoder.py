"""The title encoder: the loss, a short fine-tune end to end, and that it pulls a title's phrasings together."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from training.__main__ import main
from training.config import TitleEncoderConfig
from training.teachers.encoder import ENV_OVERRIDE, load_encoder, pooled_embeddings, pretrained_dir
from training.teachers.title_encoder import info_nce, train_title_encoder
from training.teachers.title_pairs import TitleGroups

GROUPS = TitleGroups(
    {
        "pastry": ["pastry chef", "patissier", "dessert cook"],
        "books": ["bookkeeper", "accounts clerk", "ledger keeper"],
        "crane": ["crane operator", "hoist driver", "lifting equipment operator"],
        "nurse": ["registered nurse", "RN", "staff nurse"],
        "code": ["software developer", "programmer", "coder"],
        "farm": ["farmhand", "agricultural worker", "farm labourer"],
        "law": ["paralegal", "legal assistant", "law clerk"],
        "bus": ["bus driver", "coach driver", "omnibus operator"],
    },
    excluded_occupations=0,
    excluded_titles=0,
)
PROBES = [("pastry chef", "patissier"), ("bookkeeper", "ledger keeper"), ("crane operator", "hoist driver")]
UNRELATED = "software developer"


def _margins(path) -> np.ndarray:
    """cos(title, own phrasing) - cos(title, unrelated title) per probe."""
    tokenizer, model, _ = load_encoder(folder=path or pretrained_dir())
    texts = [t for pair in PROBES for t in pair] + [UNRELATED]
    vectors = pooled_embeddings(model.eval(), tokenizer, texts, 32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    own = np.array([vectors[2 * i] @ vectors[2 * i + 1] for i in range(len(PROBES))])
    other = np.array([vectors[2 * i] @ vectors[-1] for i in range(len(PROBES))])
    return own - other


@pytest.fixture(scope="module")
def fine_tuned(tmp_path_factory):
    out = tmp_path_factory.mktemp("title_encoder")
    cfg = TitleEncoderConfig(steps=8, batch_size=8, lr=1e-4, warmup=0.0)
    card = train_title_encoder(cfg, out, progress=False, groups=GROUPS, threads=1)
    return out, card


def test_info_nce_is_small_for_matched_pairs_and_large_for_shuffled_ones():
    torch.manual_seed(0)
    anchors = torch.nn.functional.normalize(torch.randn(16, 32), dim=-1)
    positives = torch.nn.functional.normalize(anchors + 0.05 * torch.randn(16, 32), dim=-1)
    matched = info_nce(anchors, positives, 0.05)
    shuffled = info_nce(anchors, positives.roll(1, dims=0), 0.05)
    assert matched < 0.01 < 5 < shuffled


def test_a_short_fine_tune_writes_a_folder_load_encoder_reads(fine_tuned, monkeypatch):
    out, card = fine_tuned
    assert {"config.json", "model.safetensors", "tokenizer.json", "card.json"} <= {p.name for p in out.iterdir()}
    assert json.loads((out / "card.json").read_text())["pairs_seen"] == card["pairs_seen"] == 8 * 8
    assert card["loss_end"] < card["loss_start"]
    monkeypatch.setenv(ENV_OVERRIDE, str(out))  # JOBRANK_ENCODER_DIR=<folder> points load_encoder at it
    tokenizer, model, encoder_card = load_encoder()
    assert encoder_card.path == str(out) and encoder_card.layers_used == 6
    tuned = model.encoder.layer[5].output.dense.weight
    _, pretrained, _ = load_encoder(folder=pretrained_dir())
    assert not torch.equal(tuned, pretrained.encoder.layer[5].output.dense.weight)
    assert torch.equal(model.embeddings.word_embeddings.weight, pretrained.embeddings.word_embeddings.weight)


def test_fine_tuning_pulls_a_title_towards_its_own_phrasings(fine_tuned):
    out, _ = fine_tuned
    before, after = _margins(None), _margins(out)
    assert (after > before).all(), (before, after)


def test_measure_without_an_encoder_is_one_readable_error(tmp_path, capsys):
    assert main(["title-encoder", "--measure", "--out", str(tmp_path / "none"), "--data", str(tmp_path)]) == 2
    assert "no fine-tuned encoder" in capsys.readouterr().err
