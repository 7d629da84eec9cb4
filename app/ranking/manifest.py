"""`manifest.json`: what an exported model folder holds, checked before anything is served.

The export stage writes it; the service reads it. It names every file with its sha256, the inputs
(texts, maximum token lengths, the match features and their version), the heads and the policy's
blend weights, the metrics measured at export, and the cards of the data and teachers it came from.
A model whose files do not match their hashes, or whose features differ from this code's, is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from app.domain.featurize import FEATURE_NAMES, FEATURES_VERSION

MANIFEST = "manifest.json"
FORMAT = 1
COMPONENTS = ("member_tower", "job_tower", "interaction", "features", "tokenizer")
REQUIRED_METRICS = ("ndcg@10", "teacher_ndcg@10", "engagement_auc", "combined")


class ManifestError(ValueError):
    """A model folder that must not be served; the message names the folder and what is wrong."""


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_entry(model_dir: Path, names: list[str]) -> dict[str, dict]:
    """The manifest's ``files`` object for these files of the folder."""
    return {
        name: {"sha256": sha256_of(model_dir / name), "bytes": (model_dir / name).stat().st_size}
        for name in sorted(names)
    }


@dataclass(frozen=True)
class Manifest:
    """The parts of a manifest the runtime uses; ``raw`` keeps the whole document (for /v1/models)."""

    directory: Path
    name: str
    version: str
    components: dict[str, str]  # component -> file name
    member_max_length: int
    job_max_length: int
    embedding_dim: int
    blend_relevance: float
    blend_engagement: float
    metrics: dict[str, float]
    raw: dict = field(repr=False)

    def path(self, component: str) -> Path:
        """Path of a component's file."""
        return self.directory / self.components[component]


def _get(doc: dict, dotted: str, kind: type | tuple[type, ...]):
    value = doc
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            raise ManifestError(f"{MANIFEST}: missing '{dotted}'")
        value = value[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ManifestError(f"{MANIFEST}: '{dotted}' has the wrong type")
    return value


def load_manifest(model_dir: str | Path, verify: bool = True) -> Manifest:
    """Read and check a model folder's manifest; with ``verify``, every listed file's size and sha256."""
    model_dir = Path(model_dir)
    path = model_dir / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{model_dir}: no {MANIFEST}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: unreadable ({exc})") from None
    try:
        return _parse(model_dir, doc, verify)
    except ManifestError as exc:
        raise ManifestError(f"{model_dir}: {exc}") from None


def _parse(model_dir: Path, doc: dict, verify: bool) -> Manifest:
    if not isinstance(doc, dict):
        raise ManifestError(f"{MANIFEST}: not a JSON object")
    if doc.get("format") != FORMAT:
        raise ManifestError(f"{MANIFEST}: format {doc.get('format')!r} is not {FORMAT}")
    files = _get(doc, "files", dict)
    components = {name: _get(doc, f"components.{name}", str) for name in COMPONENTS}
    for component, file_name in components.items():
        if file_name not in files:
            raise ManifestError(f"{MANIFEST}: component '{component}' file {file_name!r} is not listed in 'files'")
    features = _get(doc, "inputs.interaction.features", list)
    version = _get(doc, "inputs.interaction.features_version", int)
    if tuple(features) != FEATURE_NAMES or version != FEATURES_VERSION:
        raise ManifestError(
            f"{MANIFEST}: match features version {version} ({len(features)} features) differ from this "
            f"service's version {FEATURES_VERSION} ({len(FEATURE_NAMES)}): re-export the model"
        )
    metrics = _get(doc, "metrics", dict)
    for key in REQUIRED_METRICS:
        _get(doc, f"metrics.{key}", (int, float))
    if verify:
        for file_name, entry in files.items():
            file_path = model_dir / file_name
            if Path(file_name).name != file_name:
                raise ManifestError(f"{MANIFEST}: file name {file_name!r} must not contain a path")
            if not file_path.is_file():
                raise ManifestError(f"{file_name}: listed in {MANIFEST} but missing")
            expected = entry.get("sha256") if isinstance(entry, dict) else None
            if file_path.stat().st_size != entry.get("bytes") or sha256_of(file_path) != expected:
                raise ManifestError(f"{file_name}: sha256 does not match {MANIFEST} (corrupted or replaced)")
    return Manifest(
        directory=model_dir,
        name=_get(doc, "name", str),
        version=_get(doc, "version", str),
        components=components,
        member_max_length=_get(doc, "inputs.member_tower.max_length", int),
        job_max_length=_get(doc, "inputs.job_tower.max_length", int),
        embedding_dim=_get(doc, "inputs.interaction.embedding_dim", int),
        blend_relevance=float(_get(doc, "blend.relevance", (int, float))),
        blend_engagement=float(_get(doc, "blend.engagement", (int, float))),
        metrics=metrics,
        raw=doc,
    )
