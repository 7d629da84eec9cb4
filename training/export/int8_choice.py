"""Which int8 variant of the towers ships: the first in ``INT8_VARIANTS`` that passes the export gate.

``INT8_VARIANTS`` (training/export/graphs.py) lists the recipes: the int8-arithmetic ones
from most to least compressed, then those computing in fp32 (slower towers), smallest first.
``choose_int8`` measures them in that order and stops at the first whose rankings agree with
PyTorch (mean Kendall tau ≥ ``parity_min_tau``), whose NDCG@10 is within ``int8_max_ndcg_drop`` of
fp32's and whose folder fits the publishing limit. The gate itself never moves; when no variant
passes, fp32 is kept and ``Int8Choice.message`` says why in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from training.config import ExportConfig
from training.export.graphs import Int8Variant


@dataclass(frozen=True)
class Trial:
    """One variant's measured figures; None where it was not measured (an earlier check failed)."""

    variant: str
    bytes: int
    mean_kendall_tau: float | None = None
    min_kendall_tau: float | None = None
    ndcg_drop: float | None = None  # fp32's NDCG@10 minus this variant's


@dataclass(frozen=True)
class Int8Choice:
    """The variant that ships (None: keep fp32), every trial in order with its verdict, and one line saying so."""

    shipped: Int8Variant | None
    trials: list[dict]
    message: str

    def report(self) -> dict:
        """The export report's ``int8`` entry."""
        variant = None if self.shipped is None else self.shipped.name
        return {"variant": variant, "message": self.message, "trials": self.trials}


def export_card(variant: Int8Variant, tried: list[dict]) -> dict:
    """The manifest's ``cards.export`` for an int8 folder: its variant, what it keeps in fp32 and the taus
    of the variants tried up to it (the manifest's ``precision`` says int8 either way)."""
    return {"export": {"int8_variant": variant.name, "int8_keeps_fp32": variant.keeps, "int8_tried": list(tried)}}


def failure(trial: Trial, gate: ExportConfig, max_bytes: float | None) -> str | None:
    """Why ``trial`` fails the gate (the first check it fails), or None when it passes."""
    if max_bytes is not None and trial.bytes > max_bytes:
        return f"{trial.bytes / 1e6:.1f} MB > {max_bytes / 1e6:g} MB"
    if trial.mean_kendall_tau is None or trial.mean_kendall_tau < gate.parity_min_tau:
        tau = "not measured" if trial.mean_kendall_tau is None else f"{trial.mean_kendall_tau:.4f}"
        return f"tau {tau} < {gate.parity_min_tau:g}"
    if trial.ndcg_drop is None or trial.ndcg_drop > gate.int8_max_ndcg_drop:
        drop = "not measured" if trial.ndcg_drop is None else f"{trial.ndcg_drop:.4f}"
        return f"NDCG@10 drop {drop} > {gate.int8_max_ndcg_drop:g}"
    return None


def choose_int8(
    variants: Sequence[Int8Variant],
    measure: Callable[[Int8Variant], Trial],
    gate: ExportConfig,
    max_bytes: float | None = None,
) -> Int8Choice:
    """Measure ``variants`` in order until one passes the gate; ``max_bytes``: the publishing limit (None: none)."""
    trials = []
    for variant in variants:
        trial = measure(variant)
        reason = failure(trial, gate, max_bytes)
        trials.append(asdict(trial) | {"keeps_fp32": variant.keeps, "passed": reason is None, "failed": reason})
        if reason is None:
            return Int8Choice(variant, trials, f"int8 kept: variant {variant.name} ({variant.keeps} in fp32)")
    tried = "; ".join(f"{t['variant']}: {t['failed']}" for t in trials)
    return Int8Choice(None, trials, f"int8 not kept, fp32 ships: no int8 variant passed the gate ({tried})")
