"""The bundled world: ≥ 500 ESCO occupations in every ISCO-08 major group, with ESCO's skills."""

from __future__ import annotations

from collections import Counter

from app.domain.occupations import default_taxonomy
from app.domain.skills import default_lexicon


def test_the_world_covers_500_occupations_in_every_isco_major_group():
    taxonomy = default_taxonomy()
    world = taxonomy.world()
    assert len(world) >= 500
    assert {o.isco_group[0] for o in world} == set("0123456789")
    # Stratified over ISCO minor groups: no group dominates.
    per_minor = Counter(o.isco_group[:3] for o in world)
    assert len(per_minor) >= 100 and max(per_minor.values()) <= 30
    # The judge's title dictionary holds all of ESCO, the world is a part of it.
    assert len(taxonomy.occupations) == 3007


def test_every_world_occupation_has_esco_skills_a_family_and_pay():
    taxonomy, lexicon = default_taxonomy(), default_lexicon()
    for occupation in taxonomy.world():
        assert len(occupation.core_skills) >= 3, occupation.label
        assert all(s in lexicon.skills for s in occupation.core_skills + occupation.optional_skills)
        assert occupation.family in taxonomy.families and occupation.pay_usd > 0
        assert occupation.titles[0] == occupation.label and occupation.description
    # The hand-written occupations keep their hand-written skills first.
    developer = next(o for o in taxonomy.world() if o.label == "software developer")
    assert developer.core_skills[:2] == ("java", "python") and developer.family == "software_data"


def test_families_group_related_occupations():
    taxonomy = default_taxonomy()
    families = Counter(o.family for o in taxonomy.world())
    assert len(families) >= 40 and all(n >= 2 for n in families.values())
    assert {f.hourly for f in taxonomy.families.values()} == {True, False}
    nurse = next(o for o in taxonomy.occupations.values() if o.label == "nurse responsible for general care")
    radiographer = next(o for o in taxonomy.occupations.values() if o.label == "radiographer")
    assert nurse.family == "healthcare" and radiographer.family == "isco-22"
