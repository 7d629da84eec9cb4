"""The PyTorch modules that become ONNX files, and the export + optimise + quantise steps.

Each student part is exported on its own so the service can run them separately:
member tower (once per request), job tower (once per job, cached), interaction + heads (per request).
Known on this stack: the legacy exporter (``dynamo=False``, opset 17, eager attention) produces a
graph onnxruntime's transformer optimizer can fuse (attention, layer norm, GELU); ``quantize_dynamic``
on a fused graph needs ``DefaultTensorType`` set, or it fails on the fused nodes' unknown types.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from app.domain.featurize import FEATURE_NAMES
from training.distill.student import RankerStudent
from training.distill.towers import TITLE_INPUTS, TwoTextTower
from training.teachers.encoder import mean_pool
from training.teachers.losses import expected_grade

OPSET = 17


class TowerGraph(nn.Module):
    """Encoder + mean pool (+ projection): token ids -> embedding [batch, dim], or without a
    projection the pooled encoder output [batch, width] (one graph then serves both towers)."""

    def __init__(self, encoder: nn.Module, projection: nn.Module | None):
        super().__init__()
        self.encoder, self.projection = encoder, projection

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = mean_pool(hidden, attention_mask)
        return pooled if self.projection is None else self.projection(pooled)


class InteractionGraph(nn.Module):
    """One member embedding [1, d], job embeddings [n, d], features [n, len(FEATURE_NAMES)] ->
    (expected grade [n], engagement probability [n]). Given ``student`` (a raw-similarity student),
    the embeddings are pooled encoder outputs and the graph runs its projections and raw cosine
    (``RankerStudent.score_pooled``, the code it trained with)."""

    def __init__(self, interaction: nn.Module, student: RankerStudent | None = None):
        super().__init__()
        self.interaction, self.student = interaction, student

    def forward(self, member: torch.Tensor, jobs: torch.Tensor, features: torch.Tensor):
        member = member.expand(jobs.shape[0], -1)
        if self.student is None:
            grade_logits, engage_logits = self.interaction(member, jobs, features)
        else:
            grade_logits, engage_logits = self.student.score_pooled(member, jobs, features)
        return expected_grade(grade_logits), torch.sigmoid(engage_logits)


class FeaturesGraph(nn.Module):
    """The features-only tier: features [n, len(FEATURE_NAMES)] -> (expected grade [n], engagement probability [n])."""

    def __init__(self, scorer: nn.Module):
        super().__init__()
        self.scorer = scorer

    def forward(self, features: torch.Tensor):
        grade_logits, engage_logits = self.scorer(features)
        return expected_grade(grade_logits), torch.sigmoid(engage_logits)


class TeacherGraph(nn.Module):
    """A cross-encoder teacher: pair tokens + features -> its score (expected grade, or probability)."""

    def __init__(self, teacher: nn.Module):
        super().__init__()
        self.teacher = teacher

    def forward(self, input_ids, attention_mask, token_type_ids, features):
        out = self.teacher(input_ids, attention_mask, token_type_ids, features)
        return expected_grade(out) if out.ndim == 2 else torch.sigmoid(out)


def export_onnx(
    module: nn.Module, example: dict[str, torch.Tensor], outputs: list[str], dynamic: dict, path: Path
) -> Path:
    """Legacy (TorchScript) export with the given dynamic axes; returns ``path``."""
    module.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow in transformers
        torch.onnx.export(
            module,
            tuple(example.values()),
            str(path),
            input_names=list(example),
            output_names=outputs,
            dynamic_axes=dynamic,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    return path


def export_tower(encoder: nn.Module, projection: nn.Module | None, path: Path) -> Path:
    """A text tower with dynamic batch and sequence axes (no projection: the pooled encoder output).
    A :class:`~training.distill.towers.TwoTextTower` also takes the title's ids and mask
    (``title_input_ids``, ``title_attention_mask``, their own token axis) and is exported as it is."""
    ids = {"input_ids": torch.ones(2, 16, dtype=torch.long), "attention_mask": torch.ones(2, 16, dtype=torch.long)}
    axes = {
        "input_ids": {0: "batch", 1: "tokens"},
        "attention_mask": {0: "batch", 1: "tokens"},
        "embedding": {0: "batch"},
    }
    if isinstance(encoder, TwoTextTower):
        assert projection is None, "a two-text tower outputs pooled vectors (the interaction projects them)"
        ids |= {
            "title_input_ids": torch.ones(2, 8, dtype=torch.long),
            "title_attention_mask": torch.ones(2, 8, dtype=torch.long),
        }
        axes |= {name: {0: "batch", 1: "title_tokens"} for name in TITLE_INPUTS}
        return export_onnx(encoder, ids, ["embedding"], axes, path)
    return export_onnx(TowerGraph(encoder, projection), ids, ["embedding"], axes, path)


def export_interaction(interaction: nn.Module, dim: int, path: Path, student: RankerStudent | None = None) -> Path:
    """The interaction network and both heads, with a dynamic candidate axis; ``dim`` is the tower
    output width. With ``student`` (raw similarity) the graph also holds its projections."""
    example = {
        "member": torch.zeros(1, dim),
        "jobs": torch.zeros(3, dim),
        "features": torch.zeros(3, len(FEATURE_NAMES)),
    }
    axes = {
        "jobs": {0: "candidates"},
        "features": {0: "candidates"},
        "relevance": {0: "candidates"},
        "engagement": {0: "candidates"},
    }
    return export_onnx(InteractionGraph(interaction, student), example, ["relevance", "engagement"], axes, path)


def export_features(scorer: nn.Module, path: Path) -> Path:
    """The features-only tier, with a dynamic candidate axis."""
    axes = {"features": {0: "candidates"}, "relevance": {0: "candidates"}, "engagement": {0: "candidates"}}
    return export_onnx(
        FeaturesGraph(scorer), {"features": torch.zeros(3, len(FEATURE_NAMES))}, ["relevance", "engagement"], axes, path
    )


def export_teacher(teacher: nn.Module, path: Path) -> Path:
    """A teacher cross-encoder with dynamic batch and sequence axes (for the speed benchmark)."""
    tokens = torch.ones(2, 16, dtype=torch.long)
    example = {
        "input_ids": tokens,
        "attention_mask": tokens,
        "token_type_ids": torch.zeros_like(tokens),
        "features": torch.zeros(2, len(FEATURE_NAMES)),
    }
    axes = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
    axes |= {"features": {0: "batch"}, "score": {0: "batch"}}
    return export_onnx(TeacherGraph(teacher), example, ["score"], axes, path)


def fuse_transformer(source: Path, target: Path, num_heads: int, hidden_size: int) -> Path:
    """onnxruntime's transformer optimizer (attention / layer-norm / GELU fusion), saved to ``target``."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(str(source), model_type="bert", num_heads=num_heads, hidden_size=hidden_size)
    optimized.save_model_to_file(str(target))
    return target


