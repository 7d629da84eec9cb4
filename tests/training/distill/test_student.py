"""The ranker student's rules prior: before any training, it grades as the rules do."""

from __future__ import annotations

import torch

from app.domain.featurize import FEATURE_NAMES, match_feature_matrix
from tests.conftest import make_job, make_member
from training.distill.student import FeatureScorer, RankerStudent


def test_an_untrained_student_grades_as_the_rules():
    member = make_member()
    jobs = [
        make_job(),  # the rules say excellent
        make_job(location={"country": "US", "city": "Boston"}),  # blocked: bad
        make_job(title="Registered Nurse", required_skills=["Patient care"], description="Ward nursing."),
        make_job(seniority="intern"),  # capped by the seniority gap
    ]
    features = torch.from_numpy(match_feature_matrix(member, jobs))
    rules_grade = (features[:, FEATURE_NAMES.index("rule_grade")] * 4).round().long()
    assert len(set(rules_grade.tolist())) >= 3
    torch.manual_seed(0)
    student = RankerStudent(None, encoder_width=16, dim=8).eval()
    logits, _ = student.score_pooled(torch.randn(len(jobs), 16), torch.randn(len(jobs), 16), features)
    assert torch.equal(logits.argmax(-1), rules_grade)
    tier_logits, _ = FeatureScorer().eval()(features)
    assert torch.equal(tier_logits.argmax(-1), rules_grade)
