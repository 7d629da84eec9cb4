"""Build each exported folder's manifest.json as the typed ``ModelManifest`` the service reads.

The runtime part (``model_spec``) comes first, so the folder can be run by the service's own code
before anything is measured; the metrics, the golden answers and the provenance cards follow.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

from app.domain.featurize import FEATURE_NAMES, FEATURES_VERSION, TOWER_TEXTS
from app.ranking.manifest import (
    FORMAT,
    MANIFEST,
    Blend,
    Components,
    FeaturesInput,
    GoldenRequest,
    Inputs,
    InteractionInput,
    Metrics,
    ModelManifest,
    ModelSpec,
    Precision,
    TowerInput,
    files_entry,
)
from training.config import StudentConfig
from training.distill.towers import TITLE_INPUTS, TITLE_MAX_LENGTH, two_texts
from training.errors import TrainingError
from training.policy.policy import Policy

MODEL_NAME = "jobrank-ranker"
KIND = "two-tower ranker student (multi-teacher distilled)"
COMPONENT_FILES = Components(
    member_tower="member_tower.onnx",
    job_tower="job_tower.onnx",
    interaction="interaction.onnx",
    features="features.onnx",
    tokenizer="tokenizer.json",
)


def model_spec(cfg: StudentConfig, policy: Policy, version: str = "unpublished") -> ModelSpec:
    """The runtime part of the manifest: files, inputs and blend of a student exported with ``cfg``."""
    names, output = ["input_ids", "attention_mask"], "embedding [batch, dim]"
    if cfg.raw_similarity:
        output = "pooled encoder output [batch, encoder width] (the interaction projects it)"
    title_max_length = None
    if two_texts(cfg):
        names, title_max_length = [*names, *TITLE_INPUTS], TITLE_MAX_LENGTH
        output = (
            "pooled encoder outputs [batch, 2 x encoder width]: the compact text's (lower layers; the interaction "
            "projects it), then the title's (all layers; the interaction's raw similarity)"
        )
    member_text, job_text = TOWER_TEXTS[cfg.tower_text]
    return ModelSpec(
        name=MODEL_NAME,
        version=version,
        # A raw-similarity student's towers are one graph (the projections are in the interaction).
        components=COMPONENT_FILES.model_copy(update=dict.fromkeys(("member_tower", "job_tower"), "tower.onnx"))
        if cfg.raw_similarity
        else COMPONENT_FILES,
        inputs=Inputs(
            tower_text=cfg.tower_text,
            member_tower=TowerInput(
                names=names,
                text=f"{member_text.__name__} (app/domain/featurize.py)",
                max_length=cfg.member_max_length,
                output=output,
                title_max_length=title_max_length,
            ),
            job_tower=TowerInput(
                names=names,
                text=f"{job_text.__name__} (app/domain/featurize.py)",
                max_length=cfg.job_max_length,
                output=output,
                title_max_length=title_max_length,
            ),
            interaction=InteractionInput(
                names=["member", "jobs", "features"],
                embedding_dim=cfg.dim,
                features=list(FEATURE_NAMES),
                features_version=FEATURES_VERSION,
                raw_similarity=cfg.raw_similarity,
            ),
            features=FeaturesInput(names=["features"], output="the features-only tier's (relevance, engagement)"),
        ),
        blend=Blend(relevance=policy.blend_relevance, engagement=policy.blend_engagement),
    )


def evaluated_ndcg(runs: Path, model: str = "relevance teacher") -> float | None:
    """A model's held-out NDCG@10 from runs/<preset>/eval/metrics.json (null or absent there: None)."""
    path = runs / "eval" / "metrics.json"
    if not path.is_file():
        raise TrainingError(f"{path}: no teacher evaluation (run `python -m training evaluate` first)")
    value = json.loads(path.read_text(encoding="utf-8"))["models"].get(model, {}).get("ndcg@10")
    return None if value is None else float(value)


def teacher_ndcg(runs: Path) -> float | None:
    """The relevance teacher's held-out NDCG@10 from runs/<preset>/eval/metrics.json (null there: None)."""
    return evaluated_ndcg(runs, "relevance teacher")


def held_out_metrics(
    held_out: dict[str, float],
    teacher: float | None,
    lists: int,
    pairs: int,
    parity: dict[str, float],
    rules: float | None = None,
) -> Metrics:
    """The manifest's metrics: the held-out figures (rounded; NaN -> null), how much of the teacher's
    NDCG@10 the student kept (null without a teacher figure), the rules' NDCG@10 on the same lists,
    the list counts and the parity check."""

    def clean(value: float) -> float | None:
        return None if math.isnan(value) else round(value, 4)

    # The manifest keeps the metrics its schema names (the harness computes more, e.g. recall@10).
    known = {field.alias or name for name, field in Metrics.model_fields.items()}
    metrics: dict[str, Any] = {key: clean(value) for key, value in held_out.items() if key in known}
    kept = None if not teacher or metrics.get("ndcg@10") is None else round(metrics["ndcg@10"] / teacher, 4)
    metrics |= {
        "teacher_ndcg@10": teacher,
        "kept_vs_teacher": kept,
        "rules_ndcg@10": rules,
        "held_out_lists": lists,
        "held_out_pairs": pairs,
        "parity": parity,
    }
    return Metrics.model_validate(metrics)


def read_cards(data_dir: Path, runs: Path, cfg: StudentConfig, encoder_card) -> dict:
    """Provenance: the dataset's, the teachers' and the student's cards (what they were made from)."""

    def read(path: Path) -> dict | None:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    dataset = read(data_dir / "dataset.json") or {}
    teachers = {}
    for kind in ("relevance", "engagement"):
        card = read(runs / "teachers" / kind / "card.json")
        if card:
            teachers[kind] = {
                k: card.get(k) for k in ("kind", "base_model", "inputs", "target", "config", "data", "metrics")
            }
    distilled = read(runs / "student" / "metrics.json") or {}
    return {
        "data": {k: dataset.get(k) for k in ("kind", "generator_version", "preset", "seed", "counts", "attribution")},
        "teachers": teachers,
        "student": {
            "encoder": encoder_card.to_json(),
            "config": cfg.model_dump(mode="json"),
            "train": distilled.get("train"),
            "ablation": distilled.get("ablation"),
        },
    }


def write_manifest(
    folder: Path,
    spec: ModelSpec,
    precision: str,
    metrics: Metrics,
    golden: list[GoldenRequest],
    cards: dict,
    created: dt.datetime,
) -> ModelManifest:
    """Sign every file of ``folder`` and write its manifest.json; the version names the date, the
    precision and the files' digest."""
    files = files_entry(folder, [p.name for p in folder.iterdir() if p.name != MANIFEST])
    digest = hashlib.sha256("".join(e.sha256 for e in files.values()).encode()).hexdigest()[:8]
    towers = {"member_tower": precision, "job_tower": precision, "interaction": "fp32", "features": "fp32"}
    manifest = ModelManifest(
        **spec.model_dump(exclude={"version"}),
        version=f"{created:%Y.%m.%d}-{precision}-{digest}",
        format=FORMAT,
        created=created.replace(microsecond=0),
        kind=KIND,
        precision=Precision.model_validate(towers),
        files=files,
        metrics=metrics,
        golden=golden,
        cards=cards,
    )
    (folder / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return manifest