LAYER = re.compile(r"/layer\.(\d+)/")


def _ffn_output(node: str, last: int) -> bool:
    return node.endswith("/output/dense/MatMul") and "/attention/" not in node


def _ffn(node: str, last: int) -> bool:
    return _ffn_output(node, last) or node.endswith("/intermediate/dense/MatMul")


def _ffn_and_last_layer(node: str, last: int) -> bool:
    # The fused attention nodes are named Attention_<layer> (in layer order).
    return _ffn(node, last) or f"/layer.{last}/" in node or node == f"Attention_{last}"


def _all_but_embeddings(node: str, last: int) -> bool:
    # The word embeddings (most of the bytes) sit in EmbedLayerNormalization: int8 in every variant.
    return _ffn(node, last) or node.endswith("/attention/output/dense/MatMul") or node.startswith("Attention_")


@dataclass(frozen=True)
class Int8Variant:
    """One int8 recipe for a fused tower: per-channel int8 weights, except the MatMul / Attention
    nodes ``keep_fp32(node name, last layer index)`` selects, which stay fp32 (bigger, closer to fp32).
    With ``fp16_storage`` the fp32 weights the quantiser left (those nodes' and any other large float
    tensor) are stored as fp16 (:func:`store_fp16`): half the bytes on disk, fp32 arithmetic at run time."""

    name: str
    keeps: str  # what stays fp32, for the report
    keep_fp32: Callable[[str, int], bool]
    fp16_storage: bool = False

    def fp32_nodes(self, graph: Path) -> list[str]:
        """The names of ``graph``'s nodes this variant leaves in fp32."""
        import onnx

        nodes = [n for n in onnx.load(str(graph), load_external_data=False).graph.node if n.op_type in FLOAT_OPS]
        last = max((int(m.group(1)) for n in nodes if (m := LAYER.search(n.name))), default=0)
        return [node.name for node in nodes if self.keep_fp32(node.name, last)]


FLOAT_OPS = ("MatMul", "Attention")
# Export ships the first that passes its gate (training/export/int8_choice.py): the int8-arithmetic
# recipes from most to least compressed, then the two that compute every MatMul in fp32 (a tower about
# twice as slow), the smaller first. Tiny 6-layer title towers (README, export): tau vs PyTorch 0.984 /
# 0.990 / 0.991 / – / 0.995, folders 34.9 / 45.5 / 47.2 / – / 56.0 MB.
INT8_VARIANTS = (
    Int8Variant("ffn-output-fp32", "the feed-forward output MatMuls", _ffn_output),
    Int8Variant("ffn-fp32", "every feed-forward MatMul", _ffn),
    Int8Variant("ffn-last-layer-fp32", "every feed-forward MatMul and the whole last layer", _ffn_and_last_layer),
    Int8Variant(
        "embeddings-int8-fp16-weights",
        "every MatMul and attention (only the embeddings are int8; fp16-stored weights)",
        _all_but_embeddings,
        fp16_storage=True,
    ),
    Int8Variant(
        "embeddings-only-int8", "every MatMul and attention (only the embeddings are int8)", _all_but_embeddings
    ),
)
FP16_MIN_ELEMENTS = 4096  # smaller float tensors (biases, layer-norm scales) stay fp32: too few bytes to matter
FP16_MAX = 65504.0  # the largest finite fp16: a tensor with larger values stays fp32


def store_fp16(path: Path, min_elements: int = FP16_MIN_ELEMENTS) -> int:
    """Rewrite the ONNX file ``path``: each fp32 initializer of at least ``min_elements`` values (that fp16
    can hold) is stored as fp16 and cast back to fp32 by a ``Cast`` node in front of its users. The casts
    read only constants, so onnxruntime folds them when a session loads the graph: the arithmetic
    is fp32's, the weights carry fp16's rounding (relative error ≤ 2^-11; below 6e-5, fp16's
    subnormals, an absolute error ≤ 3e-8), the file is about half the size. Returns how many
    initializers were converted."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    inputs = {i.name for i in graph.input}  # an initializer that is also a graph input keeps its type
    stored, casts = [], []
    for initializer in graph.initializer:
        values = None
        if initializer.data_type == onnx.TensorProto.FLOAT and initializer.name not in inputs:
            values = numpy_helper.to_array(initializer)
            if values.size < min_elements or not np.all(np.abs(values) <= FP16_MAX):
                values = None
        if values is None:
            stored.append(initializer)
            continue
        half = numpy_helper.from_array(values.astype(np.float16), f"{initializer.name}/fp16")
        stored.append(half)
        casts.append(
            helper.make_node(
                "Cast", [half.name], [initializer.name], name=f"{initializer.name}/to_fp32", to=onnx.TensorProto.FLOAT
            )
        )
    if casts:
        del graph.initializer[:]
        graph.initializer.extend(stored)
        nodes = casts + list(graph.node)  # the casts read only initializers: first in topological order
        del graph.node[:]
        graph.node.extend(nodes)
        onnx.checker.check_model(model)
        onnx.save(model, str(path))
    return len(casts)


def quantize_int8(source: Path, target: Path, accurate: bool = True, variant: Int8Variant = INT8_VARIANTS[0]) -> Path:
    """Dynamic int8 quantisation of the weights (activations quantised at run time).

    ``accurate``: per-channel weight scales, and the nodes ``variant`` selects kept in fp32 (by
    default the feed-forward output projections, whose inputs, GELU outputs, have the widest
    range). Measured on the previous full student's towers (20 held-out lists): plain int8 ranks with
    Kendall tau 0.973 vs PyTorch, per-channel 0.990, per-channel without those MatMuls 0.993 (+7 MB).
    ``accurate=False`` is the fastest variant (every weight int8, per-tensor scales).
    """
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing hint on the root logger
    try:
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=accurate,
            nodes_to_exclude=variant.fp32_nodes(source) if accurate else [],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
    if accurate and variant.fp16_storage:
        store_fp16(target, FP16_MIN_ELEMENTS)
    return target
