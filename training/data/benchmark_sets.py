"""`python -m training.data.benchmark_sets`: build benchmark_sets.json, the real-data side of the
generalisation splits, from the ESCO and O*NET CSVs in shared/data.

* ``heldout_titles``: per occupation of the generated world, ESCO's real alternative labels that
  neither the world (so no generated record and no training pair) nor the canonicaliser's title
  dictionary (occupations.json) contains: the *held-out phrasings* split uses them;
* ``heldout_occupations``: ESCO occupations outside the generated world altogether (no generated
  record, no training pair; the canonicaliser's dictionary, which covers all of ESCO, still knows
  their titles), in groups of three sharing an ISCO-08 minor group, with their real title
  variants, description and essential/optional skills: the *held-out occupations* split;
* ``onet``: O*NET occupations with the titles job holders reported for their own job, alternate
  titles and the expert relatedness tiers between occupations: the *real titles* split.

The output is committed, so evaluation never needs the CSVs at run time. Reproducible: every
choice draws from a seeded stream.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict
from pathlib import Path

from app.domain.occupations import Taxonomy, default_taxonomy
from training.data.esco_skills import read_csv
from training.data.esco_subset import DEFAULT_ESCO_DIR, MAX_TITLE_CHARS
from training.data.onet_titles import read_tsv
from training.data.world import TITLE_PREFIXES

OUTPUT_PATH = Path(__file__).with_name("benchmark_sets.json")
DEFAULT_ONET_DIR = DEFAULT_ESCO_DIR.parent / "onet"
ESCO_ATTRIBUTION = (
    "Held-out titles and occupations, their descriptions, ISCO-08 codes and essential/optional "
    "skills: ESCO v1.1.1, European Commission, via the tabiya-tech CSV conversions. Reused under "
    "Commission Decision 2011/833/EU with attribution."
)
ONET_ATTRIBUTION = (
    "O*NET 29.2 Database by the U.S. Department of Labor, Employment and Training Administration "
    "(USDOL/ETA), used under CC BY 4.0: occupation titles, alternate titles, sample of reported "
    "titles and related occupations (relatedness tiers). Subset selected by jobrank."
)
HELDOUT_TITLES_PER_OCCUPATION = 8
HELDOUT_GROUPS = 60  # ISCO minor groups, three held-out occupations each
ONET_MEMBER_OCCUPATIONS = 150
ONET_ALTERNATES = 6
ONET_REPORTED = 4
RELATED_TIERS = ("Primary-Short", "Primary-Long", "Supplemental")


def norm_title(text: str) -> str:
    """A title for comparison: casefolded, punctuation as spaces, single-spaced."""
    return " ".join(re.sub(r"[^a-z0-9+#&' ]+", " ", text.casefold()).split())


_LEVEL_WORDS = sorted(
    {norm_title(p) for prefixes in TITLE_PREFIXES.values() for p in prefixes if p}, key=len, reverse=True
)


def without_level(key: str) -> str:
    """A normalised title without the level prefixes the generator puts before titles
    ('trainee shop assistant' -> 'shop assistant'): such a label is a known title in disguise."""
    stripped = True
    while stripped:
        stripped = False
        for word in _LEVEL_WORDS:
            if key.startswith(word + " "):
                key, stripped = key[len(word) + 1 :], True
    return key


def known_titles(taxonomy: Taxonomy, world_only: bool = False) -> set[str]:
    """Every title form the canonicaliser knows (whole labels and '/' parts); with ``world_only``,
    those of the generated world's occupations (the titles training data can contain)."""
    return {
        norm_title(form)
        for occupation in taxonomy.occupations.values()
        if occupation.world or not world_only
        for variant in (*(occupation.titles if world_only else occupation.all_titles), occupation.label)
        for form in (variant, *variant.split("/"))
    }


def _first_sentences(text: str, limit: int = 2) -> str:
    return " ".join(re.split(r"(?<=[.!?])\s+", " ".join(text.split()))[:limit])


def _labels(raw: str, known: set[str]) -> list[str]:
    out: list[str] = []
    for label in raw.splitlines():
        label = label.strip()
        key = norm_title(label)
        fresh = key and key not in known and without_level(key) not in known
        if label and len(label) <= MAX_TITLE_CHARS and fresh and key not in map(norm_title, out):
            out.append(label)
    return out


