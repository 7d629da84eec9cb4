"""The learning-rate schedule: linear warm-up, then linear decay to zero."""

from __future__ import annotations

import pytest
import torch

from training.teachers.schedule import warmup_then_linear


def test_warm_up_then_linear_decay_to_zero():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    schedule = warmup_then_linear(optimizer, total=10, warmup_share=0.2)
    rates = []
    for _ in range(10):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert rates[:3] == pytest.approx([0.5, 1.0, 1.0])  # 2 warm-up steps, then the peak
    assert rates[2:] == sorted(rates[2:], reverse=True) and rates[-1] == pytest.approx(1 / 8)
    assert optimizer.param_groups[0]["lr"] == 0.0
