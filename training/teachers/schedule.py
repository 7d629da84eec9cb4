"""The learning-rate schedule the teachers and the title encoder train with."""

from __future__ import annotations

import torch


def warmup_then_linear(optimizer: torch.optim.Optimizer, total: int, warmup_share: float):
    """LambdaLR: linear warm-up over ``warmup_share`` of ``total`` steps (at least one), then linear decay to 0."""
    warmup = max(1, int(warmup_share * total))
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )
