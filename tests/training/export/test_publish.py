"""Publishing: the model's name is checked, and the size limit holds for the git-tracked artifacts/ only
(or wherever it is asked for)."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.config import ExportConfig
from training.errors import TrainingError
from training.export.export_student import REPO_ARTIFACTS, SAFE_NAME, export_student, publish_limit_mb

GATE = ExportConfig(max_publish_mb=50)


def test_the_limit_holds_for_the_repositorys_artifacts_only(tmp_path):
    assert publish_limit_mb(REPO_ARTIFACTS, None, [], GATE) == 50
    assert publish_limit_mb(tmp_path / "models", None, [], GATE) is None
    assert publish_limit_mb(None, None, [], GATE) is None


def test_an_asked_for_limit_holds_anywhere(tmp_path):
    assert publish_limit_mb(tmp_path, 500.0, [], ExportConfig(max_publish_mb=500)) == 500
    assert publish_limit_mb(tmp_path, None, ["export.max_publish_mb=7"], ExportConfig(max_publish_mb=7)) == 7
    assert publish_limit_mb(tmp_path, None, ["teacher.layers=2"], GATE) is None


@pytest.mark.parametrize("name", ["my-ranker", "nhs.v2", "a_b"])
def test_safe_names(name):
    assert SAFE_NAME.fullmatch(name)


@pytest.mark.parametrize("name", ["", "../up", "a/b", ".hidden", "x" * 65])
def test_unsafe_names_are_refused_before_any_work(name, tmp_path):
    with pytest.raises(TrainingError, match="--name"):
        export_student(tmp_path, tmp_path, None, None, None, name=name)  # type: ignore[arg-type]


def test_repo_artifacts_is_the_checkouts_folder():
    assert REPO_ARTIFACTS == Path(__file__).resolve().parents[3] / "artifacts"
