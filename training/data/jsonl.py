"""Streaming JSONL: write records one line at a time, read them back validated with line numbers.

This is also the loader for users' own data: members, jobs and pairs in the same schema. Any bad
line raises :class:`DataFileError` with ``file:line: field: problem`` — nothing is skipped silently.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import IO, Iterator, TypeVar, cast

from pydantic import BaseModel, ValidationError

from app.domain.schemas import format_validation_error
from training.errors import TrainingError

M = TypeVar("M", bound=BaseModel)


class DataFileError(TrainingError):
    """A data file is missing or has a bad line; the message says where and what."""


def _open(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return cast(IO[str], gzip.open(path, mode + "t", encoding="utf-8"))
    return path.open(mode, encoding="utf-8")


class JsonlWriter:
    """Append JSON lines to a file (``.gz`` compresses); use as a context manager."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = _open(self.path, "w")
        self.count = 0

    def write(self, record: BaseModel | dict) -> None:
        if isinstance(record, BaseModel):
            line = record.model_dump_json(exclude_none=False)
        else:
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
        self._fh.write(line + "\n")
        self.count += 1

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "JsonlWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_json_lines(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line; bad JSON raises DataFileError."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file")
    with _open(path, "r") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(obj, dict):
                raise DataFileError(f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
            yield number, obj


def parse_model(path: str | Path, number: int, obj: dict, model: type[M]) -> M:
    """Validate one line's object as ``model``; a problem raises DataFileError naming line and field."""
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        raise DataFileError(f"{path}:{number}: {format_validation_error(exc)}") from None
