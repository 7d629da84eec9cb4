"""`python -m training esco-subset`: build app/domain/occupations.json from the ESCO taxonomy.

Joins the hand-written occupation_spec.json (families, core skills, pay references) with the real
ESCO v1.1.1 CSVs (title variants, descriptions, ISCO codes) and checks that every occupation
exists, sits in one of its family's ISCO groups, and names only skills the lexicon knows. The
output is committed, so the generator never needs the ESCO CSVs at run time.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path

from app.domain.occupations import OCCUPATIONS_PATH
from app.domain.skills import default_lexicon, skill_id
from training.errors import TrainingError

HERE = Path(__file__).parent
SPEC_PATH = HERE / "occupation_spec.json"
OUTPUT_PATH = OCCUPATIONS_PATH
DEFAULT_ESCO_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "esco"

ATTRIBUTION = (
    "Occupations, title variants, descriptions and ISCO-08 codes: ESCO (European Skills, "
    "Competences, Qualifications and Occupations) v1.1.1, European Commission, via the "
    "tabiya-tech/tabiya-open-dataset CSV conversion. Reused under Commission Decision "
    "2011/833/EU with attribution. Subset selected and joined with jobrank's own skills and pay "
    "references (occupation_spec.json)."
)
MAX_TITLE_CHARS = 60
MAX_TITLE_VARIANTS = 14


def _title_variants(preferred: str, alt_labels: str) -> list[str]:
    """Usable title variants: the preferred label first, no over-long or duplicate labels."""
    variants = [preferred]
    for label in alt_labels.splitlines():
        label = label.strip()
        if label and len(label) <= MAX_TITLE_CHARS and label.casefold() not in {v.casefold() for v in variants}:
            variants.append(label)
    return variants[:MAX_TITLE_VARIANTS]


def _first_sentences(text: str, limit: int = 2) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return " ".join(sentences[:limit])


def build(esco_dir: Path, spec_path: Path = SPEC_PATH) -> dict:
    """Join the spec with ESCO and return the occupations document (raises TrainingError on a bad spec)."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    with (esco_dir / "occupations.csv").open(encoding="utf-8", newline="") as fh:
        by_label = {row["PREFERREDLABEL"]: row for row in csv.DictReader(fh)}
    with (esco_dir / "ISCOGroups.csv").open(encoding="utf-8", newline="") as fh:
        isco_labels = {row["CODE"]: row["PREFERREDLABEL"] for row in csv.DictReader(fh)}
    lexicon = default_lexicon()

    families, occupations, problems = {}, [], []
    for family_id, family in spec["families"].items():
        families[family_id] = {
            "label": family["label"],
            "isco_groups": {g: isco_labels.get(g, "") for g in family["isco_groups"]},
            "industries": family["industries"],
            "hourly": family["hourly"],
            "remote_friendly": family["remote_friendly"],
        }
        for label, occ in family["occupations"].items():
            row = by_label.get(label)
            if row is None:
                problems.append(f"{family_id}: no ESCO occupation with preferred label '{label}'")
                continue
            if row["ISCOGROUPCODE"] not in family["isco_groups"]:
                problems.append(f"{family_id}: '{label}' is in ISCO group {row['ISCOGROUPCODE']}, not in the family")
            skills = [skill_id(s) for s in occ["skills"]]
            problems += [
                f"{label}: unknown skill '{s}'"
                for s, sid in zip(occ["skills"], skills, strict=True)
                if sid not in lexicon.skills
            ]
            occupations.append(
                {
                    "id": row["CODE"],
                    "label": label,
                    "family": family_id,
                    "isco_group": row["ISCOGROUPCODE"],
                    "esco_uri": row["ORIGINURI"],
                    "titles": _title_variants(label, row["ALTLABELS"]) + occ.get("extra_titles", []),
                    "jobrank_titles": occ.get("extra_titles", []),
                    "description": _first_sentences(row["DESCRIPTION"]),
                    "core_skills": skills,
                    "pay_usd": occ["pay"],
                }
            )
    if problems:
        raise TrainingError("occupation spec does not match ESCO: " + "; ".join(problems))
    return {"attribution": ATTRIBUTION, "source": "ESCO v1.1.1", "families": families, "occupations": occupations}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the esco-subset stage."""
    parser = argparse.ArgumentParser(prog="python -m training esco-subset", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--esco-dir", type=Path, default=DEFAULT_ESCO_DIR, help="folder with ESCO occupations.csv and ISCOGroups.csv"
    )
    parser.add_argument("--out", type=Path, default=OUTPUT_PATH, help="where to write occupations.json")
    args = parser.parse_args(argv)
    if not (args.esco_dir / "occupations.csv").is_file():
        raise SystemExit(f"error: no occupations.csv in {args.esco_dir}")
    document = build(args.esco_dir)
    args.out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(document['occupations'])} occupations in {len(document['families'])} families to {args.out}")
    return 0
