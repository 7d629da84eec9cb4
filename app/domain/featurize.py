"""The one featurisation: how a (member, job) becomes model input, used unchanged by training and serving.

Two kinds of input come out of here:

* **Text** — compact, because the CPU is slow: a member as headline, level, skills and the start
  of the summary; a job as title, level, workplace, skills and its description with boilerplate
  (benefits, EEO, "how to apply") stripped. Cross-encoders read ``pair_text``; two-tower models
  read ``member_text`` and ``job_text`` separately (job text depends only on the job, so it can be
  encoded once and cached).
* **Exact match features** — what a small transformer reads poorly (numbers, codes): location,
  authorisation, seniority gap, salary ratio, skill coverage, workplace fit; then the **rule
  features** (app/domain/rule_features.py): the policy's rules applied to what the canonicaliser
  reads from the request fields (occupation, family, skills from lists and free text), rule by
  rule, and the grade they give. ``FEATURE_NAMES`` fixes their order; bump ``FEATURES_VERSION``
  whenever it changes and record the old order in ``FEATURE_SETS`` (a model trained on an older
  set keeps being served: it reads the first columns, see app/ranking/student.py).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np

from app.domain.policy import default_policy
from app.domain.rule_features import RULE_FEATURE_NAMES, rule_features
from app.domain.schemas import (
    Job,
    Member,
    PayPeriod,
    Seniority,
    WorkplacePreference,
    WorkplaceType,
)
from app.domain.skills import SkillLexicon, default_lexicon

if TYPE_CHECKING:
    from app.domain.canonical import CanonicalView, FieldCanonicalizer

FEATURES_VERSION = 2
MEMBER_TEXT_CHARS = 320
JOB_TEXT_CHARS = 480
HOURS_PER_YEAR = 2080
_ANNUAL = {PayPeriod.year: 1.0, PayPeriod.month: 12.0, PayPeriod.hour: float(HOURS_PER_YEAR)}

# Sentences about the employer's perks, legal notices and application logistics carry no signal
# about fit; production systems strip them before the text reaches the model.
_BOILERPLATE = re.compile(
    r"equal opportunit|\beeo\b|regardless of|without regard to|protected veteran|disabilit|"
    r"reasonable accommodation|divers(e|ity) (and|&) inclusi|inclusive (employer|workplace)|"
    r"\bbenefits?\b|we offer|what we offer|perks|pension|401\s*\(?k\)?|health (insurance|care plan)|"
    r"dental|paid time off|\bpto\b|holiday|vacation days|gym|free (lunch|snacks|coffee)|"
    r"employee discount|cycle to work|wellbeing allowance|\bapply\b|application|send (us )?your cv|"
    r"click|recruitment agenc|background check|right to work check|privacy notice",
    re.IGNORECASE,
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+|\s+[•·]\s+")
_SENIORITY_WORDS = {
    Seniority.intern: "intern",
    Seniority.entry: "entry level",
    Seniority.associate: "associate",
    Seniority.mid_senior: "mid-senior",
    Seniority.director: "director",
    Seniority.executive: "executive",
}


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(" ")] if " " in cut[limit // 2 :] else cut


def strip_boilerplate(description: str) -> str:
    """The description without sentences about benefits, legal notices or how to apply."""
    sentences = (s.strip() for s in _SENTENCE_SPLIT.split(description or ""))
    return " ".join(s for s in sentences if s and not _BOILERPLATE.search(s))


def member_text(member: Member, max_chars: int = MEMBER_TEXT_CHARS) -> str:
    """Compact text of a member for a model (member tower, or the first half of a pair)."""
    level = _SENIORITY_WORDS.get(member.seniority, "") if member.seniority else ""
    head = " | ".join(p for p in (member.headline, level, f"{member.years_experience:g} yrs") if p)
    skills = ", ".join(member.skills)
    return _clip(f"{head}. skills: {skills}. {member.summary}", max_chars)


def job_text(job: Job, max_chars: int = JOB_TEXT_CHARS) -> str:
    """Compact text of a job for a model (job tower, or the second half of a pair): title, employer,
    level, workplace, skills, then the description without boilerplate."""
    level = _SENIORITY_WORDS.get(job.seniority, "") if job.seniority else ""
    # The employer's name stays: members engage with well-known employers more (the policy does not).
    head = " | ".join(p for p in (job.title, job.company, level, job.workplace_type.value) if p)
    required = ", ".join(job.required_skills)
    preferred = ", ".join(job.preferred_skills)
    skills = f"requires: {required}." + (f" nice to have: {preferred}." if preferred else "")
    return _clip(f"{head}. {skills} {strip_boilerplate(job.description)}", max_chars)


TITLE_WORDS = 16  # a member without a headline: the first words of the summary stand in for it


def member_title_text(member: Member) -> str:
    """What a member calls themselves: the headline, else the first words of the summary (title towers)."""
    return member.headline.strip() or " ".join(member.summary.split()[:TITLE_WORDS])


def job_title_text(job: Job) -> str:
    """What a job is called: its title (title towers)."""
    return job.title.strip()


# A text made of two parts (the "compact+title" towers): the compact text and the title, joined by
# the ASCII unit separator, which the parts themselves never keep (it is a control character no
# profile or posting means). One string per member or job keeps every cache keyed by text as it is.
TEXT_PARTS_SEPARATOR = "\x1f"


def joined_parts(*parts: str) -> str:
    """``parts`` as one text (each part's own separators turned into spaces); see :func:`text_parts`."""
    return TEXT_PARTS_SEPARATOR.join(part.replace(TEXT_PARTS_SEPARATOR, " ") for part in parts)


def text_parts(text: str, count: int) -> list[str]:
    """The ``count`` parts of a text made by :func:`joined_parts` (missing parts are empty)."""
    parts = text.split(TEXT_PARTS_SEPARATOR, count - 1)
    return parts + [""] * (count - len(parts))


def member_compact_and_title_text(member: Member) -> str:
    """The member's compact text and headline, for towers that read both (see ``TOWER_TEXTS``)."""
    return joined_parts(member_text(member), member_title_text(member))


def job_compact_and_title_text(job: Job) -> str:
    """The job's compact text and title, for towers that read both (see ``TOWER_TEXTS``)."""
    return joined_parts(job_text(job), job_title_text(job))


# What a student's towers read, by the name its manifest records (`inputs.tower_text`): "compact" is
# the texts above (models exported before the field existed), "title" the short phrasings real
# postings and profiles share, where a pretrained or title-tuned encoder's similarity means something;
# "compact+title" both: the compact text through the encoder's lower layers (what the text path's
# projections read) and the title through all of them (the similarity the heads read).
TowerText = Literal["compact", "title", "compact+title"]
TOWER_TEXTS: dict[TowerText, tuple[Callable[[Member], str], Callable[[Job], str]]] = {
    "compact": (member_text, job_text),
    "title": (member_title_text, job_title_text),
    "compact+title": (member_compact_and_title_text, job_compact_and_title_text),
}


def pair_text(member: Member, job: Job) -> tuple[str, str]:
    """(member text, job text): the text pair a cross-encoder reads."""
    return member_text(member), job_text(job)


# ---- exact structured match features ----------------------------------------------------------

FEATURE_NAMES: tuple[str, ...] = (
    "same_country",
    "same_city",
    "authorized",
    "visa_sponsorship",
    "work_eligible",
    "presence_possible",
    "open_to_relocation",
    "job_remote",
    "job_hybrid",
    "workplace_conflict",
    "seniority_known",
    "seniority_gap",
    "seniority_abs_gap",
    "salary_comparable",
    "salary_log_ratio",
    "salary_below_min",
    "required_coverage",
    "preferred_coverage",
    "required_count",
    "years_experience",
    *RULE_FEATURE_NAMES,
)
# Every version's feature order; each is a prefix of the next, so older models read the first columns.
FEATURE_SETS: dict[int, tuple[str, ...]] = {1: FEATURE_NAMES[:20], 2: FEATURE_NAMES}


def normalize_city(city: str) -> str:
    """City key for comparison: accents, case and punctuation removed."""
    folded = unicodedata.normalize("NFKD", city).encode("ascii", "ignore").decode().casefold()
    return re.sub(r"[^a-z0-9]+", " ", folded).strip()


def annual_amount(amount: float, period: PayPeriod) -> float:
    """An amount paid per period, expressed per year (hourly × 2080, monthly × 12)."""
    return amount * _ANNUAL[period]


def member_skill_ids(member: Member, lexicon: SkillLexicon | None = None) -> frozenset[str]:
    """Canonical skills a member shows: the skills list plus skills named in headline or summary."""
    lexicon = lexicon or default_lexicon()
    return frozenset(lexicon.resolve_all(member.skills) | lexicon.extract(f"{member.headline}. {member.summary}"))


@dataclass(frozen=True, slots=True)
class JobFacts:
    """What the match features need from a job, resolved once (the service caches it with the job's embedding)."""

    country: str
    city: str  # normalize_city
    remote: bool
    hybrid: bool
    onsite: bool
    visa_sponsorship: bool
    seniority: int | None
    salary_currency: str | None
    salary_max_annual: float
    required: frozenset[str]  # the required-skills list, resolved
    preferred: frozenset[str]
    # The canonicaliser's reading (rule features): where, what occupation, which skills it requires
    # (from the list and the description).
    places: frozenset[str]
    occupation: str | None
    family: str | None
    skills: frozenset[str]


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What the match features need from a member, resolved once per request."""

    country: str
    city: str
    authorized: frozenset[str]
    open_to_relocation: bool
    prefers_remote: bool
    seniority: int | None
    min_salary_currency: str | None
    min_salary_annual: float
    skills: frozenset[str]  # from the skills list, the headline and the summary
    years: float
    places: frozenset[str]
    occupation: str | None
    family: str | None


@lru_cache(maxsize=1)
def default_canonicalizer() -> FieldCanonicalizer:
    """The judge's field path over the bundled occupations and skills (built once per process: it
    indexes ~53,000 title variants and ~52,000 skill spellings)."""
    # Imported here: the canonicaliser builds on this module's skill and place helpers.
    from app.domain.canonical import FieldCanonicalizer
    from app.domain.occupations import default_taxonomy

    return FieldCanonicalizer(default_taxonomy(), default_lexicon())


def _place_keys(place: str) -> frozenset[str]:
    from app.domain.places import place_keys  # it builds on normalize_city

    return place_keys(place)


def job_facts(job: Job, lexicon: SkillLexicon | None = None, view: CanonicalView | None = None) -> JobFacts:
    """The job side of the match features. ``view`` (occupation, family, required skills) defaults to the
    canonicaliser's reading of the fields; the judge passes its own (latent truth on generated data)."""
    lexicon = lexicon or default_lexicon()
    salary = job.salary
    view = view if view is not None else default_canonicalizer().job_view(job)
    return JobFacts(
        country=job.location.country,
        city=normalize_city(job.location.city),
        remote=job.workplace_type is WorkplaceType.remote,
        hybrid=job.workplace_type is WorkplaceType.hybrid,
        onsite=job.workplace_type is WorkplaceType.onsite,
        visa_sponsorship=job.visa_sponsorship,
        seniority=job.seniority.level if job.seniority is not None else None,
        salary_currency=salary.currency if salary is not None else None,
        salary_max_annual=annual_amount(salary.max, salary.period) if salary is not None else 0.0,
        required=frozenset(lexicon.resolve_all(job.required_skills)),
        preferred=frozenset(lexicon.resolve_all(job.preferred_skills)),
        places=_place_keys(job.location.city),
        occupation=view.occupation,
        family=view.family,
        skills=view.skills,
    )


