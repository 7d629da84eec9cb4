"""The architecture in pyproject.toml's [tool.importlinter] holds: training stages import only
upstream in data-flow order, evaluation imports no stage, the service never imports training."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    """lint-imports on the packages under ``root`` (not on whatever copy is installed)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def test_import_contracts_are_kept():
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "3 kept, 0 broken" in result.stdout


def test_a_backward_import_breaks_the_contract(tmp_path):
    for package in ("app", "training"):
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("*.json", "__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    simulate = tmp_path / "training" / "data" / "simulate.py"
    simulate.write_text(simulate.read_text() + "\nimport training.teachers.train  # noqa: E402\n")
    evaluation = tmp_path / "training" / "evaluation" / "harness.py"
    evaluation.write_text(evaluation.read_text() + "\nimport training.data.lists  # noqa: E402\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "training.data.simulate -> training.teachers.train" in result.stdout
    assert "evaluation imports no stage (any stage may call it) BROKEN" in result.stdout
