"""Member profile and job posting: the public JSON contract shared by training and the HTTP API.

Field names are frozen (clients are written against them). Every size is bounded; the limits
below are generous real-world ceilings, documented in the README. Unknown fields are rejected
(a misspelt optional field would otherwise be dropped silently), and every violation names its field.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StringConstraints,
    model_validator,
)

from app.domain.iso_codes import COUNTRY_CODES, CURRENCY_CODES

# ---- limits (README "Schema limits" mirrors this table) -------------------------------------
MAX_ID_CHARS = 128
MAX_SHORT_TEXT_CHARS = 300  # headline, title, company, city, industry
MAX_SUMMARY_CHARS = 5_000
MAX_DESCRIPTION_CHARS = 20_000
MAX_SKILL_CHARS = 100
MAX_SKILLS = 100
MAX_INDUSTRIES = 20
MAX_AUTHORIZATIONS = 60
MAX_YEARS_EXPERIENCE = 70.0
MAX_SALARY_AMOUNT = 100_000_000.0  # per period, any currency (covers INR/JPY annual figures)
EARLIEST_POSTED_AT = dt.date(1990, 1, 1)


class Seniority(str, Enum):
    """Career level, ordered from most junior to most senior."""

    intern = "intern"
    entry = "entry"
    associate = "associate"
    mid_senior = "mid_senior"
    director = "director"
    executive = "executive"

    @property
    def level(self) -> int:
        """Position on the ladder (intern = 0 … executive = 5)."""
        return SENIORITY_ORDER.index(self)


SENIORITY_ORDER: tuple[Seniority, ...] = tuple(Seniority)


class WorkplacePreference(str, Enum):
    onsite = "onsite"
    hybrid = "hybrid"
    remote = "remote"
    any = "any"


class WorkplaceType(str, Enum):
    onsite = "onsite"
    hybrid = "hybrid"
    remote = "remote"


class EmploymentType(str, Enum):
    full_time = "full_time"
    part_time = "part_time"
    contract = "contract"
    internship = "internship"
    temporary = "temporary"


class PayPeriod(str, Enum):
    """Period a salary amount refers to (an optional extension; the default is a year)."""

    year = "year"
    month = "month"
    hour = "hour"


# ---- reusable field types -------------------------------------------------------------------


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _known_country(code: str) -> str:
    if code not in COUNTRY_CODES:
        raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 country code")
    return code


def _known_currency(code: str) -> str:
    if code not in CURRENCY_CODES:
        raise ValueError(f"'{code}' is not an ISO 4217 currency code")
    return code


def _not_before_earliest(day: dt.date) -> dt.date:
    if day < EARLIEST_POSTED_AT:
        raise ValueError(f"{day} is before {EARLIEST_POSTED_AT}")
    return day


def _dedupe(items: list[str]) -> list[str]:
    """Drop repeated entries (case-insensitive), keeping the first spelling and the order."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.casefold()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID_CHARS)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_SHORT_TEXT_CHARS)]
RequiredShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SHORT_TEXT_CHARS)
]


def _listed(standard: str, example: str, codes: frozenset[str]):
    """The JSON schema of an ISO code field: its description and the list of codes."""
    listed: list[JsonValue] = list(sorted(codes))
    return Field(description=f"{standard} code (case-insensitive, e.g. {example})", json_schema_extra={"enum": listed})


_CountryDoc = _listed("ISO 3166-1 alpha-2 country", "DE", COUNTRY_CODES)
_CurrencyDoc = _listed("ISO 4217 currency", "EUR", CURRENCY_CODES)
CountryCode = Annotated[
    str, BeforeValidator(_upper), StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_known_country), _CountryDoc
]
CurrencyCode = Annotated[
    str,
    BeforeValidator(_upper),
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    AfterValidator(_known_currency),
    _CurrencyDoc,
]
SkillName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SKILL_CHARS)]
SkillList = Annotated[list[SkillName], Field(max_length=MAX_SKILLS), AfterValidator(_dedupe)]
Amount = Annotated[float, Field(ge=0, le=MAX_SALARY_AMOUNT, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Location(_Strict):
    """Where a member lives or where a job is done (for a remote job: the country it may be done from)."""

    country: CountryCode
    city: ShortText = ""


class MinSalary(_Strict):
    """The lowest pay a member will accept."""

    amount: Amount
    currency: CurrencyCode
    period: PayPeriod = PayPeriod.year


class SalaryRange(_Strict):
    """A job's advertised pay range."""

    min: Amount
    max: Amount
    currency: CurrencyCode
    period: PayPeriod = PayPeriod.year

    @model_validator(mode="after")
    def _ordered(self) -> SalaryRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min:g}) must not exceed max ({self.max:g})")
        return self


class Member(_Strict):
    """A member profile, as the ranking request carries it."""

    member_id: Identifier
    headline: ShortText = ""
    summary: Annotated[str, StringConstraints(max_length=MAX_SUMMARY_CHARS)] = ""
    skills: SkillList = []
    years_experience: Annotated[float, Field(ge=0, le=MAX_YEARS_EXPERIENCE, allow_inf_nan=False)] = 0.0
    seniority: Seniority | None = None
    location: Location
    workplace_preference: WorkplacePreference = WorkplacePreference.any
    open_to_relocation: StrictBool = False
    min_salary: MinSalary | None = None
    work_authorization: Annotated[list[CountryCode], Field(max_length=MAX_AUTHORIZATIONS), AfterValidator(_dedupe)] = []
    industries: Annotated[list[RequiredShortText], Field(max_length=MAX_INDUSTRIES), AfterValidator(_dedupe)] = []

    def authorized_countries(self) -> frozenset[str]:
        """Countries the member may work in; an empty list means the home country only."""
        return frozenset(self.work_authorization) or frozenset({self.location.country})


class Job(_Strict):
    """A job posting, as the ranking request carries it."""

    job_id: Identifier
    title: RequiredShortText
    company: ShortText = ""
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_CHARS)] = ""
    required_skills: SkillList = []
    preferred_skills: SkillList = []
    seniority: Seniority | None = None
    location: Location
    workplace_type: WorkplaceType = WorkplaceType.onsite
    salary: SalaryRange | None = None
    visa_sponsorship: StrictBool = False
    employment_type: EmploymentType = EmploymentType.full_time
    industry: ShortText = ""
    posted_at: Annotated[dt.date, AfterValidator(_not_before_earliest)] | None = None


def format_validation_error(error: Exception) -> str:
    """One readable line from a pydantic ValidationError: 'field.path: message; …'."""
    errors = getattr(error, "errors", None)
    if errors is None:
        return str(error)
    parts = []
    for item in errors(include_url=False):
        loc = ".".join(str(p) for p in item.get("loc", ())) or "(root)"
        parts.append(f"{loc}: {item.get('msg', 'invalid')}")
    return "; ".join(parts)
