"""A raw-similarity student exports to one tower graph + an interaction graph that score as PyTorch does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.domain.featurize import FEATURE_NAMES
from training.distill.student import RankerStudent
from training.export.graphs import (
    INT8_VARIANTS,
    export_interaction,
    export_tower,
    fuse_transformer,
    quantize_int8,
    store_fp16,
)
from training.teachers.losses import expected_grade

WIDTH = 16


def _student(raw_similarity: bool) -> RankerStudent:
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=120,
        hidden_size=WIDTH,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        attn_implementation="eager",
    )
    encoder = BertModel(config, add_pooling_layer=False)
    student = RankerStudent(encoder, WIDTH, dim=8, raw_similarity=raw_similarity).eval()
    for parameter in student.interaction.parameters():  # leave the zero-initialised start: every input counts
        parameter.data.normal_(0, 0.5)
    return student


def _run(path, **inputs):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, inputs)


@pytest.mark.parametrize("raw_similarity", [False, True])
def test_onnx_scores_match_pytorch(tmp_path, raw_similarity):
    student = _student(raw_similarity)
    ids = torch.randint(1, 120, (4, 7))
    mask = torch.ones_like(ids)
    mask[2, 5:] = 0
    features = torch.rand(3, len(FEATURE_NAMES))
    projection = None if raw_similarity else student.member_projection
    tower = export_tower(student.encoder, projection, tmp_path / "tower.onnx")
    width = WIDTH if raw_similarity else 8
    interaction = export_interaction(
        student.interaction, width, tmp_path / "interaction.onnx", student if raw_similarity else None
    )
    with torch.no_grad():
        pooled = student.pooled(ids, mask)
        grade_logits, engage_logits = student.score_pooled(pooled[:1].expand(3, -1), pooled[1:], features)
        expected = (expected_grade(grade_logits).numpy(), torch.sigmoid(engage_logits).numpy())

    if raw_similarity:  # the exported tower hands over the pooled encoder output
        (embedded,) = _run(tower, input_ids=ids.numpy(), attention_mask=mask.numpy())
        np.testing.assert_allclose(embedded, pooled.numpy(), atol=1e-5)
    else:  # member and job towers differ only in their projection; rebuild the job side with its own
        export_tower(student.encoder, student.job_projection, tmp_path / "job.onnx")
        (member,) = _run(tower, input_ids=ids[:1].numpy(), attention_mask=mask[:1].numpy())
        (jobs,) = _run(tmp_path / "job.onnx", input_ids=ids[1:].numpy(), attention_mask=mask[1:].numpy())
        embedded = np.concatenate([member, jobs])
    relevance, engagement = _run(
        interaction, member=embedded[:1], jobs=embedded[1:], features=features.numpy().astype(np.float32)
    )
    np.testing.assert_allclose(relevance, expected[0], atol=1e-5)
    np.testing.assert_allclose(engagement, expected[1], atol=1e-5)


def test_the_raw_similarity_alone_moves_the_scores():
    student = _student(True)
    member, job, features = torch.randn(3, 8), torch.randn(3, 8), torch.rand(3, len(FEATURE_NAMES))
    with torch.no_grad():
        near, _ = student.interaction(member, job, features, torch.full((3,), 0.9))
        far, _ = student.interaction(member, job, features, torch.full((3,), 0.1))
    assert not torch.allclose(near, far)
    with pytest.raises(AssertionError, match="similarity"):
        student.interaction(member, job, features)


@pytest.mark.parametrize("variant", INT8_VARIANTS, ids=lambda v: v.name)
def test_each_int8_variant_leaves_its_nodes_fp32_and_quantises_the_rest(tmp_path, variant):
    import onnx

    student = _student(True)
    fused = fuse_transformer(
        export_tower(student.encoder, None, tmp_path / "raw.onnx"), tmp_path / "fp32.onnx", 2, WIDTH
    )
    kept = variant.fp32_nodes(fused)
    assert kept  # the fused names the variants select exist in this exporter's graph
    graph = onnx.load(str(quantize_int8(fused, tmp_path / "int8.onnx", variant=variant))).graph
    float_nodes = {n.name for n in graph.node if n.op_type in ("MatMul", "Attention")}
    assert float_nodes == set(kept)
    assert any(n.op_type in ("MatMulInteger", "DynamicQuantizeMatMul", "QEmbedLayerNormalization") for n in graph.node)


def test_fp16_storage_halves_the_weights_and_onnxruntime_computes_in_fp32(tmp_path):
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    from app.ranking.student import session_options

    student = _student(True)
    with torch.no_grad():
        student.encoder.encoder.layer[0].output.dense.weight[0, 0] = 70000.0  # beyond fp16: stays fp32
    fused = fuse_transformer(
        export_tower(student.encoder, None, tmp_path / "raw.onnx"), tmp_path / "fp32.onnx", 2, WIDTH
    )
    half = tmp_path / "fp16.onnx"
    half.write_bytes(fused.read_bytes())
    converted = store_fp16(half, min_elements=64)
    graph = onnx.load(str(half)).graph
    types = {i.name: i.data_type for i in graph.initializer}
    assert converted == sum(t == onnx.TensorProto.FLOAT16 for t in types.values()) >= 6
    assert half.stat().st_size < 0.75 * fused.stat().st_size
    source = onnx.load(str(fused)).graph.initializer
    (too_large,) = [i.name for i in source if numpy_helper.to_array(i).max(initial=0) >= 70000.0]
    assert types[too_large] == onnx.TensorProto.FLOAT  # kept fp32, not overflowed to inf

    ids = np.array([[101, 7, 8, 9, 102], [101, 11, 12, 102, 0]], dtype=np.int64)
    mask = (ids > 0).astype(np.int64)
    options = session_options(1)
    options.optimized_model_filepath = str(tmp_path / "loaded.onnx")
    session = ort.InferenceSession(str(half), options, providers=["CPUExecutionProvider"])
    (stored,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
    (exact,) = _run(fused, input_ids=ids, attention_mask=mask)
    assert stored.dtype == np.float32 and np.isfinite(stored).all()
    assert 0 < np.abs(stored - exact).max() < 1e-2 * np.abs(exact).max()  # fp16's rounding, nothing more
    loaded = onnx.load(str(tmp_path / "loaded.onnx")).graph
    assert not [n for n in loaded.node if n.op_type == "Cast" and n.name.endswith("/to_fp32")]  # folded at load


def test_the_fp16_variant_stores_what_the_quantiser_left_in_fp32_as_fp16(tmp_path, monkeypatch):
    import onnx

    import training.export.graphs as graphs

    monkeypatch.setattr(graphs, "FP16_MIN_ELEMENTS", 64)  # this tiny tower's weights are smaller than real ones
    variant = next(v for v in INT8_VARIANTS if v.fp16_storage)
    twin = next(v for v in INT8_VARIANTS if v.keep_fp32 is variant.keep_fp32 and not v.fp16_storage)
    fused = fuse_transformer(
        export_tower(_student(True).encoder, None, tmp_path / "raw.onnx"), tmp_path / "fp32.onnx", 2, WIDTH
    )
    stored = quantize_int8(fused, tmp_path / "stored.onnx", variant=variant)
    plain = quantize_int8(fused, tmp_path / "plain.onnx", variant=twin)
    assert stored.stat().st_size < plain.stat().st_size
    graph = onnx.load(str(stored)).graph
    assert any(i.data_type == onnx.TensorProto.FLOAT16 for i in graph.initializer)
    assert {n.name for n in graph.node if n.op_type in ("MatMul", "Attention")} == set(variant.fp32_nodes(fused))
    ids = np.array([[101, 7, 8, 9, 102]], dtype=np.int64)
    (a,), (b,) = (_run(path, input_ids=ids, attention_mask=np.ones_like(ids)) for path in (stored, plain))
    assert np.abs(a - b).max() < 1e-2 * np.abs(b).max()


def test_a_two_text_tower_exports_once_and_the_runtime_feeds_both_texts(tmp_path):
    """compact text through the lower layer, title through both, in one graph whose weights are stored
    once; the service's TextEncoder splits a joined text and feeds the four inputs; the interaction
    projects the compact half and takes s from the title half."""
    import onnx

    from app.domain.featurize import joined_parts
    from app.ranking.student import TextEncoder
    from training.distill.towers import two_text_tower

    plain = _student(True)
    tower = two_text_tower(plain.encoder, 1)
    student = RankerStudent(tower, WIDTH, dim=8, raw_similarity=True, two_texts=True).eval()
    student.interaction.load_state_dict(plain.interaction.state_dict())
    assert student.pooled_width == 2 * WIDTH
    path = export_tower(tower, None, tmp_path / "tower.onnx")
    single = export_tower(plain.encoder, None, tmp_path / "single.onnx")
    stored = lambda p: sum(np.prod(t.dims) for t in onnx.load(str(p)).graph.initializer)  # noqa: E731
    assert stored(path) == stored(single)  # the lower path's weights are the encoder's own

    ids, mask = torch.randint(1, 120, (3, 9)), torch.ones(3, 9, dtype=torch.long)
    title_ids, title_mask = torch.randint(1, 120, (3, 4)), torch.ones(3, 4, dtype=torch.long)
    title_mask[1, 3:] = 0
    with torch.no_grad():
        pooled = tower(ids, mask, title_ids, title_mask)
        # the compact half is one layer deep (not two), the title half all of the encoder
        assert not torch.allclose(pooled[:, :WIDTH], plain.pooled(ids, mask), atol=1e-3)
        assert torch.allclose(pooled[:, WIDTH:], plain.pooled(title_ids, title_mask), atol=1e-6)
    assert tower.lower.encoder.layer[0] is plain.encoder.encoder.layer[0]
    (exported,) = _run(
        path,
        input_ids=ids.numpy(),
        attention_mask=mask.numpy(),
        title_input_ids=title_ids.numpy(),
        title_attention_mask=title_mask.numpy(),
    )
    np.testing.assert_allclose(exported, pooled.numpy(), atol=1e-5)

    class _Tokens:  # the runtime's tokenizer, stood in: word n -> id n
        def __init__(self, cap):
            self.cap = cap

        def encode_batch(self, texts):
            return [type("E", (), {"ids": [101, *[int(w) for w in t.split()][: self.cap - 2], 102]}) for t in texts]

    encoder = TextEncoder.__new__(TextEncoder)
    encoder.max_length, encoder.title_max_length = 9, 4
    encoder.tokenizer, encoder.title_tokenizer = _Tokens(9), _Tokens(4)
    encoder.session = __import__("onnxruntime").InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ids_of = encoder.token_ids([joined_parts("5 6 7", "8 9 10 11 12")])
    assert ids_of == [([101, 5, 6, 7, 102], [101, 8, 9, 102])]
    with torch.no_grad():
        expected = tower(
            torch.tensor([ids_of[0][0]]),
            torch.ones(1, 5, dtype=torch.long),
            torch.tensor([ids_of[0][1]]),
            torch.ones(1, 4, dtype=torch.long),
        )
    np.testing.assert_allclose(encoder.run_ids(ids_of), expected.numpy(), atol=1e-5)
    compact_row, title_row = encoder.warm_up_ids(8)  # start-up runs both inputs at their lengths
    assert (len(compact_row), len(title_row)) == (8, 4) and title_row[-1] == 102

    interaction = export_interaction(student.interaction, 2 * WIDTH, tmp_path / "interaction.onnx", student)
    features = torch.rand(2, len(FEATURE_NAMES))
    with torch.no_grad():
        grade_logits, engage_logits = student.score_pooled(pooled[:1].expand(2, -1), pooled[1:], features)
    relevance, engagement = _run(interaction, member=exported[:1], jobs=exported[1:], features=features.numpy())
    np.testing.assert_allclose(relevance, expected_grade(grade_logits).numpy(), atol=1e-5)
    np.testing.assert_allclose(engagement, torch.sigmoid(engage_logits).numpy(), atol=1e-5)
