"""The texts a model's towers read come from its manifest (`inputs.tower_text`), in every path that encodes."""

from __future__ import annotations

import pytest

from app.domain.featurize import job_text, member_text
from app.ranking.engine import RankingEngine
from app.ranking.manifest import ManifestError, load_manifest
from app.ranking.student import StudentModel
from tests.app.ranking.model_folders import copy_model, needs_model, read, write
from tests.conftest import make_job, make_member


def _with_tower_text(tmp_path, value) -> StudentModel:
    folder = copy_model(tmp_path / "model")
    doc = read(folder)
    doc["inputs"]["tower_text"] = value
    write(folder, doc)
    return StudentModel.load(folder)


class _Recorder:
    """Wraps a model's encode methods and keeps the texts they were given."""

    def __init__(self, model: StudentModel, monkeypatch):
        self.members: list[str] = []
        self.jobs: list[str] = []
        encode_members, encode_jobs = model.encode_members, model.encode_jobs
        monkeypatch.setattr(
            model, "encode_members", lambda texts: (self.members.extend(texts), encode_members(texts))[1]
        )
        monkeypatch.setattr(model, "encode_jobs", lambda texts: (self.jobs.extend(texts), encode_jobs(texts))[1])


@needs_model
def test_a_model_without_the_field_reads_the_compact_texts():
    from tests.app.ranking.model_folders import SHIPPED

    assert "tower_text" not in read(SHIPPED)["inputs"]  # the shipped model predates the field
    model = StudentModel.load(SHIPPED)
    member, job = make_member(), make_job()
    assert model.manifest.inputs.tower_text == "compact"
    assert (model.member_text(member), model.job_text(job)) == (member_text(member), job_text(job))


@needs_model
def test_a_title_model_encodes_headline_and_title_in_the_model_and_the_engine(tmp_path, monkeypatch):
    model = _with_tower_text(tmp_path, "title")
    member = make_member(headline="Senior Data Engineer")
    jobs = [make_job(job_id="a", title="Data Platform Engineer"), make_job(job_id="b", title="Staff Nurse")]
    seen = _Recorder(model, monkeypatch)
    model.rank(member, jobs)
    assert seen.members == ["Senior Data Engineer"]
    assert seen.jobs == ["Data Platform Engineer", "Staff Nurse"]

    seen.members.clear()
    seen.jobs.clear()
    outcome = RankingEngine(model, cache_size=100).rank(member, jobs, budget_ms=60_000)
    assert outcome.tier == "ranker"
    assert seen.members == ["Senior Data Engineer"]
    assert seen.jobs == ["Data Platform Engineer", "Staff Nurse"]


@needs_model
def test_a_member_without_headline_is_read_from_the_start_of_the_summary(tmp_path):
    model = _with_tower_text(tmp_path, "title")
    member = make_member(headline="", summary="Backend developer building payment APIs in Go. " + "word " * 40)
    text = model.member_text(member)
    assert text.startswith("Backend developer building payment APIs in Go.")
    assert len(text.split()) == 16


@needs_model
def test_an_unknown_tower_text_is_refused_naming_the_field(tmp_path):
    folder = copy_model(tmp_path / "model")
    doc = read(folder)
    doc["inputs"]["tower_text"] = "whole-cv"
    write(folder, doc)
    with pytest.raises(ManifestError, match="tower_text"):
        load_manifest(folder)


def test_two_part_texts_split_back_into_their_parts_whatever_the_parts_hold():
    from app.domain.featurize import (
        TEXT_PARTS_SEPARATOR,
        job_compact_and_title_text,
        joined_parts,
        member_compact_and_title_text,
        text_parts,
    )

    assert text_parts(joined_parts("a b", "c"), 2) == ["a b", "c"]
    assert text_parts(joined_parts(f"a{TEXT_PARTS_SEPARATOR}b", "c"), 2) == ["a b", "c"]  # a part cannot split
    assert text_parts("only one", 2) == ["only one", ""]
    member = make_member(headline="Senior Data Engineer")
    job = make_job(title="Data Platform Engineer")
    assert text_parts(member_compact_and_title_text(member), 2) == [member_text(member), "Senior Data Engineer"]
    assert text_parts(job_compact_and_title_text(job), 2) == [job_text(job), "Data Platform Engineer"]


@needs_model
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tower_text": "compact+title"}, "title_max_length is required"),  # two texts, towers that take one
        ({"title_max_length": 32}, "takes 4 inputs, not 2"),  # a title cap for a one-text graph's inputs
    ],
)
def test_a_two_text_manifest_must_describe_two_text_towers(tmp_path, change, message):
    folder = copy_model(tmp_path / "model")
    doc = read(folder)
    if "tower_text" in change:
        doc["inputs"]["tower_text"] = change["tower_text"]
    else:
        doc["inputs"]["member_tower"]["title_max_length"] = change["title_max_length"]
    write(folder, doc)
    with pytest.raises(ManifestError, match=message):
        load_manifest(folder)
