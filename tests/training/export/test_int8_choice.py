"""The int8 fallback: variants are tried from most to least compressed, the first passing one ships,
the report and the manifest card name it, and none passing keeps fp32 with one readable line."""

from __future__ import annotations

import pytest

from training.config import ExportConfig
from training.export.graphs import INT8_VARIANTS, Int8Variant
from training.export.int8_choice import Trial, choose_int8, export_card, failure

GATE = ExportConfig(parity_min_tau=0.99, int8_max_ndcg_drop=0.005)
NAMES = [v.name for v in INT8_VARIANTS]


def _stub(results: dict[str, Trial]):
    """A measure() that returns fixed gate figures and remembers which variants it was asked for."""
    asked: list[str] = []

    def measure(variant: Int8Variant) -> Trial:
        asked.append(variant.name)
        return results[variant.name]

    return measure, asked


def test_the_first_passing_variant_ships_and_later_ones_are_not_measured():
    measure, asked = _stub(
        {
            NAMES[0]: Trial(NAMES[0], 35_000_000, 0.984, 0.981),
            NAMES[1]: Trial(NAMES[1], 45_500_000, 0.991, 0.987, 0.0),
            NAMES[2]: Trial(NAMES[2], 48_000_000, 0.995, 0.990, 0.0),
        }
    )
    choice = choose_int8(INT8_VARIANTS, measure, GATE, 50e6)
    assert choice.shipped is INT8_VARIANTS[1]
    assert asked == NAMES[:2]
    report = choice.report()
    assert report["variant"] == NAMES[1]
    assert [t["variant"] for t in report["trials"]] == NAMES[:2]
    assert [t["passed"] for t in report["trials"]] == [False, True]
    assert report["trials"][0]["failed"] == "tau 0.9840 < 0.99"
    assert report["trials"][0]["mean_kendall_tau"] == 0.984 and report["trials"][1]["min_kendall_tau"] == 0.987
    assert NAMES[1] in choice.message and choice.message.startswith("int8 kept")


def test_the_manifest_card_names_the_shipped_variant_and_the_taus_tried():
    tried = [{"variant": NAMES[0], "mean_kendall_tau": 0.984, "min_kendall_tau": 0.981}]
    card = export_card(INT8_VARIANTS[1], tried)["export"]
    assert card["int8_variant"] == NAMES[1] and card["int8_keeps_fp32"] == INT8_VARIANTS[1].keeps
    assert card["int8_tried"] == tried and card["int8_tried"] is not tried  # a copy: later trials do not leak in


def test_none_passing_keeps_fp32_with_one_readable_line():
    measure, asked = _stub({name: Trial(name, 40_000_000, 0.98, 0.97) for name in NAMES})
    choice = choose_int8(INT8_VARIANTS, measure, GATE)
    assert choice.shipped is None and asked == NAMES
    assert choice.report()["variant"] is None
    assert "\n" not in choice.message and choice.message.startswith("int8 not kept, fp32 ships")
    assert all(f"{name}: tau 0.9800 < 0.99" in choice.message for name in NAMES)


@pytest.mark.parametrize(
    ("trial", "limit", "reason"),
    [
        (Trial("v", 51_000_000, 0.999, 0.99, 0.0), 50e6, "51.0 MB > 50 MB"),  # size is checked first
        (Trial("v", 51_000_000, 0.999, 0.99, 0.0), None, None),  # no limit: not publishing
        (Trial("v", 1, 0.999, 0.99, 0.006), None, "NDCG@10 drop 0.0060 > 0.005"),
        (Trial("v", 1, 0.999, 0.99), None, "NDCG@10 drop not measured > 0.005"),
        (Trial("v", 1), None, "tau not measured < 0.99"),
        (Trial("v", 1, 0.99, 0.95, 0.005), None, None),  # the gate's own values pass: it never moves
    ],
)
def test_the_gate(trial, limit, reason):
    assert failure(trial, GATE, limit) == reason


def test_each_variant_keeps_more_in_fp32_than_the_one_before():
    nodes = (
        [
            f"/encoder/encoder/layer.{i}/{part}/MatMul"
            for i in range(6)
            for part in ("attention/output/dense", "intermediate/dense", "output/dense")
        ]
        + [f"Attention_{i}" for i in range(6)]
        + ["EmbedLayerNormalization_0"]
    )
    kept = [{n for n in nodes if v.keep_fp32(n, 5)} for v in INT8_VARIANTS]
    assert kept[0] == {f"/encoder/encoder/layer.{i}/output/dense/MatMul" for i in range(6)}
    assert {"Attention_5", "/encoder/encoder/layer.5/attention/output/dense/MatMul"} <= kept[2]
    assert "Attention_4" not in kept[2]
    # Each keeps more in fp32 than the one before, or the same nodes with their weights stored fp16 first.
    for v, w, a, b in zip(INT8_VARIANTS, INT8_VARIANTS[1:], kept, kept[1:], strict=False):
        assert a < b or (a == b and v.fp16_storage and not w.fp16_storage), (v.name, w.name)
    assert all("EmbedLayerNormalization_0" not in k for k in kept)  # the word embeddings: int8 in every variant
