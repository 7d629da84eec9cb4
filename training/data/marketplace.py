"""A seeded generator of a realistic job marketplace: jobs, members and retrieval candidate lists.

Every record is a valid schema object (what a model may see) paired with the latent truth the
generator knows (occupation, family, canonical skills, company popularity) — what the judge reads.
Each member and job draws from its own seeded stream (``f"{seed}:member:{i}"``), so the output
is identical for a given seed and config, on any machine.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import TypeVar

from app.domain.canonical import CanonicalView
from app.domain.occupations import Occupation, Taxonomy
from app.domain.schemas import (
    SENIORITY_ORDER,
    EmploymentType,
    Job,
    Location,
    Member,
    MinSalary,
    PayPeriod,
    SalaryRange,
    Seniority,
    WorkplacePreference,
    WorkplaceType,
)
from app.domain.skills import SkillLexicon
from training.config import DataConfig
from training.data import world
from training.data.text_noise import add_typos, join_list, surface, title_variant

T = TypeVar("T")


@dataclass(frozen=True)
class JobTruth:
    """What the generator knows about a job that its text only partly says."""

    job_id: str
    occupation: str
    family: str
    required: tuple[str, ...]
    preferred: tuple[str, ...]
    popularity: float

    def view(self) -> CanonicalView:
        return CanonicalView(self.occupation, self.family, frozenset(self.required), frozenset(self.preferred))


@dataclass(frozen=True)
class MemberTruth:
    """What the generator knows about a member that their profile only partly says."""

    member_id: str
    occupation: str
    family: str
    skills: tuple[str, ...]

    def view(self) -> CanonicalView:
        return CanonicalView(self.occupation, self.family, frozenset(self.skills))


@dataclass(frozen=True)
class Opening:
    """Where a job is pinned when it is materialised near a member."""

    occupation: Occupation
    country: str
    city: str
    seniority: Seniority


@dataclass(frozen=True)
class Company:
    name: str
    family: str
    popularity: float  # 0..1, Zipf-like: a few famous employers, a long tail


def _weighted(rng: random.Random, weights: dict[T, int]) -> T:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


class MarketplaceGenerator:
    """Builds jobs, members and candidate lists for one config."""

    def __init__(self, config: DataConfig, taxonomy: Taxonomy, lexicon: SkillLexicon):
        self.config = config
        self.taxonomy = taxonomy
        self.lexicon = lexicon
        # The generated world: the taxonomy's ``world`` occupations (the rest only name titles).
        self.occupations = taxonomy.world()
        self.by_family: dict[str, list[Occupation]] = {}
        for occupation in self.occupations:
            self.by_family.setdefault(occupation.family, []).append(occupation)
        self.family_ids = list(self.by_family)
        self.companies = self._make_companies()
        self._generic_skills = [s.id for s in lexicon.in_family("generic")]
        self._related: dict[str, list[str]] = {}

    # ---- companies ---------------------------------------------------------------------------

    def _make_companies(self) -> dict[str, list[Company]]:
        rng = random.Random(f"{self.config.seed}:companies")
        by_family: dict[str, list[Company]] = {f: [] for f in self.family_ids}
        used = set()
        for rank in range(self.config.companies):
            family = self.family_ids[rank % len(self.family_ids)]
            while True:
                name = f"{rng.choice(world.COMPANY_FIRST)}{rng.choice(world.COMPANY_SECOND)} {rng.choice(world.company_suffixes(family))}"
                if name not in used:
                    used.add(name)
                    break
            popularity = 1.0 / (1.0 + rank / len(self.family_ids)) ** 0.8
            by_family[family].append(Company(name, family, popularity))
        return by_family

    # ---- shared pieces -----------------------------------------------------------------------

    def _seniority(self, rng: random.Random, occupation: Occupation) -> Seniority:
        hourly = self.taxonomy.families[occupation.family].hourly
        return _weighted(rng, world.HOURLY_SENIORITY_WEIGHTS if hourly else world.OFFICE_SENIORITY_WEIGHTS)

    def _pay(self, occupation: Occupation, seniority: Seniority, country: world.Country) -> float:
        return occupation.pay_usd * country.pay_scale * world.SENIORITY_PAY[seniority]

    def _period(self, rng: random.Random, occupation: Occupation, country: world.Country) -> PayPeriod:
        if self.taxonomy.families[occupation.family].hourly and rng.random() < 0.6:
            return PayPeriod.hour
        return PayPeriod.month if rng.random() < country.monthly_pay_share else PayPeriod.year

    @staticmethod
    def _in_period(annual: float, period: PayPeriod) -> float:
        if period is PayPeriod.hour:
            return round(annual / 2080, 2)
        if period is PayPeriod.month:
            return float(round(annual / 12 / 50) * 50)
        return float(round(annual / 1000) * 1000)

    def _related_skills(self, occupation: Occupation) -> list[str]:
        """Skills near an occupation beyond its core: its ESCO optional skills, else its family's."""
        if occupation.id not in self._related:
            if occupation.optional_skills:
                related = [s for s in occupation.optional_skills if s in self.lexicon.skills]
            else:
                family = {s for o in self.by_family[occupation.family] for s in o.core_skills}
                related = sorted(family - set(occupation.core_skills))
            self._related[occupation.id] = related
        return self._related[occupation.id]

    def _skills_of(self, rng: random.Random, occupation: Occupation, core_share: float, extra: int) -> list[str]:
        core = [s for s in occupation.core_skills if rng.random() < core_share] or list(occupation.core_skills[:2])
        pool = [s for s in self._related_skills(occupation) if s not in core]
        core += rng.sample(pool, min(extra, len(pool)))
        return core

    # ---- jobs --------------------------------------------------------------------------------

    def make_job(self, index: int, near: Opening | None = None) -> tuple[Job, JobTruth]:
        """Job number ``index`` of the catalogue and its latent truth (pinned to ``near`` if given)."""
        cfg = self.config
        rng = random.Random(f"{cfg.seed}:job:{index}")
        occupation = rng.choice(self.occupations)
        country = rng.choices(world.COUNTRIES, weights=[c.weight for c in world.COUNTRIES])[0]
        city = country.pick_city(rng)
        if near is not None:
            occupation, country, city = near.occupation, world.COUNTRY_BY_CODE[near.country], near.city
        family = self.taxonomy.families[occupation.family]
        seniority = self._seniority(rng, occupation) if near is None else near.seniority
        company = rng.choices(
            self.companies[occupation.family], weights=[c.popularity for c in self.companies[occupation.family]]
        )[0]
        if not family.remote_friendly:
            workplace = _weighted(rng, {WorkplaceType.onsite: 92, WorkplaceType.hybrid: 5, WorkplaceType.remote: 3})
        else:
            workplace = _weighted(rng, {WorkplaceType.onsite: 40, WorkplaceType.hybrid: 35, WorkplaceType.remote: 25})

        # Required: mostly the occupation's core skills, weighted to the first (most defining) ones.
        n_required = rng.randint(3, min(6, len(occupation.core_skills) + 1))
        core = list(occupation.core_skills)
        required = [s for s in core[:n_required] if rng.random() < 0.85] or core[:2]
        related = self._related_skills(occupation)
        if rng.random() < 0.3 and [s for s in related if s not in required]:
            required.append(rng.choice([s for s in related if s not in required]))
        preferred_pool = [s for s in related + self._generic_skills if s not in required]
        preferred = rng.sample(preferred_pool, rng.randint(0, 3))

        # Some requirements appear only in the description, never in the list.
        listed = [s for s in required if rng.random() > 0.2] or required[:1]
        only_in_text = [s for s in required if s not in listed]
        required_list = [surface(rng, self.lexicon, s) for s in listed]
        rng.shuffle(required_list)
        preferred_list = [surface(rng, self.lexicon, s) for s in preferred if rng.random() < 0.7]

        title = title_variant(rng, occupation, seniority)
        if country.code == "DE" and rng.random() < 0.4:
            title += " (m/w/d)"
        posted_at = cfg.as_of - dt.timedelta(days=min(90, int(rng.expovariate(1 / 12))))
        description = self._job_description(rng, occupation, title, company, city, required, only_in_text, preferred)

        salary = None
        if rng.random() < (0.55 if country.code in ("DE", "FR", "NL") else 0.75):
            period = self._period(rng, occupation, country)
            base = self._pay(occupation, seniority, country) * math.exp(rng.gauss(0, 0.15))
            salary = SalaryRange(
                min=self._in_period(base * 0.88, period),
                max=self._in_period(base * 1.15, period),
                currency=country.currency,
                period=period,
            )
        if seniority is Seniority.intern:
            employment = EmploymentType.internship
        elif family.hourly:
            employment = _weighted(
                rng,
                {
                    EmploymentType.full_time: 55,
                    EmploymentType.part_time: 30,
                    EmploymentType.temporary: 10,
                    EmploymentType.contract: 5,
                },
            )
        else:
            employment = _weighted(
                rng, {EmploymentType.full_time: 82, EmploymentType.contract: 13, EmploymentType.part_time: 5}
            )

        job = Job(
            job_id=f"j{index:07d}",
            title=title,
            company=company.name,
            description=description,
            required_skills=required_list,
            preferred_skills=preferred_list,
            seniority=seniority if rng.random() > 0.05 else None,
            location=Location(country=country.code, city=city),
            workplace_type=workplace,
            salary=salary,
            visa_sponsorship=rng.random() < (0.05 if family.hourly else 0.2),
            employment_type=employment,
            industry=rng.choice(family.industries),
            posted_at=posted_at,
        )
        return job, JobTruth(
            job.job_id, occupation.id, occupation.family, tuple(required), tuple(preferred), company.popularity
        )

    def _job_description(self, rng, occupation, title, company, city, required, only_in_text, preferred) -> str:
        family = self.taxonomy.families[occupation.family]
        about = rng.choice(world.COMPANY_BLURBS).format(
            company=company.name,
            industry=rng.choice(family.industries).lower(),
            year=rng.randint(1950, 2020),
            n=rng.randint(2, 90),
        )
        role = rng.choice(world.ROLE_INTROS).format(title=title, team=rng.choice(world.TEAMS), city=city)
        mentioned = list(dict.fromkeys(only_in_text + rng.sample(required, k=min(len(required), rng.randint(1, 3)))))
        rng.shuffle(mentioned)
        years = rng.randint(1, 8)
        requirements = (
            f"{rng.choice(world.REQUIREMENT_INTROS)} {years}+ years of experience with "
            + join_list(rng, [surface(rng, self.lexicon, s) for s in mentioned])
            + "."
        )
        sections = [about, role, occupation.description, requirements]
        if preferred and rng.random() < 0.6:
            sections.append(
                f"{rng.choice(world.NICE_INTROS)} {join_list(rng, [surface(rng, self.lexicon, s) for s in preferred])}."
            )
        tail = [
            rng.choice(world.BENEFITS),
            rng.choice(world.EEO_STATEMENTS).format(company=company.name),
            rng.choice(world.APPLY_LINES),
        ]
        rng.shuffle(tail)
        # Boilerplate sometimes sits in the middle, as in real postings.
        cut = rng.randint(2, len(sections))
        text = " ".join(sections[:cut] + tail[:1] + sections[cut:] + tail[1:])
        return add_typos(rng, text, self.config.typo_rate)

    def local_openings(self, rng: random.Random, member: Member, truth: MemberTruth) -> list[Opening]:
        """Where the catalogue has openings near a member: their occupation or a related one, in their city.

        A real catalogue is large enough that retrieval finds many relevant local jobs; a
        simulated one of tractable size would not, so that slice is materialised per member.
        """
        same = self.taxonomy.occupations[truth.occupation]
        related = self.by_family[truth.family]
        count = rng.randint(self.config.min_local_openings, self.config.max_local_openings)
        level = (member.seniority or Seniority.mid_senior).level
        openings = []
        for _ in range(count):
            shift = rng.choice((-1, 0, 0, 1)) if rng.random() < 0.85 else rng.choice((-3, -2, 2, 3))
            seniority = SENIORITY_ORDER[max(0, min(len(SENIORITY_ORDER) - 1, level + shift))]
            occupation = same if rng.random() < 0.5 else rng.choice(related)
            openings.append(Opening(occupation, member.location.country, member.location.city, seniority))
        return openings

    # ---- members -----------------------------------------------------------------------------

    def make_member(self, index: int) -> tuple[Member, MemberTruth]:
        """Member number ``index`` and their latent truth."""
        cfg = self.config
        rng = random.Random(f"{cfg.seed}:member:{index}")
        occupation = rng.choice(self.occupations)
        family = self.taxonomy.families[occupation.family]
        seniority = self._seniority(rng, occupation)
        low, high = world.SENIORITY_YEARS[seniority]
        years = round(rng.uniform(low, high) * 2) / 2
        country = rng.choices(world.COUNTRIES, weights=[c.weight for c in world.COUNTRIES])[0]
        city = country.pick_city(rng)

        authorization = list(world.EU_COUNTRIES) if country.code in world.EU_COUNTRIES else [country.code]
        if rng.random() < 0.12:
            authorization.append(
                rng.choice([c.code for c in world.COUNTRIES if c.code not in authorization] or [country.code])
            )
        if not family.remote_friendly:
            preference = _weighted(
                rng, {WorkplacePreference.any: 60, WorkplacePreference.onsite: 33, WorkplacePreference.remote: 7}
            )
        else:
            preference = _weighted(
                rng,
                {
                    WorkplacePreference.any: 35,
                    WorkplacePreference.hybrid: 25,
                    WorkplacePreference.remote: 27,
                    WorkplacePreference.onsite: 13,
                },
            )
        relocation = rng.random() < 0.3

        min_salary = None
        if rng.random() < 0.7:
            period = self._period(rng, occupation, country)
            expected = self._pay(occupation, seniority, country) * 0.9 * math.exp(rng.gauss(0, 0.2))
            min_salary = MinSalary(amount=self._in_period(expected, period), currency=country.currency, period=period)

        skills = self._skills_of(rng, occupation, core_share=0.75, extra=rng.randint(0, 3))
        skills += rng.sample(self._generic_skills, rng.randint(0, 2))
        skills = list(dict.fromkeys(skills))
        in_list = [s for s in skills if rng.random() < 0.78]
        only_in_summary = [s for s in skills if s not in in_list]
        skill_list = [surface(rng, self.lexicon, s) for s in in_list]
        skill_list = [add_typos(rng, s, 0.03) for s in skill_list]
        if rng.random() < 0.3:
            skill_list.append(rng.choice(world.NOISE_SKILLS))
        rng.shuffle(skill_list)

        title = title_variant(rng, occupation, seniority, preferred_share=0.5)
        if rng.random() < 0.05:
            headline = rng.choice(world.VAGUE_HEADLINES)
        else:
            extras = rng.randrange(4)
            company = rng.choice(self.companies[occupation.family]).name
            headline = {
                0: title,
                1: f"{title} at {company}",
                2: f"{title} | {join_list(rng, skill_list[:2])}",
                3: f"{title} - {years:g} years",
            }[extras]

        industry = rng.choice(family.industries)
        summary_parts = [
            rng.choice(world.SUMMARY_OPENERS).format(title=title.lower(), years=f"{years:g}", industry=industry)
        ]
        mentioned = only_in_summary + rng.sample(in_list, k=min(len(in_list), rng.randint(0, 2)))
        if mentioned:
            summary_parts.append(
                rng.choice(world.SUMMARY_SKILL_LINES).format(
                    skills=join_list(rng, [surface(rng, self.lexicon, s) for s in mentioned])
                )
            )
        summary_parts.append(rng.choice(world.SUMMARY_CLOSERS))
        summary = add_typos(rng, " ".join(p for p in summary_parts if p), cfg.typo_rate)

        member = Member(
            member_id=f"m{index:07d}",
            headline=headline[:300],
            summary=summary,
            skills=skill_list,
            years_experience=years,
            seniority=seniority if rng.random() > 0.03 else None,
            location=Location(country=country.code, city=city),
            workplace_preference=preference,
            open_to_relocation=relocation,
            min_salary=min_salary,
            work_authorization=authorization,
            industries=list(dict.fromkeys([industry] + rng.sample(family.industries, rng.randint(0, 1)))),
        )
        return member, MemberTruth(member.member_id, occupation.id, occupation.family, tuple(skills))
