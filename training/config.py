"""One typed configuration per run: every knob of every stage, with presets as data.

A run's settings are resolved in this order, later winning:

1. the preset file ``training/presets/<preset>.toml`` (``--preset tiny|full``) over the defaults below;
2. a TOML or JSON file (``--config run.toml``), same sections and keys;
3. ``--set section.key=value`` (repeatable; the value is read as TOML, so ``--set
   student.scaling_points=[0.5,1.0]`` and ``--set teacher.position_aware=true`` work).

``--show-config`` prints the resolved config and exits. Every stage that writes into a run folder
saves the config it ran with as ``runs/<name>/config.json``, which ``--config`` reads back.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.domain.featurize import TowerText
from training.errors import TrainingError

PRESETS_DIR = Path(__file__).with_name("presets")
TITLE_ENCODER_DIR = "title_encoder"  # the title-encoder stage's output under the run folder
PRESETS = tuple(sorted(path.stem for path in PRESETS_DIR.glob("*.toml")))
CONFIG_FILE = "config.json"


class ConfigError(TrainingError):
    """A setting is unknown or has a bad value (the message names the key)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Section):
    """The generated marketplace (`generate`, `data`): sizes and knobs."""

    members: int = Field(default=60, ge=1, description="members generated")
    jobs: int = Field(default=2000, ge=1, description="base job postings (openings near members are added)")
    min_candidates: int = Field(default=50, ge=1, description="fewest candidates retrieval shows a member")
    max_candidates: int = Field(default=200, ge=1, description="most candidates retrieval shows a member")
    seed: int = Field(default=0, description="seed of the generator (every record draws from its own stream)")
    as_of: dt.date = Field(
        default=dt.date(2026, 6, 1), description="'today' in the simulation, fixed for reproducibility"
    )
    typo_rate: float = Field(default=0.02, ge=0, le=1, description="share of words given a typo")
    companies: int = Field(default=400, ge=1, description="distinct employers")
    min_local_openings: int = Field(default=30, ge=0, description="fewest openings materialised near each member")
    max_local_openings: int = Field(default=80, ge=0, description="most openings materialised near each member")


class ListsConfig(_Section):
    """Which candidate lists the teachers score and every later stage trains and evaluates on."""

    seed: int = Field(default=0, description="seed of the member split (train 70 % / val 10 % / test 20 %)")
    score_train_members: int = Field(default=10, ge=1, description="train-split lists scored for the students")
    score_test_members: int = Field(
        default=8, ge=1, description="held-out lists scored for evaluation and the export gate"
    )
    shard_members: int = Field(default=4, ge=1, description="lists per teacher-score shard")


class TeacherConfig(_Section):
    """The two cross-encoder teachers (`train-teacher`, `teachers`)."""

    layers: int = Field(default=2, ge=1, le=6, description="encoder layers kept (all-MiniLM-L6-v2 has 6)")
    max_length: int = Field(default=64, ge=8, description="wordpiece tokens of the (member, job) pair")
    train_members: int = Field(default=8, ge=1, description="candidate lists used for training (train split)")
    max_list: int = Field(default=40, ge=2, description="candidates sampled per list per epoch")
    chunk: int = Field(
        default=20, ge=2, description="pairs per optimiser step (a slice of one list: the listwise unit)"
    )
    feature_layers: tuple[PositiveInt, ...] = Field(
        default=(64,),
        min_length=1,
        description="widths of the match-feature MLP under the head (the student's: [64, 32])",
    )
    head_epochs: int = Field(
        default=0, ge=0, description="epochs of the head over the frozen encoder's pair embeddings first (0 = none)"
    )
    head_stage_lr: float = Field(default=1e-3, gt=0, description="learning rate of that head stage")
    epochs: int = Field(default=1, ge=0, description="fine-tuning passes over the training lists (0 = head stage only)")
    lr: float = Field(default=4e-5, gt=0, description="encoder learning rate")
    head_lr: float = Field(default=1e-3, gt=0, description="head learning rate")
    weight_decay: float = Field(default=0.01, ge=0, description="AdamW weight decay")
    warmup: float = Field(default=0.1, ge=0, le=1, description="share of steps with a linear warm-up")
    label_sigma: float = Field(default=0.5, gt=0, description="width of the soft grade targets")
    listwise_weight: float = Field(default=0.5, ge=0, description="weight of the ListNet term (relevance)")
    engagement_warm_start: bool = Field(
        default=True, description="engagement encoder starts from the relevance teacher's"
    )
    # Off: on logged data it lowered engagement AUC (0.649 vs 0.711 on 20 val lists of the full
    # data) since the evaluation is position-biased too.
    position_aware: bool = Field(default=False, description="PAL position-bias-aware engagement loss")
    val_members: int = Field(default=4, ge=1, description="validation lists for the teacher's card")
    seed: int = Field(default=0, description="seed of initialisation and step order")

    @model_validator(mode="after")
    def _trains_something(self) -> TeacherConfig:
        if self.epochs == 0 and self.head_epochs == 0:
            raise ValueError("epochs and head_epochs are both 0: the teacher would not be trained")
        return self


