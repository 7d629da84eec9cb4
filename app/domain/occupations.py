"""The occupation taxonomy the generator and the judge's field path use (from occupations.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

OCCUPATIONS_PATH = Path(__file__).with_name("occupations.json")


@dataclass(frozen=True)
class Occupation:
    """One ESCO occupation with the skills and pay reference jobrank attaches to it."""

    id: str
    label: str
    family: str
    isco_group: str
    titles: tuple[str, ...]
    description: str
    core_skills: tuple[str, ...]
    pay_usd: float


@dataclass(frozen=True)
class Family:
    """An occupation family: a set of ISCO-08 unit groups."""

    id: str
    label: str
    isco_groups: tuple[str, ...]
    industries: tuple[str, ...]
    hourly: bool  # pay usually quoted per hour
    remote_friendly: bool  # the work can be done away from a site


@dataclass(frozen=True)
class Taxonomy:
    """Families and occupations, with lookups."""

    families: dict[str, Family]
    occupations: dict[str, Occupation]
    attribution: str

    def in_family(self, family: str) -> list[Occupation]:
        """Occupations of one family."""
        return [o for o in self.occupations.values() if o.family == family]


def load_taxonomy(path: Path = OCCUPATIONS_PATH) -> Taxonomy:
    """Read occupations.json (built by `python -m training esco-subset`)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    families = {
        fid: Family(
            fid,
            f["label"],
            tuple(f["isco_groups"]),
            tuple(f["industries"]),
            bool(f["hourly"]),
            bool(f["remote_friendly"]),
        )
        for fid, f in doc["families"].items()
    }
    occupations = {
        o["id"]: Occupation(
            o["id"],
            o["label"],
            o["family"],
            o["isco_group"],
            tuple(o["titles"]),
            o["description"],
            tuple(o["core_skills"]),
            float(o["pay_usd"]),
        )
        for o in doc["occupations"]
    }
    return Taxonomy(families, occupations, doc["attribution"])


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The bundled taxonomy (loaded once per process)."""
    return load_taxonomy()
