"""O*NET's titles reach the judge's dictionary through a text mapping to ESCO occupations."""

from __future__ import annotations

import pytest

from app.domain.canonical import FieldCanonicalizer
from app.domain.occupations import default_taxonomy
from app.domain.skills import default_lexicon
from training.data.esco_subset import DEFAULT_ONET_DIR
from training.data.onet_titles import singular
from training.policy.title_coverage import esco_only, measure

needs_onet = pytest.mark.skipif(
    not (DEFAULT_ONET_DIR / "Sample of Reported Titles.txt").is_file(), reason="shared O*NET data not beside the repo"
)


@pytest.mark.parametrize(
    ("plural", "single"),
    [("Registered Nurses", "Registered Nurse"), ("Chief Executives", "Chief Executive"), ("Secretaries", "Secretary")],
)
def test_singular(plural, single):
    assert singular(plural) == single


def test_onet_occupations_map_to_the_esco_occupation_their_titles_name():
    taxonomy = default_taxonomy()
    label = {code: taxonomy.occupations[o].label for code, o in taxonomy.onet_to_esco.items()}
    assert len(label) >= 500
    assert label["15-1252.00"] == "software developer"  # Software Developers
    assert label["29-1141.00"] == "nurse responsible for general care"  # Registered Nurses
    assert "51-4199.00" not in label  # "Metal Workers and Plastic Workers, All Other": a catch-all


def test_onet_titles_are_read_by_the_judge_but_never_written_by_the_generator():
    taxonomy = default_taxonomy()
    with_onet = [o for o in taxonomy.occupations.values() if o.onet_titles]
    assert sum(len(o.onet_titles) for o in with_onet) >= 10_000
    canon = FieldCanonicalizer(taxonomy, default_lexicon())
    occupation = with_onet[0]
    assert canon.occupation_from_title(occupation.onet_titles[0]) is not None
    for o in with_onet:
        assert not set(o.onet_titles) & set(o.titles)  # generator titles stay ESCO's own


@needs_onet
def test_the_judge_recognises_most_reported_titles_and_onet_helps():
    taxonomy = default_taxonomy()
    full = measure(DEFAULT_ONET_DIR, taxonomy, taxonomy.onet_to_esco)["reported_titles"]
    esco = measure(DEFAULT_ONET_DIR, esco_only(taxonomy), taxonomy.onet_to_esco)["reported_titles"]
    assert full["titles"] == 7796 and full["recognised"] >= 0.8
    assert full["recognised"] > esco["recognised"] + 0.1
    assert full["same_family_as_mapping"] >= 0.6