def member_facts(member: Member, lexicon: SkillLexicon | None = None, view: CanonicalView | None = None) -> MemberFacts:
    """The member side of the match features. ``view`` (occupation, family, skills) defaults to the
    canonicaliser's reading of the fields (skills through ``lexicon``); the judge passes its own
    (latent truth on generated data)."""
    minimum = member.min_salary
    if view is None:
        lexicon = lexicon or default_lexicon()
        canonicalizer = default_canonicalizer()
        view = canonicalizer.member_view(member)
        if lexicon is not canonicalizer.lexicon:
            view = replace(view, skills=member_skill_ids(member, lexicon))
    return MemberFacts(
        country=member.location.country,
        city=normalize_city(member.location.city),
        authorized=member.authorized_countries(),
        open_to_relocation=member.open_to_relocation,
        prefers_remote=member.workplace_preference is WorkplacePreference.remote,
        seniority=member.seniority.level if member.seniority is not None else None,
        min_salary_currency=minimum.currency if minimum is not None else None,
        min_salary_annual=annual_amount(minimum.amount, minimum.period) if minimum is not None else 0.0,
        skills=view.skills,
        years=member.years_experience,
        places=_place_keys(member.location.city),
        occupation=view.occupation,
        family=view.family,
    )


_REQUIRED_SCALE = math.log1p(20)


