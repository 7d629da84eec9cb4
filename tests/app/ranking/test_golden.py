"""Golden requests: a model that answers differently from its export is refused, even with a re-signed manifest."""

from __future__ import annotations

import numpy as np
import pytest

from app.ranking.golden import check_golden, golden_request
from app.ranking.manifest import ManifestError, load_manifest
from app.ranking.student import Ranking, StudentModel
from tests.app.ranking.model_folders import SHIPPED, copy_model, needs_model, resign, scale_weights

pytestmark = needs_model


@pytest.fixture(scope="module")
def shipped() -> StudentModel:
    return StudentModel.load(SHIPPED, threads=1)


def test_the_shipped_model_answers_its_golden_requests(shipped):
    golden = load_manifest(SHIPPED, verify=False).golden
    check_golden(shipped, golden)
    again = golden_request(shipped, golden[0].member, golden[0].candidates)
    assert again.order == golden[0].order
    for fresh, recorded in zip(again.expected, golden[0].expected, strict=True):
        assert fresh.score == pytest.approx(recorded.score, abs=1e-5)


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda s: np.full_like(s, 0.5), "at or above"),  # constant scores
        (lambda s: s[::-1].copy(), "at or above"),  # permuted scores
        (lambda s: s + 0.1, r"ranker scores .* expected"),  # the right order, the wrong values
        (lambda s: np.where(np.arange(len(s)) == 0, np.nan, s), "not finite"),
    ],
)
def test_changed_answers_are_refused(shipped, monkeypatch, change, message):
    rank = shipped.rank

    def changed(member, jobs):
        ranking = rank(member, jobs)
        return Ranking(ranking.relevance, ranking.engagement, change(ranking.score))

    monkeypatch.setattr(shipped, "rank", changed)
    with pytest.raises(ManifestError, match=message):
        check_golden(shipped, load_manifest(SHIPPED, verify=False).golden)


@pytest.mark.parametrize(
    "file_name,factor,message",
    [
        ("interaction.onnx", 0.0, "golden request 1"),  # constant scores
        ("interaction.onnx", -1.0, "golden request 1"),  # other (permuted) scores
        ("features.onnx", 0.0, "features tier scores"),
    ],
)
def test_a_tampered_resigned_model_fails_its_golden_requests(tmp_path, file_name, factor, message):
    folder = copy_model(tmp_path / "model")
    scale_weights(folder / file_name, factor)
    resign(folder)
    manifest = load_manifest(folder)  # the hashes match: only the answers tell
    with pytest.raises(ManifestError, match=message):
        check_golden(StudentModel(folder, manifest, threads=1), manifest.golden)
