"""The generalisation splits: candidate lists that test what the in-distribution lists cannot.

* ``unstructured``: the held-out lists with every structured skill list moved into free text
  (the member's summary, the job's description) and seniority / salary missing at realistic rates;
  the grades are the judge's, unchanged (the facts did not change, only how they are written);
* ``held-out phrasings``: the held-out lists with every title, headline and listed skill rewritten
  in phrasings neither the generated world nor the canonicaliser's dictionaries contain: ESCO's
  real alternative labels held out of the world (benchmark_sets.json), abbreviations, word-order
  changes and typos; grades unchanged;
* ``held-out occupations``: members and jobs of ESCO occupations outside the generated world,
  with their real titles and skills, graded by the judge on their latent views;
* ``real titles``: O*NET; member headline = a title job holders reported for their own job,
  candidates titled with O*NET alternate titles, graded by O*NET's expert links (same occupation 3
  > Primary-Short related 2 > Primary-Long 1 > unrelated 0).

In the last two, every member and job is in the same city with no level, pay or preference, so
location and the other policy rules are out of the decision: only function and skills count.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from app.domain.canonical import CanonicalView
from app.domain.schemas import Job, Location, Member
from app.domain.skills import SkillLexicon, normalize
from training.data.benchmark_sets import OUTPUT_PATH, norm_title, without_level
from training.data.lists import CandidateList
from training.data.text_noise import typo

Grader = Callable[[Member, Job, CanonicalView, CanonicalView], int]

# Realistic shares of missing facts (unstructured split): most profiles state no level and no
# expected pay; a good share of postings state no level, most outside the US no salary.
MEMBER_NO_SENIORITY = 0.6
JOB_NO_SENIORITY = 0.4
MEMBER_NO_SALARY = 0.8
JOB_NO_SALARY = 0.6

# Abbreviations job boards and CVs use (held-out phrasings).
_ABBREVIATIONS = {
    "manager": "Mgr",
    "management": "Mgmt",
    "assistant": "Asst",
    "engineer": "Eng",
    "engineering": "Eng",
    "developer": "Dev",
    "technician": "Tech",
    "technical": "Tech",
    "administrator": "Admin",
    "administrative": "Admin",
    "representative": "Rep",
    "coordinator": "Coord",
    "specialist": "Spec",
    "supervisor": "Supv",
    "operations": "Ops",
    "operator": "Op",
    "accountant": "Acct",
    "department": "Dept",
    "international": "Intl",
    "senior": "Sr",
    "junior": "Jr",
    "maintenance": "Maint",
    "mechanic": "Mech",
    "professional": "Prof",
    "customer": "Cust",
    "executive": "Exec",
    "analyst": "Anlst",
    "software": "SW",
    "nurse": "RN",
}
_CITY = Location(country="US", city="Chicago")


@lru_cache(maxsize=1)
def load_benchmark_sets(path: Path = OUTPUT_PATH) -> dict:
    """benchmark_sets.json (built by `python -m training.data.benchmark_sets`)."""
    return json.loads(path.read_text(encoding="utf-8"))


def _rebuild(lists: Sequence[CandidateList], member_fn, job_fn) -> list[CandidateList]:
    """The same lists with each member and job rewritten (each job once, shared across lists)."""
    jobs: dict[str, Job] = {}
    out = []
    for lst in lists:
        for job in lst.jobs:
            if job.job_id not in jobs:
                jobs[job.job_id] = job_fn(job)
        out.append(dataclasses.replace(lst, member=member_fn(lst.member), jobs=tuple(jobs[j.job_id] for j in lst.jobs)))
    return out


def _rng(seed: int, name: str, record_id: str) -> random.Random:
    return random.Random(f"{seed}:{name}:{record_id}")


# ---- unstructured ----------------------------------------------------------------------------


def unstructured(lists: Sequence[CandidateList], seed: int = 0) -> list[CandidateList]:
    """Skill lists moved into the free text; seniority and salary dropped at realistic rates."""

    def member(m: Member) -> Member:
        rng = _rng(seed, "unstructured", m.member_id)
        skills = f" Skills: {', '.join(m.skills)}." if m.skills else ""
        return m.model_copy(
            update={
                "summary": (m.summary + skills).strip(),
                "skills": [],
                "seniority": None if rng.random() < MEMBER_NO_SENIORITY else m.seniority,
                "min_salary": None if rng.random() < MEMBER_NO_SALARY else m.min_salary,
            }
        )

    def job(j: Job) -> Job:
        rng = _rng(seed, "unstructured", j.job_id)
        text = j.description
        if j.required_skills:
            text += f" Requirements: {', '.join(j.required_skills)}."
        if j.preferred_skills:
            text += f" Nice to have: {', '.join(j.preferred_skills)}."
        return j.model_copy(
            update={
                "description": text.strip(),
                "required_skills": [],
                "preferred_skills": [],
                "seniority": None if rng.random() < JOB_NO_SENIORITY else j.seniority,
                "salary": None if rng.random() < JOB_NO_SALARY else j.salary,
            }
        )

    return _rebuild(lists, member, job)


# ---- held-out phrasings ----------------------------------------------------------------------


def abbreviate(text: str) -> str:
    """Every word with a common abbreviation abbreviated ('Software Engineer' -> 'SW Eng')."""
    return " ".join(_ABBREVIATIONS.get(w.casefold(), w) for w in text.split())


def reorder(text: str) -> str:
    """The head noun first, as job boards list titles ('software developer' -> 'Developer, Software')."""
    words = text.split()
    return f"{words[-1]}, {' '.join(words[:-1])}" if len(words) >= 2 else text


def misspell(rng: random.Random, text: str) -> str:
    """One typing slip in the longest word."""
    words = text.split()
    if not words:
        return text
    i = max(range(len(words)), key=lambda k: len(words[k]))
    words[i] = typo(rng, words[i])
    return " ".join(words)


def unseen_variant(rng: random.Random, text: str, known: Callable[[str], bool]) -> str:
    """A phrasing of ``text`` that ``known`` rejects: abbreviated, reordered or misspelt (in a
    random order of trial); the text itself if every attempt is known."""
    attempts = [abbreviate, reorder, lambda t: misspell(rng, t), lambda t: misspell(rng, reorder(t))]
    rng.shuffle(attempts)
    for attempt in attempts:
        candidate = attempt(text)
        if candidate != text and not known(candidate):
            return candidate
    return text


_SPLIT_HEADLINE = re.compile(r"\s+(?:at|@)\s+|\s*[|·,]\s*|\s+-\s+", re.IGNORECASE)


def heldout_phrasings(
    lists: Sequence[CandidateList],
    occupation_of: dict[str, str],
    known_titles: set[str],
    lexicon: SkillLexicon,
    seed: int = 0,
    heldout_titles: dict[str, list[str]] | None = None,
) -> list[CandidateList]:
    """Titles, headlines and listed skills rewritten in phrasings outside ``known_titles`` and the
    lexicon's spellings. ``occupation_of`` maps member and job ids to their occupation (latent truth),
    which picks ESCO's held-out labels of that occupation when there are any (half of the titles)."""
    heldout = load_benchmark_sets()["heldout_titles"] if heldout_titles is None else heldout_titles
    surfaces = {normalize(s) for skill in lexicon.skills.values() for s in skill.surfaces}
    title_known = lambda t: norm_title(t) in known_titles or without_level(norm_title(t)) in known_titles  # noqa: E731
    skill_known = lambda s: normalize(s) in surfaces  # noqa: E731

    def title(rng: random.Random, record_id: str, old: str) -> str:
        labels = heldout.get(occupation_of.get(record_id, ""), [])
        if labels and rng.random() < 0.5:
            return rng.choice(labels).title()
        return unseen_variant(rng, old, title_known)

    def skills(rng: random.Random, names: list[str]) -> dict[str, str]:
        return {name: unseen_variant(rng, name, skill_known) for name in names}

    def rewrite(text: str, changes: dict[str, str]) -> str:
        for old, new in sorted(changes.items(), key=lambda kv: -len(kv[0])):
            if old:
                # Whole words only: a skill named "R" must not rewrite every r.
                pattern = re.compile(rf"(?<!\w){re.escape(old)}(?!\w)", re.IGNORECASE)
                text = pattern.sub(new.replace("\\", "\\\\"), text)
        return text

    def member(m: Member) -> Member:
        rng = _rng(seed, "phrasings", m.member_id)
        old = _SPLIT_HEADLINE.split(m.headline)[0]
        new = title(rng, m.member_id, old)
        changes = {old: new, **skills(rng, list(m.skills))}
        return m.model_copy(
            update={
                "headline": new,
                "summary": rewrite(m.summary, changes),
                "skills": [changes[s] for s in m.skills],
            }
        )

    def job(j: Job) -> Job:
        rng = _rng(seed, "phrasings", j.job_id)
        changes = {j.title: title(rng, j.job_id, j.title), **skills(rng, [*j.required_skills, *j.preferred_skills])}
        return j.model_copy(
            update={
                "title": changes[j.title],
                "description": rewrite(j.description, changes),
                "required_skills": [changes[s] for s in j.required_skills],
                "preferred_skills": [changes[s] for s in j.preferred_skills],
            }
        )

    return _rebuild(lists, member, job)


