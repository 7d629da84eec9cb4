"""The one featurisation: how a (member, job) becomes model input, used unchanged by training and serving.

Two kinds of input come out of here:

* **Text** — compact, because the CPU is slow: a member as headline, level, skills and the start
  of the summary; a job as title, level, workplace, skills and its description with boilerplate
  (benefits, EEO, "how to apply") stripped. Cross-encoders read ``pair_text``; two-tower models
  read ``member_text`` and ``job_text`` separately (job text depends only on the job, so it can be
  encoded once and cached).
* **Exact match features** — what a small transformer reads poorly (numbers, codes): location,
  authorisation, seniority gap, salary ratio, skill coverage, workplace fit. ``FEATURE_NAMES``
  fixes their order; bump ``FEATURES_VERSION`` whenever it changes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Sequence

import numpy as np

from app.domain.schemas import (
    Job,
    Member,
    PayPeriod,
    Seniority,
    WorkplacePreference,
    WorkplaceType,
)
from app.domain.skills import SkillLexicon, default_lexicon

FEATURES_VERSION = 1
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
)


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


def match_features(
    member: Member,
    job: Job,
    lexicon: SkillLexicon | None = None,
    member_skills: frozenset[str] | None = None,
) -> list[float]:
    """The exact match features of one pair, in ``FEATURE_NAMES`` order.

    Pass ``member_skills`` (from :func:`member_skill_ids`) when scoring many jobs for one member.
    """
    lexicon = lexicon or default_lexicon()
    if member_skills is None:
        member_skills = member_skill_ids(member, lexicon)
    same_country = member.location.country == job.location.country
    same_city = same_country and normalize_city(member.location.city) == normalize_city(job.location.city) != ""
    authorized = job.location.country in member.authorized_countries()
    remote = job.workplace_type is WorkplaceType.remote
    presence_possible = (same_country if remote else same_city) or member.open_to_relocation

    seniority_known = member.seniority is not None and job.seniority is not None
    gap = (job.seniority.level - member.seniority.level) if seniority_known else 0

    comparable = (
        job.salary is not None and member.min_salary is not None and job.salary.currency == member.min_salary.currency
    )
    log_ratio, below = 0.0, False
    if comparable and member.min_salary.amount > 0:
        job_max = annual_amount(job.salary.max, job.salary.period)
        member_min = annual_amount(member.min_salary.amount, member.min_salary.period)
        below = job_max < member_min
        log_ratio = max(-2.0, min(2.0, math.log(max(job_max, 1.0) / member_min)))

    required = lexicon.resolve_all(job.required_skills)
    preferred = lexicon.resolve_all(job.preferred_skills)
    return [
        float(same_country),
        float(same_city),
        float(authorized),
        float(job.visa_sponsorship),
        float(authorized or job.visa_sponsorship),
        float(presence_possible),
        float(member.open_to_relocation),
        float(remote),
        float(job.workplace_type is WorkplaceType.hybrid),
        float(member.workplace_preference is WorkplacePreference.remote and job.workplace_type is WorkplaceType.onsite),
        float(seniority_known),
        gap / 5.0,
        abs(gap) / 5.0,
        float(comparable),
        log_ratio,
        float(below),
        len(required & member_skills) / len(required) if required else 0.0,
        len(preferred & member_skills) / len(preferred) if preferred else 0.0,
        math.log1p(len(required)) / math.log1p(20),
        min(member.years_experience, 40.0) / 40.0,
    ]


def match_feature_matrix(member: Member, jobs: Sequence[Job], lexicon: SkillLexicon | None = None) -> np.ndarray:
    """Match features of one member against many jobs: float32 array [len(jobs), len(FEATURE_NAMES)]."""
    lexicon = lexicon or default_lexicon()
    skills = member_skill_ids(member, lexicon)
    rows = [match_features(member, job, lexicon, skills) for job in jobs]
    return np.asarray(rows, dtype=np.float32).reshape(len(jobs), len(FEATURE_NAMES))
