"""The occupation taxonomy the generator and the judge's field path use (from occupations.json).

It holds every ESCO occupation (the judge's title dictionary); ``world`` are the ones the generator
draws members and jobs from. Built by `python -m training esco-subset`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

OCCUPATIONS_PATH = Path(__file__).with_name("occupations.json")
ONET_ATTRIBUTION = (
    "O*NET 29.2 Database by the U.S. Department of Labor, Employment and Training Administration "
    "(USDOL/ETA), used under CC BY 4.0: alternate and reported job titles (mapped to ESCO occupations "
    "by text, in the judge's title dictionary) and, in the evaluation sets, occupations and their "
    "related-occupation tiers. Subset selected by jobrank."
)


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
    optional_skills: tuple[str, ...] = ()
    world: bool = False  # the generator draws from it
    onet_titles: tuple[str, ...] = ()  # O*NET alternate titles mapped to it (the judge reads them, the generator not)

    @property
    def all_titles(self) -> tuple[str, ...]:
        """Every title the judge's dictionary reads as this occupation."""
        return self.titles + self.onet_titles


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
    onet_to_esco: dict[str, str] = field(default_factory=dict)  # O*NET-SOC code -> occupation id (by title)

    def in_family(self, family: str) -> list[Occupation]:
        """Occupations of one family."""
        return [o for o in self.occupations.values() if o.family == family]

    def world(self) -> list[Occupation]:
        """The occupations the generator draws from."""
        return [o for o in self.occupations.values() if o.world]


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
            o.get("description", ""),
            tuple(o["core_skills"]),
            float(o.get("pay_usd", 0.0)),
            tuple(o.get("optional_skills", ())),
            bool(o.get("world", False)),
            tuple(o.get("onet_titles", ())),
        )
        for o in doc["occupations"]
    }
    return Taxonomy(families, occupations, doc["attribution"], doc.get("onet_to_esco", {}))


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The bundled taxonomy (loaded once per process)."""
    return load_taxonomy()