def features_from_facts(member: MemberFacts, job: JobFacts) -> list[float]:
    """The exact match features of one pair, in ``FEATURE_NAMES`` order."""
    same_country = member.country == job.country
    same_city = same_country and member.city == job.city != ""
    authorized = job.country in member.authorized
    presence_possible = (same_country if job.remote else same_city) or member.open_to_relocation
    seniority_known = member.seniority is not None and job.seniority is not None
    gap = (job.seniority - member.seniority) if job.seniority is not None and member.seniority is not None else 0
    comparable = job.salary_currency is not None and job.salary_currency == member.min_salary_currency
    log_ratio, below = 0.0, False
    if comparable and member.min_salary_annual > 0:
        below = job.salary_max_annual < member.min_salary_annual
        log_ratio = max(-2.0, min(2.0, math.log(max(job.salary_max_annual, 1.0) / member.min_salary_annual)))
    required, preferred = job.required, job.preferred
    return [
        float(same_country),
        float(same_city),
        float(authorized),
        float(job.visa_sponsorship),
        float(authorized or job.visa_sponsorship),
        float(presence_possible),
        float(member.open_to_relocation),
        float(job.remote),
        float(job.hybrid),
        float(member.prefers_remote and job.onsite),
        float(seniority_known),
        gap / 5.0,
        abs(gap) / 5.0,
        float(comparable),
        log_ratio,
        float(below),
        len(required & member.skills) / len(required) if required else 0.0,
        len(preferred & member.skills) / len(preferred) if preferred else 0.0,
        math.log1p(len(required)) / _REQUIRED_SCALE,
        min(member.years, 40.0) / 40.0,
        *rule_features(member, job, default_policy()),
    ]


def facts_feature_matrix(member: MemberFacts, jobs: Sequence[JobFacts]) -> np.ndarray:
    """Match features of one member's facts against many jobs' facts: float32 [len(jobs), len(FEATURE_NAMES)]."""
    rows = [features_from_facts(member, job) for job in jobs]
    return np.asarray(rows, dtype=np.float32).reshape(len(jobs), len(FEATURE_NAMES))


def match_features(member: Member, job: Job, lexicon: SkillLexicon | None = None) -> list[float]:
    """The exact match features of one pair, in ``FEATURE_NAMES`` order."""
    lexicon = lexicon or default_lexicon()
    return features_from_facts(member_facts(member, lexicon), job_facts(job, lexicon))


def match_feature_matrix(member: Member, jobs: Sequence[Job], lexicon: SkillLexicon | None = None) -> np.ndarray:
    """Match features of one member against many jobs: float32 array [len(jobs), len(FEATURE_NAMES)]."""
    lexicon = lexicon or default_lexicon()
    return facts_feature_matrix(member_facts(member, lexicon), [job_facts(job, lexicon) for job in jobs])
