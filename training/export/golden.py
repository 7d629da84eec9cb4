"""The golden requests written into every exported manifest, and `python -m training export --golden-only DIR`.

Three fixed requests (the service's smoke request and two more, from other job families and with
remote, visa and salary conflicts) are run through the service's own runtime on the exported folder
(``app.ranking.golden``); the answers become the manifest's ``golden`` entries, which the service
checks again before it serves the folder. ``add_golden`` does this for a folder that is already
exported (the shipped model): its model files are only read, never changed.
"""

from __future__ import annotations

from pathlib import Path

from app.domain.schemas import Job, Location, Member, MinSalary
from app.ranking.engine import smoke_request
from app.ranking.golden import check_golden, golden_request
from app.ranking.manifest import (
    FORMAT,
    MANIFEST,
    FileEntry,
    GoldenRequest,
    ManifestError,
    ModelSpec,
    load_manifest,
    parse_manifest,
    read_document,
    verify_files,
)
from app.ranking.student import StudentModel

# member id -> (headline, summary, skills, years, seniority, (country, city), workplace preference, min pay in EUR)
_MEMBERS: dict[str, tuple] = {
    "golden-nurse": (
        "Registered nurse, intensive care",
        "Six years on ICU wards; patient care, medication administration, night shifts.",
        ["Patient care", "Medication administration", "Teamwork"],
        6,
        "mid_senior",
        ("NL", "Amsterdam"),
        "onsite",
        45000,
    ),
    "golden-analyst": (
        "Junior data analyst",
        "SQL, Excel and Python dashboards; one year in retail analytics.",
        ["SQL", "Python", "Excel", "Data analysis"],
        1,
        "entry",
        ("PL", "Warsaw"),
        "remote",
        30000,
    ),
}
_JOBS: dict[str, list[dict]] = {
    "golden-nurse": [
        {"title": "ICU Nurse", "required_skills": ["Patient care", "Medication administration"], "city": "Amsterdam"},
        {"title": "Registered Nurse", "required_skills": ["Patient care"], "city": "Rotterdam"},
        {"title": "Care Assistant", "required_skills": ["Patient care"], "seniority": "entry", "pay": 26000},
        {"title": "Backend Engineer", "required_skills": ["Java", "SQL"], "workplace": "remote", "pay": 80000},
        {"title": "Nurse", "required_skills": ["Patient care"], "country": "US", "city": "Boston", "pay": 90000},
        {"title": "Warehouse Operative", "required_skills": ["Forklift operation"], "seniority": "entry"},
    ],
    "golden-analyst": [
        {"title": "Junior Data Analyst", "required_skills": ["SQL", "Excel"], "workplace": "remote", "pay": 36000},
        {"title": "Data Analyst", "required_skills": ["SQL", "Python"], "seniority": "mid_senior", "pay": 60000},
        {"title": "Business Intelligence Intern", "required_skills": ["Excel"], "seniority": "intern"},
        {"title": "Head of Data Science", "required_skills": ["Python", "Leadership"], "seniority": "director"},
        {"title": "Chef de Partie", "required_skills": ["Cooking"], "city": "Krakow", "pay": 28000},
        {"title": "Truck Driver", "required_skills": ["Driving licence"], "country": "DE", "city": "Hamburg"},
    ],
}


def _job(member: Member, number: int, spec: dict) -> Job:
    """A posting in the member's country (unless ``spec`` says otherwise), on-site unless remote."""
    pay = spec.get("pay", 50000)
    return Job.model_validate(
        {
            "job_id": f"{member.member_id}-{number}",
            "title": spec["title"],
            "company": "Golden Corp",
            "description": f"{spec['title']}. Requirements: {', '.join(spec['required_skills'])}.",
            "required_skills": spec["required_skills"],
            "seniority": spec.get("seniority", "mid_senior"),
            "location": {"country": spec.get("country", member.location.country), "city": spec.get("city", "")},
            "workplace_type": spec.get("workplace", "onsite"),
            "salary": {"min": pay, "max": round(pay * 1.2), "currency": "USD" if "country" in spec else "EUR"},
        }
    )


def _member(member_id: str) -> Member:
    headline, summary, skills, years, seniority, (country, city), preference, pay = _MEMBERS[member_id]
    return Member(
        member_id=member_id,
        headline=headline,
        summary=summary,
        skills=skills,
        years_experience=years,
        seniority=seniority,
        location=Location(country=country, city=city),
        workplace_preference=preference,
        min_salary=MinSalary(amount=pay, currency="EUR"),
    )


def golden_inputs() -> list[tuple[Member, list[Job]]]:
    """The fixed (member, candidates) requests, always the same."""
    requests = [smoke_request()]
    for member in map(_member, _MEMBERS):
        requests.append((member, [_job(member, i, spec) for i, spec in enumerate(_JOBS[member.member_id], 1)]))
    return requests


def golden_requests(model: StudentModel) -> list[GoldenRequest]:
    """The golden requests with ``model``'s answers to them (run by the service's runtime)."""
    return [golden_request(model, member, jobs) for member, jobs in golden_inputs()]


def add_golden(folder: Path, threads: int = 2) -> int:
    """Write golden requests into an exported folder's manifest.json (migrating a format-1 manifest);
    the model files must match their sha256 and are not touched. Returns the number of requests."""
    doc = read_document(folder)
    if not isinstance(doc, dict):
        raise ManifestError(f"{folder / MANIFEST}: not a JSON object")
    files = {name: FileEntry.model_validate(entry) for name, entry in (doc.get("files") or {}).items()}
    verify_files(folder, files)
    spec = ModelSpec.model_validate({key: doc.get(key) for key in ModelSpec.model_fields})
    golden = golden_requests(StudentModel(folder, spec, threads))
    doc |= {"format": FORMAT, "golden": [g.model_dump(mode="json", by_alias=True) for g in golden]}
    manifest = parse_manifest(doc)
    (folder / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    check_golden(StudentModel.load(folder, threads), load_manifest(folder).golden)  # what the service will check
    return len(golden)
