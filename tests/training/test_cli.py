"""`python -m training`: only the project's own user-facing error becomes one line; bugs keep their traceback."""

from __future__ import annotations

import sys
import types

import pytest

from training.__main__ import STAGES, main
from training.data.jsonl import DataFileError


def _fake_stage(monkeypatch, error: Exception) -> str:
    module = types.ModuleType("fake_stage")

    def fake_main(argv: list[str]) -> int:
        raise error

    module.main = fake_main  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_stage", module)
    monkeypatch.setitem(STAGES, "fake", ("fake_stage", "a stage that fails"))
    return "fake"


def test_a_user_error_is_one_line_with_exit_code_2(monkeypatch, capsys):
    stage = _fake_stage(monkeypatch, DataFileError("members.jsonl:3: member_id: missing"))
    assert main([stage]) == 2
    assert capsys.readouterr().err == "error: members.jsonl:3: member_id: missing\n"


def test_a_bug_is_not_hidden_as_a_one_line_error(monkeypatch):
    stage = _fake_stage(monkeypatch, ValueError("operands could not be broadcast together"))
    with pytest.raises(ValueError, match="broadcast"):
        main([stage])


def test_every_stage_module_has_its_entry_point():
    import importlib

    for name, (target, _) in STAGES.items():
        module, _, function = target.partition(":")
        assert callable(getattr(importlib.import_module(module), function or "main")), name
