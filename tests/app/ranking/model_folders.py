"""Model folders for tests: copies of the shipped model with edited manifests or damaged ONNX files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from app.ranking.manifest import MANIFEST, sha256_of

SHIPPED = Path(__file__).resolve().parents[3] / "artifacts" / "jobrank-ranker"
needs_model = pytest.mark.skipif(not (SHIPPED / MANIFEST).is_file(), reason="no shipped model in artifacts/")


def read(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())


def write(folder: Path, doc: dict) -> None:
    (folder / MANIFEST).write_text(json.dumps(doc, indent=2))


def copy_model(target: Path, version: str | None = None, name: str | None = None, days_later: int = 0) -> Path:
    """A copy of the shipped folder at ``target``, optionally as another version / name / creation date."""
    shutil.copytree(SHIPPED, target)
    doc = read(target)
    created = dt.datetime.fromisoformat(doc["created"]) + dt.timedelta(days=days_later)
    doc |= {"version": version or doc["version"], "name": name or doc["name"], "created": created.isoformat()}
    write(target, doc)
    return target


def resign(folder: Path) -> None:
    """Rewrite every file's sha256 and size in the manifest: a tampered folder that passes the hash check."""
    doc = read(folder)
    for file_name in doc["files"]:
        path = folder / file_name
        doc["files"][file_name] = {"sha256": sha256_of(path), "bytes": path.stat().st_size}
    write(folder, doc)


def scale_weights(path: Path, factor: float) -> None:
    """Multiply every float initializer of an ONNX file by ``factor`` (0: constant outputs)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    for tensor in model.graph.initializer:
        if tensor.data_type == onnx.TensorProto.FLOAT:
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor) * factor, tensor.name))
    onnx.save(model, str(path))


def resave(path: Path) -> None:
    """The same graph and weights saved with another doc string: other bytes (sha256), same answers."""
    import onnx

    model = onnx.load(str(path))
    model.doc_string = "re-saved by the tests"
    onnx.save(model, str(path))
