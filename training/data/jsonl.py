"""Streaming JSONL: write records one line at a time, read them back validated with line numbers.

This is also the loader for users' own data: members, jobs and pairs in the same schema. Any bad
line raises :class:`DataFileError` with ``file:line: field: problem`` — nothing is skipped silently;
given a :class:`Problems`, the readers collect every bad line instead (one pass reports them all).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TypeVar, cast, overload

from pydantic import BaseModel, ValidationError

from app.domain.schemas import format_validation_error
from training.errors import TrainingError

M = TypeVar("M", bound=BaseModel)


class DataFileError(TrainingError):
    """A data file is missing or has a bad line; the message says where and what."""


class Problems:
    """Bad lines collected in one pass: every one counted, the first ``cap`` kept with their messages."""

    def __init__(self, cap: int = 20):
        self.cap, self.count = cap, 0
        self.lines: list[str] = []
        self.blank: dict[str, int] = {}  # file -> blank lines skipped

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.lines) < self.cap:
            self.lines.append(message)

    def raise_if_any(self, where: str | Path) -> None:
        """DataFileError listing the problems (one per line), if there were any."""
        if self.count == 1:
            raise DataFileError(self.lines[0])
        if self.count:
            shown = "" if self.count <= self.cap else f" (the first {self.cap} shown)"
            raise DataFileError(f"{where}: {self.count} bad lines{shown}:\n" + "\n".join(self.lines))


def _fail(problems: Problems | None, message: str) -> None:
    if problems is None:
        raise DataFileError(message)
    problems.add(message)


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

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_json_lines(path: str | Path, problems: Problems | None = None) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line; bad JSON raises DataFileError (or, with
    ``problems``, is recorded there and skipped, and blank lines are counted)."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file")
    with _open(path, "r") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                if problems is not None:
                    problems.blank[str(path)] = problems.blank.get(str(path), 0) + 1
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                _fail(problems, f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(obj, dict):
                _fail(problems, f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
                continue
            yield number, obj


@overload
def parse_model(path: str | Path, number: int, obj: dict, model: type[M]) -> M: ...
@overload
def parse_model(path: str | Path, number: int, obj: dict, model: type[M], problems: Problems) -> M | None: ...
def parse_model(path: str | Path, number: int, obj: dict, model: type[M], problems: Problems | None = None) -> M | None:
    """Validate one line's object as ``model``; a problem raises DataFileError naming line and field
    (or, with ``problems``, is recorded there and None returned)."""
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        _fail(problems, f"{path}:{number}: {format_validation_error(exc)}")
        return None
