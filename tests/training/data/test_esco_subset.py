"""The committed ESCO world and lexicon are what the builder makes from the real ESCO files."""

from __future__ import annotations

import json

import pytest

from app.domain.skills import DEFAULT_LEXICON_PATH
from training.data.esco_subset import DEFAULT_ESCO_DIR, OUTPUT_PATH, build
from training.errors import TrainingError


@pytest.mark.skipif(not (DEFAULT_ESCO_DIR / "occupations.csv").is_file(), reason="shared ESCO data not beside the repo")
def test_committed_world_and_lexicon_match_a_fresh_build():
    occupations, lexicon = build(DEFAULT_ESCO_DIR)
    assert occupations == json.loads(OUTPUT_PATH.read_text(encoding="utf-8"))
    assert lexicon == json.loads(DEFAULT_LEXICON_PATH.read_text(encoding="utf-8"))


def test_a_bad_spec_is_refused(tmp_path):
    if not (DEFAULT_ESCO_DIR / "occupations.csv").is_file():
        pytest.skip("shared ESCO data not beside the repo")
    spec = {
        "families": {
            "f": {
                "label": "F",
                "isco_groups": ["2512"],
                "industries": ["x"],
                "hourly": False,
                "remote_friendly": True,
                "occupations": {
                    "cook": {"skills": ["Python"], "pay": 1},
                    "software developer": {"skills": ["Underwater Welding"], "pay": 1},
                    "no such job": {"skills": [], "pay": 1},
                },
            }
        }
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    with pytest.raises(TrainingError) as err:
        build(DEFAULT_ESCO_DIR, path)
    message = str(err.value)
    assert "'cook' is in ISCO group 5120" in message
    assert "unknown skill 'Underwater Welding'" in message
    assert "no ESCO occupation with preferred label 'no such job'" in message
