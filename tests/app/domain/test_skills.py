"""Skill lexicon: synonyms, abbreviations and typos resolve; free-text spotting is careful."""

from __future__ import annotations

import pytest

from app.domain.skills import SkillLexicon, default_lexicon


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("k8s", "kubernetes"),
        ("Kubernetes", "kubernetes"),
        ("ML", "machine_learning"),
        ("machine-learning", "machine_learning"),
        ("JS", "javascript"),
        ("Golang", "go"),
        ("HACCP", "food_safety"),
        ("FLT", "forklift_operation"),
        ("Pyhton", "python"),  # swapped letters
        ("Kubernets", "kubernetes"),  # missing letter
        ("Forkliftt Operation", "forklift_operation"),  # doubled letter
    ],
)
def test_resolve_spellings(written, canonical):
    assert default_lexicon().resolve(written) == canonical


def test_unknown_and_short_typos_do_not_guess():
    lexicon = default_lexicon()
    assert lexicon.resolve("Hard working") is None
    assert lexicon.resolve("Pythn3x") is None
    assert lexicon.resolve("SLQ") is None  # too short to trust a typo


def test_extract_from_free_text():
    found = default_lexicon().extract(
        "5+ years with Python/Django and k8s; ML a plus. Familiar with C++, C# and CI/CD pipelines (AWS)."
    )
    assert {"python", "kubernetes", "machine_learning", "c++", "c#", "ci_cd", "amazon_web_services"} <= found


def test_extract_ignores_ambiguous_words_and_lowercase_abbreviations():
    found = default_lexicon().extract("Go to the shop, excel at service, ml of milk, rest a while")
    assert found == set()


def test_lexicon_rejects_a_spelling_owned_by_two_skills():
    with pytest.raises(ValueError, match="belongs to both"):
        SkillLexicon({"a": {"Kubernetes": ["k8s"]}, "b": {"Kube Tools": ["k8s"]}})


def test_every_hand_written_family_has_a_vocabulary_with_synonyms():
    lexicon = default_lexicon()
    assert len(lexicon.families()) >= 40
    for family in lexicon.families()[:13]:
        skills = lexicon.in_family(family)
        assert len(skills) >= 8, family
        assert sum(bool(s.aliases) for s in skills) >= len(skills) // 2, family


def test_esco_phrases_get_no_typo_tolerance():
    lexicon = default_lexicon()
    assert lexicon.resolve("hand working") is not None  # an ESCO spelling...
    assert lexicon.resolve("hard working") is None  # ...one letter from a phrase that is no skill


def test_esco_skills_resolve_by_their_preferred_and_alternative_labels():
    lexicon = default_lexicon()
    assert len(lexicon.skills) >= 10_000
    sid = lexicon.resolve("use spreadsheets software")
    assert sid is not None and lexicon.resolve("Use Spreadsheets Software") == sid
    # ESCO's "Python (computer programming)" merged into the hand-written skill: old spellings hold.
    assert lexicon.resolve("Python (computer programming)") == lexicon.resolve("py") == "python"
    assert lexicon.resolve("kube") == "kubernetes"
    esco_alt = next(
        (alias, skill.id)
        for skill in lexicon.skills.values()
        for alias in skill.aliases
        if skill.id.startswith("perform_") and len(alias.split()) >= 3
    )
    assert lexicon.resolve(esco_alt[0]) == esco_alt[1]


def test_free_text_spotting_finds_esco_skills_but_not_common_words():
    lexicon = default_lexicon()
    found = lexicon.extract("Day to day I use spreadsheets software and perform cleaning duties; criminology, too.")
    assert {"use_spreadsheets_software", "perform_cleaning_duties"} <= found
    # Single ordinary words from ESCO resolve in a skills list, but are not spotted in prose.
    assert lexicon.resolve("criminology") is not None and lexicon.resolve("criminology") not in found
