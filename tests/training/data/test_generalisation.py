"""The generalisation splits change what they claim, and only that."""

from __future__ import annotations

import numpy as np
import pytest

from app.domain.occupations import default_taxonomy
from app.domain.skills import default_lexicon, normalize
from training.data.benchmark_sets import known_titles, norm_title, without_level
from training.data.dataset import load_dataset
from training.data.generalisation import (
    JOB_NO_SALARY,
    MEMBER_NO_SENIORITY,
    heldout_occupation_lists,
    heldout_phrasings,
    load_benchmark_sets,
    real_title_lists,
    unstructured,
)
from training.data.lists import load_lists
from training.policy.labelled_dataset import policy_grader
from training.policy.policy import default_policy
from training.teachers.split_scores import occupations_of

KNOWN = known_titles(default_taxonomy())
WORLD_TITLES = known_titles(default_taxonomy(), world_only=True)
WORLD = {o.id for o in default_taxonomy().world()}


@pytest.fixture(scope="module")
def data(tiny_dataset):
    return load_dataset(tiny_dataset)


@pytest.fixture(scope="module")
def lists(data):
    return load_lists(data, ("train", "val", "test"))


def _training_titles(data) -> set[str]:
    """Every title and headline the generated (training) data contains, normalised, without level words."""
    texts = [j.title.replace("(m/w/d)", "") for j in data.jobs.values()] + [m.headline for m in data.members.values()]
    keys = {norm_title(t) for t in texts} | {norm_title(t.split(" at ")[0].split(" | ")[0]) for t in texts}
    return keys | {without_level(k) for k in keys}


def test_unstructured_records_carry_no_skill_lists_and_keep_the_grades(lists):
    rewritten = unstructured(lists)
    members = [lst.member for lst in rewritten]
    jobs = {j.job_id: j for lst in rewritten for j in lst.jobs}
    assert not any(m.skills for m in members)
    assert not any(j.required_skills or j.preferred_skills for j in jobs.values())
    for before, after in zip(lists, rewritten, strict=True):
        np.testing.assert_array_equal(before.grades, after.grades)
        # The skills moved into the free text, where a reader can still find them.
        assert all(s in after.member.summary for s in before.member.skills)
    missing_level = np.mean([m.seniority is None for m in members])
    missing_pay = np.mean([j.salary is None for j in jobs.values()])
    assert missing_level == pytest.approx(MEMBER_NO_SENIORITY, abs=0.2)
    assert missing_pay >= JOB_NO_SALARY - 0.1


def test_heldout_titles_are_unseen_by_the_world_the_canonicaliser_and_the_training_data(data):
    seen = _training_titles(data)
    heldout = load_benchmark_sets()["heldout_titles"]
    assert sum(len(v) for v in heldout.values()) >= 50
    for occupation, labels in heldout.items():
        assert occupation in WORLD
        for label in labels:
            key = norm_title(label)
            assert key not in KNOWN and without_level(key) not in KNOWN, label
            assert key not in seen, label


def test_heldout_phrasings_rewrite_titles_and_skills_into_unseen_forms(data, lists):
    lexicon = default_lexicon()
    surfaces = {normalize(s) for skill in lexicon.skills.values() for s in skill.surfaces}
    rewritten = heldout_phrasings(lists, occupations_of(data), KNOWN, lexicon)
    jobs = {j.job_id: j for lst in rewritten for j in lst.jobs}
    titles = [j.title for j in jobs.values()] + [lst.member.headline for lst in rewritten]
    unseen = [norm_title(t) not in KNOWN and without_level(norm_title(t)) not in KNOWN for t in titles]
    assert np.mean(unseen) >= 0.95
    skills = [s for j in jobs.values() for s in j.required_skills] + [s for lst in rewritten for s in lst.member.skills]
    assert np.mean([normalize(s) not in surfaces for s in skills]) >= 0.9
    for before, after in zip(lists, rewritten, strict=True):
        np.testing.assert_array_equal(before.grades, after.grades)
        assert len(after.member.skills) == len(before.member.skills)


def test_heldout_occupations_are_absent_from_the_world_and_the_training_data(data):
    occupations = load_benchmark_sets()["heldout_occupations"]
    ids = {o["id"] for o in occupations}
    assert len(ids) >= 100 and len({o["isco_group"][0] for o in occupations}) >= 9
    assert not ids & WORLD
    assert data.member_truth is not None and data.job_truth is not None
    assert not ids & {t.occupation for t in data.member_truth.values()}
    assert not ids & {t.occupation for t in data.job_truth.values()}
    seen = _training_titles(data)
    assert not any(norm_title(t) in WORLD_TITLES | seen for o in occupations for t in o["titles"])
    lists = heldout_occupation_lists(policy_grader(default_policy()), 60)
    # Same-occupation jobs graded good for most members (a member showing few of a job's required
    # skills gets less), unrelated ones bad for all.
    assert np.mean([lst.grades.max() >= 3 for lst in lists]) >= 0.85
    for lst in lists:
        assert lst.grades.min() <= 1
        assert all(j.job_id.startswith("ho-") for j in lst.jobs)


def test_real_titles_are_graded_by_onet_links():
    sets = load_benchmark_sets()
    # O*NET's titles join the judge's dictionary, but never those this split uses (ESCO's own may).
    added = {norm_title(t) for o in default_taxonomy().occupations.values() for t in o.onet_titles}
    titles = [t for o in sets["onet"]["occupations"] for t in (*o["alternate_titles"], *o.get("reported_titles", []))]
    assert len(added) >= 10_000 and not any(norm_title(t) in added for t in titles)
    assert "CC BY 4.0" in sets["attribution"]["onet"] and "ESCO" in sets["attribution"]["esco"]
    members = [o for o in sets["onet"]["occupations"] if "reported_titles" in o]
    assert len(members) >= 100
    lists = real_title_lists(len(members))
    by_code = {o["code"]: o for o in sets["onet"]["occupations"]}
    for lst, occ in zip(lists, members, strict=True):
        assert lst.member.headline in occ["reported_titles"]
        assert set(lst.grades.tolist()) <= {0, 1, 2, 3} and (lst.grades == 3).sum() == len(occ["alternate_titles"])
        for job, grade in zip(lst.jobs, lst.grades, strict=True):
            code = job.job_id.split("-", 1)[1].rsplit("-", 1)[0]
            assert job.title in by_code[code]["alternate_titles"]
            expected = (
                3 if code == occ["code"] else {"Primary-Short": 2, "Primary-Long": 1}.get(occ["related"].get(code), 0)
            )
            assert grade == expected
