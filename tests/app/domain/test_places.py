"""City matching normalises place names: a city named inside an address is that city."""

from __future__ import annotations

import pytest

from app.domain.canonical import FieldCanonicalizer
from app.domain.occupations import default_taxonomy
from app.domain.places import place_keys, same_place
from app.domain.skills import default_lexicon
from tests.conftest import make_job, make_member
from training.policy.judge import judge


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("The Royal Free Hospital, London", "London", True),
        ("London NW3 2QG", "london", True),
        ("St Thomas' Hospital, Westminster Bridge Rd, London SE1 7EH", "London", True),
        ("Zürich", "Zurich", True),
        ("London", "Manchester", False),
        ("Royal Free Hospital, London", "Manchester Royal Infirmary, Manchester", False),
        ("", "London", False),
        ("12345", "12345", False),
    ],
)
def test_same_place(a, b, same):
    assert same_place(a, b) is same and same_place(b, a) is same


def test_place_keys_drop_postcodes():
    assert place_keys("The Royal Free Hospital, London NW3 2QG") == {"the royal free hospital", "london"}


def test_the_judges_location_rule_sees_a_city_inside_an_address():
    member = make_member(open_to_relocation=False)
    job = make_job(location={"city": f"Head Office, {member.location.city} 10115"}, workplace_type="onsite")
    canon = FieldCanonicalizer(default_taxonomy(), default_lexicon())
    verdict = judge(member, job, canon.member_view(member), canon.job_view(job))
    assert verdict.rules["location"].effect == "pass"