def build_esco(esco_dir: Path, taxonomy: Taxonomy, seed: int = 0) -> dict:
    """The held-out titles of the world's occupations and the held-out ESCO occupations."""
    rows = read_csv(esco_dir / "occupations.csv")
    # A known title with a level word ("lead cardiovascular physiotherapist") makes its bare form known too.
    known, world_titles = known_titles(taxonomy), known_titles(taxonomy, world_only=True)
    known |= {without_level(k) for k in known}
    world_titles |= {without_level(k) for k in world_titles}
    world = {o.id for o in taxonomy.world()}
    heldout_titles = {}
    for row in rows:
        if row["CODE"] in world:
            labels = _labels(row["ALTLABELS"], known)
            if labels:
                heldout_titles[row["CODE"]] = labels[:HELDOUT_TITLES_PER_OCCUPATION]

    skill_label = {r["conceptUri"]: r["preferredLabel"] for r in read_csv(esco_dir / "skills.csv.gz")}
    links: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"essential": [], "optional": []})
    for r in read_csv(esco_dir / "occupationSkillRelations.csv.gz"):
        if r["skillUri"] in skill_label and len(skill_label[r["skillUri"]]) <= 80:
            links[r["occupationUri"]][r["relationType"]].append(r["skillUri"])

    by_group: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if row["CODE"] in world:
            continue
        titles = _labels(row["PREFERREDLABEL"] + "\n" + row["ALTLABELS"], world_titles)
        skills = links[row["ORIGINURI"]]
        if len(titles) >= 2 and len(skills["essential"]) >= 4 and row["DESCRIPTION"].strip():
            by_group[row["ISCOGROUPCODE"][:3]].append({**row, "titles": titles, "skills": skills})
    rng = random.Random(f"{seed}:heldout-occupations")
    # Round-robin over ISCO major groups, so every major group is represented.
    groups_by_major: dict[str, list[str]] = defaultdict(list)
    for group in sorted(g for g, members in by_group.items() if len(members) >= 3):
        groups_by_major[group[0]].append(group)
    for groups in groups_by_major.values():
        rng.shuffle(groups)
    chosen: list[str] = []
    while len(chosen) < HELDOUT_GROUPS and any(groups_by_major.values()):
        for major in sorted(groups_by_major):
            if groups_by_major[major] and len(chosen) < HELDOUT_GROUPS:
                chosen.append(groups_by_major[major].pop())
    short_id = lambda uri: uri.rsplit("/", 1)[-1]  # noqa: E731
    occupations = []
    for group in chosen:
        for row in rng.sample(by_group[group], 3):
            occupations.append(
                {
                    "id": row["CODE"],
                    "label": row["PREFERREDLABEL"],
                    "isco_group": row["ISCOGROUPCODE"],
                    "titles": row["titles"][:8],
                    "description": _first_sentences(row["DESCRIPTION"]),
                    **{
                        kind: [[short_id(u), skill_label[u]] for u in row["skills"][kind][:limit]]
                        for kind, limit in (("essential", 15), ("optional", 10))
                    },
                }
            )
    return {"heldout_titles": heldout_titles, "heldout_occupations": occupations}


def build_onet(onet_dir: Path, seed: int = 0) -> dict:
    """O*NET occupations: reported titles (members), alternate titles (jobs) and relatedness tiers."""
    names = {r["O*NET-SOC Code"]: r["Title"] for r in read_tsv(onet_dir / "Occupation Data.txt")}
    alternates: dict[str, list[str]] = defaultdict(list)
    for r in read_tsv(onet_dir / "Alternate Titles.txt.gz"):
        title = r["Alternate Title"].strip()
        if len(title) <= MAX_TITLE_CHARS and title not in alternates[r["O*NET-SOC Code"]]:
            alternates[r["O*NET-SOC Code"]].append(title)
    reported: dict[str, list[str]] = defaultdict(list)
    for r in read_tsv(onet_dir / "Sample of Reported Titles.txt"):
        reported[r["O*NET-SOC Code"]].append(r["Reported Job Title"].strip())
    related: dict[str, dict[str, str]] = defaultdict(dict)
    for r in read_tsv(onet_dir / "Related Occupations.txt"):
        related[r["O*NET-SOC Code"]][r["Related O*NET-SOC Code"]] = r["Relatedness Tier"]

    def usable(code: str) -> bool:
        return code in names and len(alternates[code]) >= 3

    rng = random.Random(f"{seed}:onet")
    eligible = sorted(
        code
        for code in names
        if usable(code)
        and len(reported[code]) >= 2
        and sum(t == "Primary-Short" and usable(c) for c, t in related[code].items()) >= 2
    )
    members = sorted(rng.sample(eligible, min(ONET_MEMBER_OCCUPATIONS, len(eligible))))
    catalogue = set(members)
    for code in members:
        catalogue |= {c for c, t in related[code].items() if t != "Supplemental" and usable(c)}
    occupations = []
    for code in sorted(catalogue):
        entry: dict = {
            "code": code,
            "title": names[code],
            "alternate_titles": rng.sample(alternates[code], min(ONET_ALTERNATES, len(alternates[code]))),
        }
        if code in members:
            entry["reported_titles"] = rng.sample(reported[code], min(ONET_REPORTED, len(reported[code])))
            entry["related"] = {c: t for c, t in sorted(related[code].items()) if c in catalogue}
        occupations.append(entry)
    return {"occupations": occupations}


def build(esco_dir: Path, onet_dir: Path, seed: int = 0) -> dict:
    """The whole benchmark_sets.json document."""
    return {
        "attribution": {"esco": ESCO_ATTRIBUTION, "onet": ONET_ATTRIBUTION},
        "seed": seed,
        **build_esco(esco_dir, default_taxonomy(), seed),
        "onet": build_onet(onet_dir, seed),
    }


def main(argv: list[str] | None = None) -> int:
    """Rebuild benchmark_sets.json."""
    parser = argparse.ArgumentParser(prog="python -m training.data.benchmark_sets", description=__doc__.splitlines()[0])
    parser.add_argument("--esco-dir", type=Path, default=DEFAULT_ESCO_DIR, help="folder of the ESCO CSVs")
    parser.add_argument("--onet-dir", type=Path, default=DEFAULT_ONET_DIR, help="folder of the O*NET tables")
    parser.add_argument("--out", type=Path, default=OUTPUT_PATH, help="where to write the JSON")
    parser.add_argument("--seed", type=int, default=0, help="seed of every sample")
    args = parser.parse_args(argv)
    for folder, name in ((args.esco_dir, "occupations.csv"), (args.onet_dir, "Occupation Data.txt")):
        if not (folder / name).is_file():
            raise SystemExit(f"error: no {name} in {folder}")
    document = build(args.esco_dir, args.onet_dir, args.seed)
    args.out.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(
        f"wrote {args.out}: held-out titles for {len(document['heldout_titles'])} occupations, "
        f"{len(document['heldout_occupations'])} held-out occupations, "
        f"{len(document['onet']['occupations'])} O*NET occupations"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
