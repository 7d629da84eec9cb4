"""`python -m training onet-data`: a real-text own-data set built from O*NET, in the user's JSONL format.

What a job marketplace brings, made from public data: members whose headline is a title job holders
reported for their own job (O*NET *Sample of Reported Titles*), jobs titled with O*NET *alternate
titles*, described by the occupation's task statements and asking for its technology-skill examples.
Everyone is in one city, authorised to work there, so location and authorisation decide nothing: the
ranking has to come from the titles and the text. Two folders, disjoint in members, jobs and title
strings:

* ``train/``: members.jsonl, jobs.jsonl, pairs.jsonl; no labels, no actions: what
  ``python -m training pipeline --data <out>/train`` takes;
* ``heldout/``: the same files plus relatedness.jsonl, O*NET's expert grade of every pair (same
  occupation 3, Primary-Short related 2, Primary-Long related 1, unrelated 0; Supplemental relations
  left out as neither clearly related nor unrelated): the set a model trained on ``train/`` is
  measured on (benchmarks/onet_own_data.py). Nothing of it is shown to training.

O*NET 29.2 Database by the U.S. Department of Labor, Employment and Training Administration
(USDOL/ETA), used under CC BY 4.0; the attribution is written into both folders (ATTRIBUTION.txt).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from app.domain.schemas import Job, Location, Member
from training.data.benchmark_sets import DEFAULT_ONET_DIR, ONET_ATTRIBUTION
from training.data.esco_subset import MAX_TITLE_CHARS
from training.data.generalisation import ONET_GRADES
from training.data.onet_titles import read_tsv
from training.errors import TrainingError

RELATEDNESS = "relatedness.jsonl"
_CITY = Location(country="US", city="Chicago")
_MIN_ALTERNATES = 6
_JOBS_PER_OCCUPATION = 5
_TASKS_PER_JOB = (2, 3)
_SKILLS_PER_JOB = (2, 5)
_CANDIDATES = {"same": 6, "Primary-Short": 8, "Primary-Long": 6, "unrelated": 20}


@dataclass
class _Occupation:
    code: str
    title: str
    alternates: list[str]
    reported: list[str]
    tasks: list[str]
    tools: list[str]
    related: dict[str, str]

    @property
    def job_tasks(self) -> list[str]:
        """Task statements jobs describe themselves with (members write the others: a member's
        summary never repeats a posting's sentence, so word overlap is not handed to BM25)."""
        return self.tasks[::2]

    @property
    def member_tasks(self) -> list[str]:
        """Task statements members describe their work with."""
        return self.tasks[1::2]


def load_onet(onet_dir: Path) -> dict[str, _Occupation]:
    """O*NET occupations with enough alternate titles and task statements to describe jobs."""
    if not (onet_dir / "Occupation Data.txt").is_file():
        raise TrainingError(f"no 'Occupation Data.txt' in {onet_dir} (the O*NET tables, see shared/data/onet)")
    found = {
        r["O*NET-SOC Code"]: _Occupation(r["O*NET-SOC Code"], r["Title"], [], [], [], [], {})
        for r in read_tsv(onet_dir / "Occupation Data.txt")
    }

    def add(table: str, column: str, field: str) -> None:
        for r in read_tsv(onet_dir / table):
            values = getattr(found.get(r["O*NET-SOC Code"]), field, None)
            text = " ".join(r[column].split())
            if values is not None and text and text not in values:
                values.append(text)

    add("Alternate Titles.txt.gz", "Alternate Title", "alternates")
    add("Sample of Reported Titles.txt", "Reported Job Title", "reported")
    add("Task Statements.txt.gz", "Task", "tasks")
    add("Technology Skills.txt.gz", "Example", "tools")
    for r in read_tsv(onet_dir / "Related Occupations.txt"):
        if r["O*NET-SOC Code"] in found:
            found[r["O*NET-SOC Code"]].related[r["Related O*NET-SOC Code"]] = r["Relatedness Tier"]
    for occ in found.values():
        occ.alternates = [t for t in occ.alternates if len(t) <= MAX_TITLE_CHARS]
        occ.reported = [t for t in occ.reported if len(t) <= MAX_TITLE_CHARS]
        occ.tools = [t for t in occ.tools if len(t) <= MAX_TITLE_CHARS]
    return {code: o for code, o in found.items() if len(o.alternates) >= _MIN_ALTERNATES and len(o.tasks) >= 2}


def _job(occ: _Occupation, title: str, job_id: str, rng: random.Random) -> Job:
    tasks = rng.sample(occ.job_tasks, min(len(occ.job_tasks), rng.randint(*_TASKS_PER_JOB)))
    tools = rng.sample(occ.tools, min(len(occ.tools), rng.randint(*_SKILLS_PER_JOB)))
    return Job(
        job_id=job_id,
        title=title,
        description=f"As our new {title} you will: " + " ".join(tasks),
        required_skills=tools,
        location=_CITY,
    )


def _member(occ: _Occupation, headline: str, member_id: str, rng: random.Random) -> Member:
    tasks = rng.sample(occ.member_tasks, min(len(occ.member_tasks), 2))
    tools = rng.sample(occ.tools, min(len(occ.tools), rng.randint(0, 6)))
    return Member(
        member_id=member_id,
        headline=headline,
        summary=" ".join(tasks),
        skills=tools,
        years_experience=float(rng.randint(1, 20)),
        location=_CITY,
        work_authorization=["US"],
    )


@dataclass
class _Part:
    """One folder's records: members with their candidate jobs and O*NET grades."""

    members: list[Member]
    jobs: dict[str, Job]
    pairs: list[tuple[str, str, int]]


def part_of(title: str, seed: int = 0) -> str:
    """The part a title string belongs to, the same in every occupation that uses it (O*NET lists
    some titles under several occupations): held-out titles never reach training."""
    digest = hashlib.sha256(f"{seed}:{' '.join(title.casefold().split())}".encode()).digest()
    return "heldout" if digest[0] < 128 else "train"


def build(onet_dir: Path, train_members: int, heldout_members: int, seed: int = 0) -> dict[str, _Part]:
    """The two parts: jobs of every usable occupation, alternate titles split between the parts;
    members of occupations with reported titles and related occupations, spread over both."""
    occupations = load_onet(onet_dir)
    rng = random.Random(f"{seed}:onet-data")
    parts = {"train": _Part([], {}, []), "heldout": _Part([], {}, [])}
    jobs_of: dict[str, dict[str, list[str]]] = {"train": defaultdict(list), "heldout": defaultdict(list)}
    for code, occ in sorted(occupations.items()):
        titles = rng.sample(occ.alternates, len(occ.alternates))
        for part in ("heldout", "train"):
            for k, title in enumerate([t for t in titles if part_of(t, seed) == part][:_JOBS_PER_OCCUPATION]):
                job = _job(occ, title, f"onet-{part}-{code}-{k}", rng)
                parts[part].jobs[job.job_id] = job
                jobs_of[part][code].append(job.job_id)
    for part, count in (("heldout", heldout_members), ("train", train_members)):
        headlines = {
            code: [t for t in occ.reported if part_of(t, seed) == part] for code, occ in sorted(occupations.items())
        }
        eligible = [
            code
            for code, occ in sorted(occupations.items())
            if headlines[code]
            and jobs_of[part].get(code)
            and any(t == "Primary-Short" and jobs_of[part].get(c) for c, t in occ.related.items())
        ]
        if not eligible:
            raise TrainingError(f"{onet_dir}: no O*NET occupation with reported titles and related jobs for {part}/")
        for n in range(count):
            code = eligible[(n * 7) % len(eligible)]
            headline = headlines[code][(n // len(eligible)) % len(headlines[code])]
            member = _member(occupations[code], headline, f"onet-{part}-m{n:05d}", rng)
            parts[part].members.append(member)
            parts[part].pairs += _candidates(member.member_id, code, occupations, jobs_of[part], rng)
    return parts


def _candidates(
    member_id: str, code: str, occupations: dict[str, _Occupation], jobs_of: dict[str, list[str]], rng: random.Random
) -> list[tuple[str, str, int]]:
    """A candidate list: the occupation's jobs, related occupations' jobs by tier, unrelated ones."""
    related = occupations[code].related
    picked = [(member_id, j, ONET_GRADES["same"]) for j in jobs_of[code][: _CANDIDATES["same"]]]
    for tier in ("Primary-Short", "Primary-Long"):
        pool = [j for c, t in sorted(related.items()) if t == tier for j in jobs_of.get(c, [])]
        picked += [(member_id, j, ONET_GRADES[tier]) for j in rng.sample(pool, min(_CANDIDATES[tier], len(pool)))]
    unrelated = [c for c in sorted(jobs_of) if jobs_of[c] and c != code and c not in related]
    picked += [(member_id, rng.choice(jobs_of[c]), 0) for c in rng.sample(unrelated, _CANDIDATES["unrelated"])]
    rng.shuffle(picked)  # the file order carries no signal
    return picked


def write(parts: dict[str, _Part], out: Path) -> None:
    """members.jsonl, jobs.jsonl, pairs.jsonl per part (and relatedness.jsonl for the held-out one)."""
    for name, part in parts.items():
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        used = {job_id for _, job_id, _ in part.pairs}
        with open(folder / "members.jsonl", "w", encoding="utf-8") as fh:
            fh.writelines(m.model_dump_json(exclude_defaults=True) + "\n" for m in part.members)
        with open(folder / "jobs.jsonl", "w", encoding="utf-8") as fh:
            fh.writelines(
                j.model_dump_json(exclude_defaults=True) + "\n" for j in part.jobs.values() if j.job_id in used
            )
        with open(folder / "pairs.jsonl", "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps({"member_id": m, "job_id": j}) + "\n" for m, j, _ in part.pairs)
        if name == "heldout":
            with open(folder / RELATEDNESS, "w", encoding="utf-8") as fh:
                fh.writelines(json.dumps({"member_id": m, "job_id": j, "grade": g}) + "\n" for m, j, g in part.pairs)
        (folder / "ATTRIBUTION.txt").write_text(ONET_ATTRIBUTION + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Build the two folders."""
    parser = argparse.ArgumentParser(prog="python -m training onet-data", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to create train/ and heldout/ in")
    parser.add_argument("--onet-dir", type=Path, default=DEFAULT_ONET_DIR, help="folder of the O*NET tables")
    parser.add_argument("--train-members", type=int, default=800, help="members in train/ (default 800)")
    parser.add_argument("--heldout-members", type=int, default=320, help="members in heldout/ (default 320)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every sample")
    args = parser.parse_args(argv)
    if args.train_members < 1 or args.heldout_members < 1:
        raise TrainingError("--train-members and --heldout-members must be at least 1")
    if args.out.exists() and any(args.out.iterdir()):
        raise TrainingError(f"{args.out} is not empty: choose a new folder (nothing there is overwritten)")
    parts = build(args.onet_dir, args.train_members, args.heldout_members, args.seed)
    write(parts, args.out)
    for name, part in parts.items():
        jobs = len({j for _, j, _ in part.pairs})
        print(f"{args.out / name}: {len(part.members)} members, {jobs} jobs, {len(part.pairs)} pairs")
    return 0
