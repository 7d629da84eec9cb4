"""Turning candidate lists into model inputs, and teachers' predictions back into numbers."""

from __future__ import annotations

import numpy as np
import torch

from app.domain.featurize import match_feature_matrix, pair_text
from app.domain.schemas import Job, Member


def encode(tokenizer, member: Member, jobs: list[Job] | tuple[Job, ...], max_length: int) -> dict[str, torch.Tensor]:
    """Tokenised (member text, job text) pairs and match features for one member's jobs."""
    pairs = [pair_text(member, job) for job in jobs]
    enc = tokenizer(
        [m for m, _ in pairs],
        [j for _, j in pairs],
        truncation="longest_first",
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )
    token_types = enc.get("token_type_ids")
    return {
        "input_ids": enc["input_ids"],
        "attention_mask": enc["attention_mask"],
        "token_type_ids": token_types if token_types is not None else torch.zeros_like(enc["input_ids"]),
        "features": torch.from_numpy(match_feature_matrix(member, jobs)),
    }


@torch.inference_mode()
def predict(model, tokenizer, member: Member, jobs, max_length: int, batch_size: int = 64) -> np.ndarray:
    """Teacher outputs for one member's jobs: grade probabilities [n, 5] or engagement probabilities [n]."""
    model.eval()
    outputs = []
    for start in range(0, len(jobs), batch_size):
        logits = model(**encode(tokenizer, member, jobs[start : start + batch_size], max_length))
        outputs.append(torch.softmax(logits, -1) if logits.ndim == 2 else torch.sigmoid(logits))
    return torch.cat(outputs).numpy() if outputs else np.zeros((0,))