# ---- lists built from real data ----------------------------------------------------------------


def _candidate_list(member: Member, jobs: list[Job], grades: list[int], rng: random.Random) -> CandidateList:
    order = list(range(len(jobs)))
    rng.shuffle(order)  # retrieval order carries no signal here
    return CandidateList(
        member,
        tuple(jobs[i] for i in order),
        np.array([grades[i] for i in order], dtype=np.int64),
        np.full(len(jobs), np.nan),
        np.arange(len(jobs), dtype=np.int64),
    )


def heldout_occupation_lists(grade: Grader, count: int, seed: int = 0, sets: dict | None = None) -> list[CandidateList]:
    """``count`` lists of members of held-out ESCO occupations: per member 4 jobs of their
    occupation, every job of the other two occupations of their ISCO minor group (2 variants
    each: the same family) and 30 of other groups; graded by ``grade`` on the latent views
    (occupation, ISCO minor group as family, ESCO skill ids)."""
    occupations = (sets or load_benchmark_sets())["heldout_occupations"]
    rng = random.Random(f"{seed}:heldout-occupations:lists")
    jobs: list[tuple[Job, CanonicalView, str]] = []
    for occ in occupations:
        family = occ["isco_group"][:3]
        for k in range(4):
            required = rng.sample(occ["essential"], min(len(occ["essential"]), rng.randint(4, 7)))
            preferred = rng.sample(occ["optional"], min(len(occ["optional"]), rng.randint(0, 3)))
            title = rng.choice(occ["titles"]).title()
            job = Job(
                job_id=f"ho-{occ['id']}-{k}",
                title=title,
                description=f"We are hiring a {title}. {occ['description']} "
                f"Requirements: {', '.join(label for _, label in required)}.",
                required_skills=[label for _, label in required],
                preferred_skills=[label for _, label in preferred],
                location=_CITY,
            )
            view = CanonicalView(
                occ["id"], family, frozenset(i for i, _ in required), frozenset(i for i, _ in preferred)
            )
            jobs.append((job, view, occ["id"]))
    by_occupation: dict[str, list[int]] = {}
    for i, (_, _, occupation) in enumerate(jobs):
        by_occupation.setdefault(occupation, []).append(i)
    out = []
    for n in range(count):
        occ = occupations[(n * 7) % len(occupations)]  # spread over groups
        skills = rng.sample(occ["essential"], min(len(occ["essential"]), rng.randint(5, 10)))
        skills += rng.sample(occ["optional"], min(len(occ["optional"]), rng.randint(0, 3)))
        title = rng.choice(occ["titles"]).title()
        member = Member(
            member_id=f"ho-m{n:04d}",
            headline=title,
            summary=f"Experienced {title.lower()}.",
            skills=[label for _, label in skills],
            location=_CITY,
        )
        member_view = CanonicalView(occ["id"], occ["isco_group"][:3], frozenset(i for i, _ in skills))
        same_family = [o["id"] for o in occupations if o["isco_group"][:3] == member_view.family]
        picked = by_occupation[occ["id"]] + [
            i for o in same_family if o != occ["id"] for i in rng.sample(by_occupation[o], 2)
        ]
        others = [i for i, (_, view, _) in enumerate(jobs) if view.family != member_view.family]
        picked += rng.sample(others, 30)
        grades = [grade(member, jobs[i][0], member_view, jobs[i][1]) for i in picked]
        out.append(_candidate_list(member, [jobs[i][0] for i in picked], grades, rng))
    return out


