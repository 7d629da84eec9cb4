"""A raw-similarity student exports to one tower graph + an interaction graph that score as PyTorch does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.domain.featurize import FEATURE_NAMES
from training.distill.student import RankerStudent
from training.export.graphs import INT8_VARIANTS, export_interaction, export_tower, fuse_transformer, quantize_int8
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
