"""The tower-precision benchmark's agreement figures: exact for equal embeddings, lower for perturbed ones."""

from __future__ import annotations

import numpy as np

from benchmarks.tower_precision import agreement, main
from training.evaluation.metrics import kendall_tau_b


def test_the_tau_it_reports_of_equal_reversed_and_one_swap():
    a = np.arange(6, dtype=float)
    assert kendall_tau_b(a, a) == 1.0
    assert kendall_tau_b(a, -a) == -1.0
    swapped = a.copy()
    swapped[[0, 1]] = swapped[[1, 0]]
    assert kendall_tau_b(a, swapped) == 1 - 2 * 2 / 30  # one discordant pair of 15, counted both ways


def test_agreement_is_exact_for_the_same_embeddings_and_lower_for_noisy_ones():
    rng = np.random.default_rng(0)
    exact = rng.normal(size=(200, 16)).astype(np.float32)
    same = agreement(exact, exact * 3.0, queries=20, candidates=50, seed=0)  # scale does not matter: cosines
    assert same["cosine_to_fp32_min"] > 0.99999 and same["kendall_tau_mean"] == 1.0 and same["top10_kept"] == 1.0
    noisy = agreement(exact, exact + rng.normal(scale=0.3, size=exact.shape), queries=20, candidates=50, seed=0)
    assert noisy["cosine_to_fp32_mean"] < 0.99 and 0 < noisy["kendall_tau_mean"] < 0.95 and noisy["top10_kept"] < 1.0


def test_a_folder_without_an_encoder_is_one_line_and_exit_1(tmp_path, capsys):
    assert main(["--encoder", str(tmp_path), "--work", str(tmp_path / "work"), "--out", str(tmp_path / "o.json")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no model.safetensors" in err
