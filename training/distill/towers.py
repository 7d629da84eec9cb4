"""The student's (frozen) tower encoder: texts in, the pooled vectors the student trains on and exports.

For ``tower_text`` "compact" or "title" it is the encoder cut to its first ``student.layers`` layers;
each text gives the mean-pooled last hidden state [width]. For "compact+title" it is
:class:`TwoTextTower`: the compact text through the lower ``student.layers`` layers (what the text
path's projections read, as the single-text student's towers), the title through every layer of the
encoder (the similarity the heads read), the two pooled vectors side by side [2 x width]. Both paths
share one set of weights (the lower layers are the same modules), so the exported graph stores them
once.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from app.domain.featurize import text_parts
from training.config import StudentConfig
from training.teachers.encoder import EncoderCard, load_encoder, mean_pool, pooled_embeddings

TITLE_MAX_LENGTH = 32  # wordpieces of a title (the title encoder's own cap)
TITLE_INPUTS = ("title_input_ids", "title_attention_mask")  # the graph's inputs after the compact text's


class TwoTextTower(nn.Module):
    """(compact ids, mask, title ids, mask) -> [pooled lower layers over the compact text, pooled all
    layers over the title] ([batch, 2 x width]). ``lower`` is the same encoder cut to its first layers,
    its modules shared with ``encoder``'s."""

    def __init__(self, encoder: nn.Module, lower: nn.Module):
        super().__init__()
        self.encoder, self.lower = encoder, lower

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        title_input_ids: torch.Tensor,
        title_attention_mask: torch.Tensor,
    ) -> torch.Tensor:
        compact = self.lower(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        title = self.encoder(input_ids=title_input_ids, attention_mask=title_attention_mask).last_hidden_state
        return torch.cat([mean_pool(compact, attention_mask), mean_pool(title, title_attention_mask)], dim=-1)


def two_texts(cfg: StudentConfig) -> bool:
    """Whether ``cfg``'s towers read two texts (tower_text "compact+title")."""
    return cfg.tower_text == "compact+title"


def load_towers(cfg: StudentConfig, runs: Path) -> tuple[Any, Any, EncoderCard]:
    """(tokenizer, tower encoder, card) for ``cfg``: the encoder cut to ``cfg.layers`` layers, or a
    :class:`TwoTextTower` over the whole encoder (its card then says every layer is used)."""
    folder = cfg.tower_encoder(runs)
    if not two_texts(cfg):
        return load_encoder(cfg.layers, folder)
    tokenizer, encoder, card = load_encoder(None, folder)
    return tokenizer, two_text_tower(encoder, cfg.layers), card


def two_text_tower(encoder: Any, layers: int) -> TwoTextTower:
    """A :class:`TwoTextTower` over a (transformers BERT) ``encoder``: its lower path is a model of the
    same kind whose embeddings and first ``layers`` layers are the encoder's own modules (one set of
    weights, stored once on export)."""
    config = copy.deepcopy(encoder.config)
    config.num_hidden_layers = layers
    lower = type(encoder)(config, add_pooling_layer=False)
    lower.embeddings = encoder.embeddings
    lower.encoder.layer = nn.ModuleList(list(encoder.encoder.layer[:layers]))
    tower = TwoTextTower(encoder, lower.eval())
    tower.config = encoder.config
    tower.requires_grad_(False)
    return tower.eval()


def pooled_texts(tower: nn.Module, tokenizer, texts: list[str], max_length: int) -> np.ndarray:
    """Pooled tower outputs of ``texts`` as float32 [n, width] ([n, 2 x width] for a two-text tower, whose
    texts are made by :func:`app.domain.featurize.joined_parts`: compact part, title part)."""
    if not isinstance(tower, TwoTextTower):
        return pooled_embeddings(tower, tokenizer, texts, max_length)
    parts = [text_parts(text, 2) for text in texts]
    compact = pooled_embeddings(tower.lower, tokenizer, [p[0] for p in parts], max_length)
    titles = pooled_embeddings(tower.encoder, tokenizer, [p[1] for p in parts], TITLE_MAX_LENGTH)
    return np.concatenate([compact, titles], axis=1)


def pooled_tensor(tower: nn.Module, tokenizer, texts: list[str], max_length: int) -> torch.Tensor:
    """:func:`pooled_texts` through the tower's own forward (the graph that is exported), as a tensor:
    the parity reference."""
    if not isinstance(tower, TwoTextTower):
        enc = tokenizer(texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
        hidden = tower(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
        return mean_pool(hidden, enc["attention_mask"])
    parts = [text_parts(text, 2) for text in texts]
    c = tokenizer([p[0] for p in parts], truncation=True, max_length=max_length, padding=True, return_tensors="pt")
    t = tokenizer(
        [p[1] for p in parts], truncation=True, max_length=TITLE_MAX_LENGTH, padding=True, return_tensors="pt"
    )
    return tower(c["input_ids"], c["attention_mask"], t["input_ids"], t["attention_mask"])
