"""`manifest.json`: the typed contract between export (which writes it) and the service (which reads it).

``ModelManifest`` is the one definition of the document: every file with its sha256, the inputs
(texts, maximum token lengths, the match features and their version), the heads and the policy's
blend weights, the metrics measured at export, golden requests with their expected answers, and
the cards of the data and teachers it came from. Its JSON schema is checked into
docs/manifest.schema.json (``python -m app.ranking.manifest > docs/manifest.schema.json``; a test
keeps the two equal). A model whose files do not match their hashes, whose features differ from this
code's, or whose manifest does not validate, is refused.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.domain.featurize import FEATURE_NAMES, FEATURE_SETS, FEATURES_VERSION, TowerText
from app.domain.schemas import Job, Member

MANIFEST = "manifest.json"
FORMAT: Final = 2  # 2: typed, with golden requests; teacher NDCG may be null
COMPONENTS = ("member_tower", "job_tower", "interaction", "features", "tokenizer")

Finite = Annotated[float, Field(allow_inf_nan=False)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class ManifestError(ValueError):
    """A model folder that must not be served; the message names the folder and what is wrong."""


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FileEntry(_Part):
    """One file of the folder: its sha256 (hex) and size."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)


class Components(_Part):
    """The file holding each model part."""

    member_tower: str
    job_tower: str
    interaction: str
    features: str
    tokenizer: str


class TowerInput(_Part):
    """A text tower: its ONNX input names, the text it reads and where that text is built, the token cap."""

    names: list[str]
    text: str
    max_length: int = Field(gt=0)
    output: str
    # A tower reading two texts ("compact+title"): the title's token cap. The graph then takes the
    # compact text's ids and mask and the title's (``names``: four inputs in that order).
    title_max_length: int | None = Field(default=None, gt=0, exclude_if=lambda v: v is None)

    @model_validator(mode="after")
    def _inputs_match_texts(self) -> TowerInput:
        expected = 2 if self.title_max_length is None else 4
        if len(self.names) != expected:
            raise ValueError(
                f"a tower {'with' if expected == 4 else 'without'} title_max_length takes {expected} inputs, "
                f"not {len(self.names)}"
            )
        return self


class InteractionInput(_Part):
    """The interaction network: embedding width and the match features (names and version) it was trained on."""

    names: list[str]
    embedding_dim: int = Field(gt=0)
    features: list[str]
    features_version: int
    # True: the towers (one graph) output the pooled encoder output; the interaction graph holds the
    # projections (to embedding_dim) and also reads the cosine of the pooled outputs (the encoder's
    # own similarity). Absent in older manifests: the towers output projected embeddings.
    raw_similarity: bool = Field(default=False, exclude_if=lambda v: not v)


class FeaturesInput(_Part):
    """The features-only tier."""

    names: list[str]
    output: str


class Inputs(_Part):
    # Which texts the towers read (app/domain/featurize.py TOWER_TEXTS); absent (older manifests): "compact".
    tower_text: TowerText = Field(default="compact", exclude_if=lambda v: v == "compact")
    member_tower: TowerInput
    job_tower: TowerInput
    interaction: InteractionInput
    features: FeaturesInput

    @model_validator(mode="after")
    def _two_texts_if_both(self) -> Inputs:
        both = self.tower_text == "compact+title"
        for name, tower in (("member_tower", self.member_tower), ("job_tower", self.job_tower)):
            if both != (tower.title_max_length is not None):
                raise ValueError(f"{name}: title_max_length is required with tower_text 'compact+title' and only then")
        if both and not self.interaction.raw_similarity:
            raise ValueError("tower_text 'compact+title' needs the interaction's raw_similarity")
        return self


class Blend(_Part):
    """The policy's business blend: score = relevance · grade / 4 + engagement · P(engage)."""

    relevance: Finite
    engagement: Finite
    formula: str = "score = relevance_weight * relevance / 4 + engagement_weight * engagement"


class Precision(_Part):
    member_tower: Literal["fp32", "int8"]
    job_tower: Literal["fp32", "int8"]
    interaction: Literal["fp32", "int8"]
    features: Literal["fp32", "int8"]


class Heads(_Part):
    relevance: str = "expected judge grade, 0-4"
    engagement: str = "P(apply or click), 0-1"


class Parity(_Part):
    """The exported folder vs the PyTorch student on held-out lists (export's gate)."""

    lists: int = Field(ge=0)
    max_abs_relevance: Finite
    max_abs_engagement: Finite
    max_abs_score: Finite
    mean_kendall_tau: Finite
    min_kendall_tau: Finite


class Metrics(_Part):
    """Measured at export on the held-out members. ``teacher_ndcg@10`` (and so ``kept_vs_teacher``) is null
    when the teacher evaluation had none; metrics a list set cannot define (log loss without
    probabilities, engagement AUC when no held-out pair records an action) are null too."""

    ndcg_at_5: Finite = Field(alias="ndcg@5")
    ndcg_at_10: Finite = Field(alias="ndcg@10")
    mrr: Finite
    kendall_tau: Finite
    engagement_auc: Finite | None
    engagement_logloss: Finite | None
    combined: Finite
    teacher_ndcg_at_10: Finite | None = Field(alias="teacher_ndcg@10")
    kept_vs_teacher: Finite | None
    # The bar to beat: the rules (the judge's field path) on the same lists; absent in older manifests.
    rules_ndcg_at_10: Finite | None = Field(default=None, alias="rules_ndcg@10", exclude_if=lambda v: v is None)
    held_out_lists: int = Field(ge=0)
    held_out_pairs: int = Field(ge=0)
    parity: Parity


class GoldenScore(_Part):
    """One candidate's expected answer: blended score by the ranker and by the features tier."""

    job_id: str
    score: Probability
    features_score: Probability


