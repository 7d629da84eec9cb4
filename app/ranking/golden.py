"""Golden requests: a model must give the answers its manifest recorded at export, or it is not served.

Export runs a few fixed requests through this runtime on the exported folder and writes the answers
(each candidate's blended score by the ranker and by the features tier, and the ranker's order) into
manifest.json. At start-up and reload the service runs them again: a model with a corrupted or
swapped ONNX file — even one whose manifest was re-signed with the new sha256 — answers differently
(constant scores, permuted scores) and is refused, while the model already serving keeps serving.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.domain.featurize import match_feature_matrix
from app.domain.schemas import Job, Member
from app.ranking.manifest import GoldenRequest, GoldenScore, ManifestError
from app.ranking.student import StudentModel

# Allowed |score - expected| on the 0-1 blended score. Wide enough for the int8 towers to run on
# other CPUs (dynamic quantisation's integer kernels differ by instruction set; int8 vs fp32 differ
# by up to 0.016 on the shipped model), narrow against a broken model, whose scores move by tenths.
GOLDEN_TOLERANCE = 0.05


def _answers(model: StudentModel, member: Member, jobs: Sequence[Job]) -> tuple[np.ndarray, np.ndarray]:
    """(ranker's blended scores, features tier's blended scores) in candidate order."""
    ranked = model.rank(member, jobs)
    relevance, engagement = model.score_features(match_feature_matrix(member, jobs))
    return ranked.score, model.blend(relevance, engagement)


def golden_request(
    model: StudentModel, member: Member, jobs: Sequence[Job], tolerance: float = GOLDEN_TOLERANCE
) -> GoldenRequest:
    """A request with the answers ``model`` gives it now (what export writes into the manifest)."""
    score, features = _answers(model, member, jobs)
    order = np.argsort(-score, kind="stable")
    return GoldenRequest(
        member=member,
        candidates=list(jobs),
        order=[jobs[i].job_id for i in order],
        expected=[
            GoldenScore(job_id=job.job_id, score=round(float(s), 6), features_score=round(float(f), 6))
            for job, s, f in zip(jobs, score, features, strict=True)
        ],
        tolerance=tolerance,
    )


def _check_order(number: int, golden: GoldenRequest, score: np.ndarray) -> None:
    """Consecutive candidates of the expected order whose ranges do not overlap must stay in that order."""
    at = {job.job_id: i for i, job in enumerate(golden.candidates)}
    expected = {e.job_id: e.score for e in golden.expected}
    for better, worse in zip(golden.order, golden.order[1:], strict=False):
        if expected[better] - expected[worse] > 2 * golden.tolerance and score[at[better]] <= score[at[worse]]:
            raise ManifestError(
                f"golden request {number}: ranks {worse!r} ({score[at[worse]]:.4f}) at or above {better!r} "
                f"({score[at[better]]:.4f}); the model answers differently from its export"
            )


def check_golden(model: StudentModel, requests: Sequence[GoldenRequest]) -> None:
    """Run the manifest's golden requests; ManifestError names the first answer that does not match."""
    for number, golden in enumerate(requests, 1):
        score, features = _answers(model, golden.member, golden.candidates)
        if not (np.all(np.isfinite(score)) and np.all(np.isfinite(features))):
            raise ManifestError(f"golden request {number}: scores are not finite")
        _check_order(number, golden, score)
        for expected, got, got_features in zip(golden.expected, score, features, strict=True):
            for tier, want, have in (
                ("ranker", expected.score, got),
                ("features tier", expected.features_score, got_features),
            ):
                if abs(have - want) > golden.tolerance:
                    raise ManifestError(
                        f"golden request {number}: {tier} scores {expected.job_id!r} {have:.4f}, expected "
                        f"{want:.4f} ± {golden.tolerance}; the model answers differently from its export"
                    )