class StudentConfig(_Section):
    """The distilled ranker student (`distill`, `export`); the same for every ablation variant."""

    layers: int = Field(default=2, ge=1, le=6, description="lower MiniLM layers in each tower (frozen)")
    encoder_dir: Path | None = Field(
        default=None,
        description="encoder folder of the towers (config.json, model.safetensors, tokenizer.json; "
        "default: the pretrained package, or JOBRANK_ENCODER_DIR)",
    )
    encoder: Literal["pretrained", "title"] = Field(
        default="pretrained",
        description="the towers' encoder when encoder_dir is not set: the pretrained package, or the run's "
        "title encoder (<runs>/title_encoder, made by the title-encoder stage, which the pipeline then runs first)",
    )
    tower_text: TowerText = Field(
        default="compact",
        description="what the towers read: compact member/job texts, headline/title, or both (compact+title: "
        "the compact text through the lower `layers` layers for the projections, the title through all for s; "
        "needs raw_similarity)",
    )
    raw_similarity: bool = Field(
        default=False, description="feed the cosine of the unprojected pooled tower outputs to the heads"
    )
    rule_blind_share: float = Field(
        default=0.0, ge=0, le=1, description="share of train members and jobs whose title the rules do not resolve"
    )
    rule_wrong_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="share of train members and jobs whose title the rules read as another occupation "
        "(drawn apart from the rule-blind ones)",
    )
    dim: int = Field(default=128, ge=8, description="tower embedding width")
    member_max_length: int = Field(default=64, ge=8, description="wordpiece tokens of the member text")
    job_max_length: int = Field(default=96, ge=8, description="wordpiece tokens of the job text")
    epochs: int = Field(default=4, ge=1, description="passes over the teacher-scored train lists")
    lr: float = Field(default=2e-3, gt=0, description="AdamW learning rate")
    weight_decay: float = Field(default=0.01, ge=0, description="AdamW weight decay")
    scaling_points: tuple[float, ...] = Field(
        default=(0.5, 1.0), description="shares of the train lists (scaling curve)"
    )
    seed: int = Field(default=0, description="seed of initialisation and batch order")

    def tower_encoder(self, runs: Path) -> Path | None:
        """The towers' encoder folder for a run in ``runs`` (None: the pretrained package)."""
        if self.encoder_dir is not None:
            return self.encoder_dir
        return runs / TITLE_ENCODER_DIR if self.encoder == "title" else None

    @field_validator("encoder_dir")
    @classmethod
    def _encoder_folder(cls, path: Path | None) -> Path | None:
        if path is not None and not (path / "model.safetensors").is_file():
            raise ValueError(f"{path} holds no model.safetensors (an encoder folder like the pretrained package's)")
        return path

    @model_validator(mode="after")
    def _similarity_of_titles(self) -> StudentConfig:
        if self.tower_text == "compact+title" and not self.raw_similarity:
            raise ValueError("tower_text 'compact+title' needs raw_similarity=true (s is the titles' cosine)")
        return self

    @field_validator("rule_wrong_share")
    @classmethod
    def _shares_fit(cls, share: float, info: ValidationInfo) -> float:
        blind = info.data.get("rule_blind_share", 0.0)
        if blind + share > 1:
            raise ValueError(
                f"rule_blind_share {blind} + rule_wrong_share {share} exceed 1 (the two draws are disjoint)"
            )
        return share


