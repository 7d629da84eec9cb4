"""Member and job schemas: good input accepted and normalised, every kind of bad input named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.domain.schemas import (
    MAX_SKILLS,
    Job,
    Member,
    PayPeriod,
    Seniority,
    format_validation_error,
)
from tests.conftest import JOB, MEMBER, _merge


def test_reference_records_validate():
    member = Member.model_validate(MEMBER)
    job = Job.model_validate(JOB)
    assert member.seniority is Seniority.mid_senior
    assert job.salary.period is PayPeriod.year
    assert job.posted_at.isoformat() == "2026-05-20"


def test_minimal_records_get_defaults():
    member = Member.model_validate({"member_id": "m", "location": {"country": "US"}})
    assert member.skills == [] and member.min_salary is None and member.workplace_preference.value == "any"
    assert member.authorized_countries() == {"US"}  # empty list = home country only
    job = Job.model_validate({"job_id": "j", "title": "Cook", "location": {"country": "GB", "city": "Leeds"}})
    assert job.workplace_type.value == "onsite" and job.salary is None and job.seniority is None


def test_normalisation_uppercases_codes_and_dedupes_lists():
    member = Member.model_validate(
        _merge(
            MEMBER,
            {"location": {"country": "de"}, "skills": ["Python", "python ", "SQL"], "work_authorization": ["de", "DE"]},
        )
    )
    assert member.location.country == "DE"
    assert member.skills == ["Python", "SQL"]
    assert member.work_authorization == ["DE"]


BAD_MEMBERS = [
    ({"member_id": ""}, "member_id"),
    ({"member_id": "x" * 129}, "member_id"),
    ({"member_id": 12}, "member_id"),
    ({"headline": "h" * 301}, "headline"),
    ({"skills": "Python"}, "skills"),
    ({"skills": ["s"] * 0 + [f"skill {i}" for i in range(MAX_SKILLS + 1)]}, "skills"),
    ({"skills": ["x" * 101]}, "skills.0"),
    ({"skills": [""]}, "skills.0"),
    ({"years_experience": -1}, "years_experience"),
    ({"years_experience": 71}, "years_experience"),
    ({"years_experience": "nan"}, "years_experience"),
    ({"years_experience": "ten"}, "years_experience"),
    ({"seniority": "boss"}, "seniority"),
    ({"location": {"country": "XX"}}, "location.country"),
    ({"location": {"country": "Germany"}}, "location.country"),
    ({"location": None}, "location"),
    ({"workplace_preference": "moon"}, "workplace_preference"),
    ({"open_to_relocation": "maybe"}, "open_to_relocation"),
    ({"open_to_relocation": 1}, "open_to_relocation"),  # booleans are strict: no 0/1, no "true"
    ({"open_to_relocation": "true"}, "open_to_relocation"),
    ({"min_salary": {"amount": -5}}, "min_salary.amount"),
    ({"min_salary": {"currency": "EURO"}}, "min_salary.currency"),
    ({"min_salary": {"currency": "ABC"}}, "min_salary.currency"),
    ({"min_salary": {"period": "week"}}, "min_salary.period"),
    ({"work_authorization": ["DE", "ZZ"]}, "work_authorization.1"),
    ({"industries": [f"i{i}" for i in range(21)]}, "industries"),
    ({"skils": ["typo in field name"]}, "skils"),
]


BAD_JOBS = [
    ({"job_id": None}, "job_id"),
    ({"title": ""}, "title"),
    ({"description": "d" * 20_001}, "description"),
    ({"required_skills": [1, 2]}, "required_skills.0"),
    ({"seniority": "senior"}, "seniority"),
    ({"location": {"country": "U"}}, "location.country"),
    ({"location": {"city": "c" * 301}}, "location.city"),
    ({"workplace_type": "any"}, "workplace_type"),
    ({"salary": {"min": 100, "max": 50}}, "salary"),
    ({"salary": {"max": 1e12}}, "salary.max"),
    ({"salary": {"currency": "usd!"}}, "salary.currency"),
    ({"visa_sponsorship": "sometimes"}, "visa_sponsorship"),
    ({"visa_sponsorship": 0}, "visa_sponsorship"),
    ({"employment_type": "gig"}, "employment_type"),
    ({"posted_at": "yesterday"}, "posted_at"),
    ({"posted_at": "1970-01-01"}, "posted_at"),
    ({"salary_range": {}}, "salary_range"),
]


BAD_INPUTS = [(Member, MEMBER, *case) for case in BAD_MEMBERS] + [(Job, JOB, *case) for case in BAD_JOBS]


@pytest.mark.parametrize(("model", "base", "change", "field"), BAD_INPUTS)
def test_bad_field_is_named(model, base, change, field):
    with pytest.raises(ValidationError) as err:
        model.model_validate(_merge(base, change))
    message = format_validation_error(err.value)
    assert message.startswith(field + ":") or f"; {field}:" in message, message


def test_missing_required_fields_are_named():
    with pytest.raises(ValidationError) as err:
        Job.model_validate({"job_id": "j"})
    message = format_validation_error(err.value)
    assert "title: Field required" in message and "location: Field required" in message


def test_seniority_levels_are_ordered():
    assert [s.level for s in Seniority] == list(range(6))
    assert Seniority.director.level - Seniority.associate.level == 2


def test_country_and_currency_rules_are_in_the_json_schema():
    defs = Member.model_json_schema()["$defs"]
    country = defs["Location"]["properties"]["country"]
    currency = defs["MinSalary"]["properties"]["currency"]
    assert "DE" in country["enum"] and "XX" not in country["enum"] and "ISO 3166-1" in country["description"]
    assert "EUR" in currency["enum"] and "ABC" not in currency["enum"] and "ISO 4217" in currency["description"]