class GoldenRequest(_Part):
    """A fixed request and the answers the exported model gave to it, run by the service's own runtime.

    The service accepts a model only when every candidate's score lies within ``tolerance`` of the
    expected one (for both tiers) and the ranking keeps ``order`` wherever those ranges do not overlap.
    """

    member: Member
    candidates: list[Job] = Field(min_length=2)
    order: list[str]  # job ids, best first, by the ranker's score
    expected: list[GoldenScore]  # in candidate order
    tolerance: float = Field(gt=0, le=0.5)

    @model_validator(mode="after")
    def _consistent(self) -> GoldenRequest:
        ids = [job.job_id for job in self.candidates]
        if len(set(ids)) != len(ids):
            raise ValueError("candidates' job ids must be unique")
        if [e.job_id for e in self.expected] != ids or sorted(self.order) != sorted(ids):
            raise ValueError("'expected' and 'order' must name the candidates (expected in candidate order)")
        return self


class ModelSpec(_Part):
    """What the runtime needs to load and run a folder (export builds this before it has metrics)."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    components: Components
    inputs: Inputs
    blend: Blend


class ModelManifest(ModelSpec):
    """The whole manifest.json document."""

    format: Literal[2]
    created: AwareDatetime  # with its time zone: versions are ordered by it
    kind: str
    precision: Precision
    files: dict[str, FileEntry]
    heads: Heads = Heads()
    metrics: Metrics
    golden: list[GoldenRequest] = Field(min_length=1)
    cards: dict[str, Any]  # provenance (data, teachers, student): free-form, shown, never used to serve

    @field_validator("files")
    @classmethod
    def _plain_names(cls, files: dict[str, FileEntry]) -> dict[str, FileEntry]:
        for name in files:
            if not name or Path(name).name != name:
                raise ValueError(f"file name {name!r} must not contain a path")
        return files

    @model_validator(mode="after")
    def _components_listed(self) -> ModelManifest:
        for component in COMPONENTS:
            file_name = getattr(self.components, component)
            if file_name not in self.files:
                raise ValueError(f"component '{component}' file {file_name!r} is not listed in 'files'")
        return self

    def to_json(self) -> str:
        """The document as written to manifest.json (header first, golden requests and cards last)."""
        doc = self.model_dump(mode="json", by_alias=True)
        return json.dumps({key: doc[key] for key in sorted(doc, key=_ORDER.index)}, indent=2) + "\n"


# The order of manifest.json's keys (every field of ModelManifest, the header first).
_ORDER = (
    "format", "name", "version", "created", "kind", "precision", "files", "components", "inputs", "heads", "blend",
    "metrics", "golden", "cards",
)  # fmt: skip


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_entry(model_dir: Path, names: list[str]) -> dict[str, FileEntry]:
    """The manifest's ``files`` for these files of the folder."""
    return {
        name: FileEntry(sha256=sha256_of(model_dir / name), bytes=(model_dir / name).stat().st_size)
        for name in sorted(names)
    }


def _problem(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "document"
    return f"'{where}': {error['msg']}"


def parse_manifest(doc: Any) -> ModelManifest:
    """Validate a decoded manifest.json; ManifestError names the first fields that are wrong."""
    if not isinstance(doc, dict):
        raise ManifestError(f"{MANIFEST}: not a JSON object")
    if doc.get("format") != FORMAT:
        raise ManifestError(
            f"{MANIFEST}: format {doc.get('format')!r} is not {FORMAT} "
            "(re-export, or add golden requests: python -m training export --golden-only DIR)"
        )
    try:
        return ModelManifest.model_validate(doc)
    except ValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors(include_url=False)[:3])
        raise ManifestError(f"{MANIFEST}: {problems}") from None


def check_features(manifest: ModelSpec) -> None:
    """Refuse a model trained on match features this code does not compute. An older version's
    features are the first columns of this version's, which the runtime passes such a model."""
    interaction = manifest.inputs.interaction
    if FEATURE_SETS.get(interaction.features_version) != tuple(interaction.features):
        raise ManifestError(
            f"{MANIFEST}: match features version {interaction.features_version} ({len(interaction.features)} "
            f"features) is not one this service computes (version {FEATURES_VERSION}, {len(FEATURE_NAMES)} "
            f"features, and the versions before it): re-export the model"
        )


def verify_files(model_dir: Path, files: dict[str, FileEntry]) -> None:
    """Every listed file present with its size and sha256."""
    for file_name, entry in files.items():
        file_path = model_dir / file_name
        if not file_path.is_file():
            raise ManifestError(f"{file_name}: listed in {MANIFEST} but missing")
        if file_path.stat().st_size != entry.bytes or sha256_of(file_path) != entry.sha256:
            raise ManifestError(f"{file_name}: sha256 does not match {MANIFEST} (corrupted or replaced)")


def read_document(model_dir: Path) -> Any:
    """manifest.json decoded (not validated); ManifestError when absent or not JSON."""
    path = model_dir / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{model_dir}: no {MANIFEST}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: unreadable ({exc})") from None


def load_manifest(model_dir: str | Path, verify: bool = True) -> ModelManifest:
    """Read and check a model folder's manifest; with ``verify``, every listed file's size and sha256."""
    model_dir = Path(model_dir)
    doc = read_document(model_dir)
    try:
        manifest = parse_manifest(doc)
        check_features(manifest)
        if verify:
            verify_files(model_dir, manifest.files)
    except ManifestError as exc:
        raise ManifestError(f"{model_dir}: {exc}") from None
    return manifest


def json_schema() -> dict:
    """The JSON schema of manifest.json (what docs/manifest.schema.json holds)."""
    return ModelManifest.model_json_schema(by_alias=True)


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2))