class TitleEncoderConfig(_Section):
    """The title encoder (`title-encoder`): all-MiniLM-L6-v2 fine-tuned contrastively on ESCO titles."""

    steps: int = Field(default=20, ge=1, description="optimiser steps (one batch of title pairs each)")
    batch_size: int = Field(default=16, ge=2, description="title pairs per step (distinct occupations)")
    max_length: int = Field(default=32, ge=8, description="wordpiece tokens of a title")
    temperature: float = Field(default=0.05, gt=0, description="softmax temperature of the InfoNCE loss")
    lr: float = Field(default=3e-5, gt=0, description="AdamW learning rate")
    warmup: float = Field(default=0.1, ge=0, le=1, description="share of steps with a linear warm-up")
    weight_decay: float = Field(default=0.01, ge=0, description="AdamW weight decay")
    trainable_layers: int = Field(
        default=6, ge=1, le=6, description="top encoder layers fine-tuned (the rest and the embeddings frozen)"
    )
    seed: int = Field(default=0, description="seed of initialisation order and batch sampling")


class ExportConfig(_Section):
    """The export gate (`export`): what an ONNX model must pass to be kept and published."""

    parity_max_abs: float = Field(default=1e-3, gt=0, description="fp32: largest |ONNX - PyTorch| score allowed")
    parity_min_tau: float = Field(
        default=0.99, le=1, description="mean per-list Kendall tau of ONNX vs PyTorch rankings"
    )
    int8_max_ndcg_drop: float = Field(default=0.005, ge=0, description="NDCG@10 int8 may lose against fp32")
    max_publish_mb: float = Field(
        default=50.0, gt=0, description="refuse to publish a bigger model folder (artifacts/ in git)"
    )


class AblationConfig(_Section):
    """The label-budget curve (`ablation`): students on N judge labels alone, with the pool's engagement,
    and distilled from a teacher trained on the same N labels over a larger pool of unlabelled lists."""

    budgets: tuple[int, ...] = Field(
        default=(200, 1000), description="judge-label budgets in pairs (whole lists; see include_all)"
    )
    pool_members: int = Field(default=20, ge=1, description="train lists the teachers score (the unlabelled pool)")
    teacher_epochs: int = Field(default=2, ge=1, description="passes of each budget's teacher over its labels")
    include_all: bool = Field(
        default=True, description="also the budget of the whole pool labelled (the costliest point: its teacher)"
    )


class RunConfig(_Section):
    """Everything one run of the pipeline reads, by stage."""

    preset: str = Field(default="tiny", description="the preset this config started from")
    data: DataConfig = DataConfig()
    lists: ListsConfig = ListsConfig()
    teacher: TeacherConfig = TeacherConfig()
    student: StudentConfig = StudentConfig()
    title_encoder: TitleEncoderConfig = TitleEncoderConfig()
    export: ExportConfig = ExportConfig()
    ablation: AblationConfig = AblationConfig()


def _merge(base: dict, changes: dict) -> dict:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _read_file(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None


def _parse_set(item: str) -> dict:
    """``section.key=value`` as a nested dict; the value is read as TOML (a bare word stays a string)."""
    key, sep, raw = item.partition("=")
    if not sep or "." not in key:
        raise ConfigError(f"--set {item}: expected section.key=value (see --show-config for the keys)")
    try:
        value: Any = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    section, _, name = key.partition(".")
    return {section: {name: value}}


def _validate(raw: dict) -> RunConfig:
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ConfigError(f"setting {where}: {error['msg']}") from None


def load_config(
    preset: str = "tiny", config_file: Path | None = None, overrides: tuple[str, ...] | list[str] = ()
) -> RunConfig:
    """The preset, then ``config_file``, then ``section.key=value`` overrides, validated."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset '{preset}' (known: {', '.join(PRESETS)})")
    raw = _merge({"preset": preset}, _read_file(PRESETS_DIR / f"{preset}.toml"))
    if config_file is not None:
        raw = _merge(raw, _read_file(config_file))
    for item in overrides:
        raw = _merge(raw, _parse_set(item))
    return _validate(raw)


def save_config(config: RunConfig, runs: Path) -> Path:
    """Write the resolved config into the run folder (``runs/<name>/config.json``)."""
    runs.mkdir(parents=True, exist_ok=True)
    path = runs / CONFIG_FILE
    path.write_text(config.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def describe_keys() -> str:
    """Every ``section.key`` with its type and description (for ``--show-config``)."""
    lines = []
    for section, field in RunConfig.model_fields.items():
        model = field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for name, info in model.model_fields.items():
            kind = getattr(info.annotation, "__name__", str(info.annotation))
            lines.append(f"  {section + '.' + name:<32} {kind:<8} {info.description or ''}".rstrip())
    return "\n".join(lines)
