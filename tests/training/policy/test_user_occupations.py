"""Users' own occupations and title mappings (--occupations) reach the judge's field path."""

from __future__ import annotations

import json

import pytest

from app.domain.canonical import FieldCanonicalizer
from app.domain.occupations import default_taxonomy
from app.domain.skills import default_lexicon
from tests.conftest import make_job
from training.data.jsonl import DataFileError
from training.policy.user_occupations import extend_taxonomy

FILE = {
    "titles": {"Band 5 Ward Sister": "nurse responsible for general care"},
    "occupations": [
        {
            "id": "clinical-coder",
            "label": "clinical coder",
            "family": "healthcare",
            "titles": ["Clinical Coding Officer"],
        }
    ],
}


def _occupation_of(taxonomy, title: str) -> str | None:
    canon = FieldCanonicalizer(taxonomy, default_lexicon())
    return canon.job_view(make_job(title=title)).occupation


def test_title_mappings_and_new_occupations_are_recognised(tmp_path):
    path = tmp_path / "occupations.json"
    path.write_text(json.dumps(FILE))
    taxonomy = extend_taxonomy(default_taxonomy(), path)
    assert _occupation_of(default_taxonomy(), "Clinical Coding Officer") is None
    assert _occupation_of(taxonomy, "Clinical Coding Officer") == "clinical-coder"
    assert _occupation_of(taxonomy, "Band 5 Ward Sister") == "2221.2"
    assert len(default_taxonomy().occupations) + 1 == len(taxonomy.occupations)  # the bundled one is unchanged


def test_every_problem_is_reported_at_once(tmp_path):
    path = tmp_path / "occupations.json"
    bad = {"titles": {"X": "no such job"}, "occupations": [{"id": "a", "label": "a", "family": "space"}, {"id": 3}]}
    path.write_text(json.dumps(bad))
    with pytest.raises(DataFileError) as caught:
        extend_taxonomy(default_taxonomy(), path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 3 and "family: 'space' is not one of" in lines[0] and "'no such job'" in lines[2]
    path.write_text("{broken")
    with pytest.raises(DataFileError, match="cannot read occupations file"):
        extend_taxonomy(default_taxonomy(), path)
