"""The shared featurisation: compact text and exact match features."""

from __future__ import annotations

import numpy as np
import pytest

from app.domain.featurize import (
    FEATURE_NAMES,
    JOB_TEXT_CHARS,
    MEMBER_TEXT_CHARS,
    annual_amount,
    job_text,
    match_feature_matrix,
    match_features,
    member_text,
    pair_text,
    strip_boilerplate,
)
from app.domain.schemas import PayPeriod
from tests.conftest import make_job, make_member


def _features(member, job) -> dict[str, float]:
    return dict(zip(FEATURE_NAMES, match_features(member, job), strict=False))


def test_strip_boilerplate_keeps_substance():
    text = (
        "We build payment APIs. Requirements: Java and SQL. We offer a pension and 30 vacation days. "
        "Acme is an equal opportunity employer regardless of race or disability. Apply now with your CV!"
    )
    stripped = strip_boilerplate(text)
    assert stripped == "We build payment APIs. Requirements: Java and SQL."


def test_texts_are_compact_and_carry_the_essentials():
    long_summary = "word " * 900
    member = make_member(summary=long_summary)
    job = make_job(description="Requirements: Java. " + "filler " * 2500)
    m_text, j_text = pair_text(member, job)
    assert len(m_text) <= MEMBER_TEXT_CHARS and len(j_text) <= JOB_TEXT_CHARS
    assert m_text.startswith("Senior Software Engineer at Acme | mid-senior | 8 yrs")
    assert "skills: Python, Java" in m_text
    assert j_text.startswith("Senior Software Developer (m/w/d) | Northwind Labs | mid-senior | hybrid")
    assert "requires: Java, Python, SQL, Git" in j_text and "nice to have: Kubernetes" in j_text
    assert member_text(member) == m_text and job_text(job) == j_text


def test_match_features_reference_pair():
    f = _features(make_member(), make_job())
    assert len(FEATURE_NAMES) == len(set(FEATURE_NAMES))
    assert f["same_country"] == f["same_city"] == f["authorized"] == f["work_eligible"] == f["presence_possible"] == 1.0
    assert f["seniority_gap"] == 0.0 and f["seniority_known"] == 1.0
    assert f["salary_comparable"] == 1.0 and f["salary_below_min"] == 0.0
    assert f["salary_log_ratio"] == pytest.approx(np.log(90000 / 70000))
    assert f["required_coverage"] == 1.0  # Java, Python, SQL, Git all listed
    assert f["preferred_coverage"] == 1.0  # Kubernetes only as "k8s" in the summary: synonym resolved


def test_match_features_mismatches():
    member = make_member(workplace_preference="remote", seniority="entry", skills=["Java"], summary="")
    job = make_job(
        location={"country": "US", "city": "Austin"},
        workplace_type="onsite",
        seniority="director",
        salary={"min": 20, "max": 30, "currency": "USD", "period": "hour"},
        visa_sponsorship=True,
    )
    f = _features(member, job)
    assert f["same_country"] == f["authorized"] == f["presence_possible"] == 0.0
    assert f["visa_sponsorship"] == f["work_eligible"] == f["workplace_conflict"] == 1.0
    assert f["seniority_gap"] == pytest.approx(3 / 5)
    assert f["salary_comparable"] == 0.0  # USD vs EUR: not compared
    assert f["required_coverage"] == pytest.approx(1 / 4)


def test_remote_job_needs_only_the_country():
    member = make_member(location={"country": "DE", "city": "Munich"})
    assert _features(member, make_job(workplace_type="remote"))["presence_possible"] == 1.0
    assert _features(member, make_job(workplace_type="onsite"))["presence_possible"] == 0.0
    assert (
        _features(make_member(open_to_relocation=True, location={"city": "Munich"}), make_job())["presence_possible"]
        == 1.0
    )


def test_hourly_pay_is_annualised():
    assert annual_amount(30, PayPeriod.hour) == 30 * 2080
    assert annual_amount(5000, PayPeriod.month) == 60000
    member = make_member(min_salary={"amount": 60000, "currency": "EUR", "period": "year"})
    job = make_job(salary={"min": 25, "max": 28, "currency": "EUR", "period": "hour"})  # 58,240 a year
    assert _features(member, job)["salary_below_min"] == 1.0


def test_feature_matrix_matches_row_by_row():
    member = make_member()
    jobs = [make_job(), make_job(job_id="j-2", workplace_type="remote"), make_job(job_id="j-3", salary=None)]
    matrix = match_feature_matrix(member, jobs)
    assert matrix.shape == (3, len(FEATURE_NAMES)) and matrix.dtype == np.float32
    for row, job in zip(matrix, jobs, strict=False):
        np.testing.assert_allclose(row, match_features(member, job), rtol=1e-6)
    assert match_feature_matrix(member, []).shape == (0, len(FEATURE_NAMES))