ONET_GRADES = {"same": 3, "Primary-Short": 2, "Primary-Long": 1}


def real_title_lists(count: int, seed: int = 0, sets: dict | None = None) -> list[CandidateList]:
    """``count`` lists from O*NET: member headline = a reported title; candidates = every alternate
    title of the member's occupation, up to 10 jobs of Primary-Short and 10 of Primary-Long related
    occupations and 25 unrelated ones (Supplemental relations left out: neither clearly related
    nor unrelated); grades ONET_GRADES, unrelated 0."""
    occupations = (sets or load_benchmark_sets())["onet"]["occupations"]
    rng = random.Random(f"{seed}:onet:lists")
    jobs_of = {
        occ["code"]: [
            Job(job_id=f"onet-{occ['code']}-{k}", title=title, location=_CITY)
            for k, title in enumerate(occ["alternate_titles"])
        ]
        for occ in occupations
    }
    members = [occ for occ in occupations if "reported_titles" in occ]
    out = []
    for n in range(count):
        occ = members[n % len(members)]
        headline = occ["reported_titles"][(n // len(members)) % len(occ["reported_titles"])]
        member = Member(member_id=f"onet-m{n:04d}", headline=headline, location=_CITY)
        picked: list[tuple[Job, int]] = [(job, ONET_GRADES["same"]) for job in jobs_of[occ["code"]]]
        for tier in ("Primary-Short", "Primary-Long"):
            pool = [job for code, t in occ["related"].items() if t == tier for job in jobs_of[code]]
            picked += [(job, ONET_GRADES[tier]) for job in rng.sample(pool, min(10, len(pool)))]
        unrelated = [code for code in jobs_of if code != occ["code"] and code not in occ["related"]]
        picked += [(rng.choice(jobs_of[code]), 0) for code in rng.sample(unrelated, 25)]
        out.append(_candidate_list(member, [job for job, _ in picked], [g for _, g in picked], rng))
    return out
