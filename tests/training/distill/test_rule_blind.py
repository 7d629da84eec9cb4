"""Rule-blind and rule-wrong training pairs: only the shares asked for lose or change their title's reading,
never to the true occupation, and no label moves."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from app.domain.featurize import FEATURE_NAMES, job_facts, match_feature_matrix, member_facts
from app.domain.occupations import default_taxonomy
from tests.conftest import make_job, make_member
from training.config import StudentConfig
from training.data.lists import CandidateList
from training.distill import train
from training.distill.rule_blind import RuleBlind, unrecognised

TITLE_COLUMNS = [
    FEATURE_NAMES.index(name)
    for name in ("function_same_occupation", "function_same_family", "member_occupation_known", "job_occupation_known")
]


def _lists(members: int = 10, jobs_per_list: int = 6) -> list[CandidateList]:
    out = []
    for m in range(members):
        jobs = tuple(make_job(job_id=f"j{m}-{k}") for k in range(jobs_per_list))
        n = len(jobs)
        out.append(
            CandidateList(
                member=make_member(member_id=f"m{m}"),
                jobs=jobs,
                grades=np.arange(n) % 5,
                positive=np.where(np.arange(n) % 2 == 0, 1.0, np.nan),
                positions=np.arange(n),
            )
        )
    return out


def test_the_reference_pair_is_recognised_by_the_rules():
    # Otherwise blinding would change nothing and the tests below would prove nothing.
    features = match_feature_matrix(make_member(), [make_job()])[0]
    assert features[FEATURE_NAMES.index("function_same_occupation")] == 1.0
    assert member_facts(make_member()).occupation is not None


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_only_the_share_asked_for_is_blinded(share):
    lists = _lists()
    blind = RuleBlind.draw(lists, share, seed=3)
    assert len(blind.members) == round(share * 10)
    assert len(blind.jobs) == round(share * 60)
    for lst in lists:
        blinded = blind.feature_matrix(lst)
        plain = match_feature_matrix(lst.member, lst.jobs)
        for row, job in enumerate(lst.jobs):
            hidden = lst.member.member_id in blind.members or job.job_id in blind.jobs
            if hidden:
                assert blinded[row, FEATURE_NAMES.index("function_same_occupation")] == 0.0
            else:
                np.testing.assert_array_equal(blinded[row], plain[row])
            # Location, skills and the other exact features never change.
            exact = [i for i, name in enumerate(FEATURE_NAMES) if not name.startswith(("rule_", "function_"))]
            exact = [i for i in exact if i not in TITLE_COLUMNS]
            np.testing.assert_array_equal(blinded[row, exact], plain[row, exact])


@pytest.mark.parametrize(("blind_share", "wrong_share"), [(0.0, 0.3), (0.3, 0.15), (0.3, 0.7)])
def test_only_the_wrong_share_is_misread_never_as_the_true_occupation(blind_share, wrong_share):
    lists = _lists(members=20)
    rules = RuleBlind.draw(lists, blind_share, seed=5, wrong_share=wrong_share)
    assert len(rules.wrong_members) == round(wrong_share * 20)
    assert len(rules.wrong_jobs) == round(wrong_share * 120)
    assert not rules.members & rules.wrong_members.keys() and not rules.jobs & rules.wrong_jobs.keys()
    assert rules.members == RuleBlind.draw(lists, blind_share, seed=5).members  # the blind draw is kept as it was
    occupations = default_taxonomy().occupations
    same_family = 0
    for lst in lists:
        pairs: list[tuple[Any, Any, bool]] = [
            (member_facts(lst.member), rules.member_facts(lst.member), lst.member.member_id in rules.wrong_members)
        ]
        pairs += [(job_facts(job), rules.job_facts(job), job.job_id in rules.wrong_jobs) for job in lst.jobs]
        for true, read, wrong in pairs:
            if wrong:
                assert read.occupation != true.occupation and read.occupation in occupations
                assert read.family == occupations[read.occupation].family  # the family follows the occupation
                same_family += read.family == true.family
                # Skills, places and everything but the title's reading stay.
                assert dataclasses.replace(read, occupation=true.occupation, family=true.family) == true
            else:
                assert read in (true, unrecognised(true))  # blinded, or untouched
    wrong_count = len(rules.wrong_jobs) + len({lst.member.member_id for lst in lists} & rules.wrong_members.keys())
    assert 0.25 < same_family / wrong_count < 0.75  # half from the true family, half from anywhere


def test_shares_over_one_are_refused():
    with pytest.raises(ValueError, match="exceed 1"):
        RuleBlind.draw(_lists(), 0.8, seed=0, wrong_share=0.3)


def test_the_draw_is_seeded_and_does_not_depend_on_list_order():
    lists = _lists()
    a, b = RuleBlind.draw(lists, 0.3, seed=1), RuleBlind.draw(lists[::-1], 0.3, seed=1)
    assert (a.members, a.jobs) == (b.members, b.jobs)
    assert RuleBlind.draw(lists, 0.3, seed=2).jobs != a.jobs


def test_blinding_changes_features_only_never_labels_or_texts(monkeypatch):
    seen_texts: list[list[str]] = []

    def fake_pool(encoder, tokenizer, texts, max_length):
        seen_texts.append(list(texts))
        return np.zeros((len(texts), 4), dtype=np.float32)

    monkeypatch.setattr(train, "pooled_texts", fake_pool)
    lists = _lists()
    rows = [{"grade_probs": [0.2] * 5, "engagement": 0.1 * (i % 7)} for i in range(sum(len(x) for x in lists))]
    cfg = StudentConfig(tower_text="title")
    plain = train.prepare(lists, rows, None, None, cfg, False, blind_share=0.0)
    texts_plain = list(seen_texts)
    seen_texts.clear()
    blinded = train.prepare(lists, rows, None, None, cfg, False, blind_share=0.3, wrong_share=0.3)
    assert seen_texts == texts_plain  # the towers read the same texts
    changed = 0
    for p, b in zip(plain, blinded, strict=True):
        for name in ("grades", "teacher_probs", "teacher_engagement", "member", "jobs"):
            assert getattr(p, name).equal(getattr(b, name)), name
        assert np.array_equal(p.engaged.numpy(), b.engaged.numpy(), equal_nan=True)
        changed += int(not p.features.equal(b.features))
    assert changed > 0
    # The features-only tier (no text to fall back on) learns from the features as the rules read them.
    restored = train.with_rules_as_read(lists, blinded)
    assert all(r.features.equal(p.features) and r.grades.equal(p.grades) for r, p in zip(restored, plain, strict=True))
