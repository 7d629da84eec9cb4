"""`python -m training esco-subset`: build app/domain/occupations.json and skills_lexicon.json from ESCO.

The occupations document holds every ESCO occupation (the judge's title dictionary) with its
family, ISCO-08 code, title variants and ESCO essential/optional skills; ``world`` marks the ones
the generator draws from: the hand-written occupation_spec.json occupations (own families, core
skills and pay) plus a deterministic selection stratified over ISCO minor groups. A family is a
hand-written family when the occupation's ISCO unit group is one of its groups, else the ISCO
sub-major group (``isco-25``), with hourly / remote / industries / pay per ISCO major group.
The lexicon is skills_spec.json merged with ESCO's skills (esco_skills.py). Both outputs are
committed, so neither the generator nor the service needs the ESCO CSVs at run time.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

from app.domain.occupations import OCCUPATIONS_PATH, ONET_ATTRIBUTION
from app.domain.skills import DEFAULT_LEXICON_PATH, SkillLexicon, skill_id
from app.domain.titles import TitleIndex, norm_title
from training.data.esco_skills import LexiconBuilder, read_csv
from training.data.onet_titles import CLOSE_VOTE, MIN_VOTES, OWN_VOTE, onet_titles
from training.errors import TrainingError

HERE = Path(__file__).parent
SPEC_PATH = HERE / "occupation_spec.json"
OUTPUT_PATH = OCCUPATIONS_PATH
DEFAULT_ESCO_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "esco"
DEFAULT_ONET_DIR = DEFAULT_ESCO_DIR.parent / "onet"

ATTRIBUTION = (
    "Occupations, title variants, descriptions, ISCO-08 codes and occupation-skill links (essential/"
    "optional), skills and their labels: ESCO (European Skills, Competences, Qualifications and "
    "Occupations) v1.1.1, European Commission, via the tabiya-tech/tabiya-open-dataset and "
    "tabiya-esco-datasets-and-tools CSV conversions. Reused under Commission Decision 2011/833/EU "
    "with attribution. Joined with jobrank's own families, skills and pay references "
    "(occupation_spec.json, skills_spec.json)."
)
MAX_TITLE_CHARS = 60
MAX_TITLE_VARIANTS = 14  # per world occupation; further ESCO labels stay held out (benchmark_sets.py)
MAX_CORE_SKILLS = 12
MAX_OPTIONAL_SKILLS = 10
MIN_WORLD_ESSENTIALS = 4


def _title_variants(
    preferred: str, alt_labels: str, limit: int | None = MAX_TITLE_VARIANTS, others: frozenset[str] = frozenset()
) -> list[str]:
    """Usable title variants: the preferred label first, no over-long or duplicate labels, and none
    that is another occupation's preferred label (ESCO lists "biologist" under bacteriology technician)."""
    variants = [preferred]
    for label in alt_labels.splitlines():
        label = label.strip()
        fresh = label.casefold() not in {v.casefold() for v in variants} and label.casefold() not in others
        if label and len(label) <= MAX_TITLE_CHARS and fresh:
            variants.append(label)
    return variants[:limit]


def _first_sentences(text: str, limit: int = 2) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return " ".join(sentences[:limit])


def _isco_family(code: str, spec: dict, isco_labels: dict[str, str]) -> dict:
    """The family of an ISCO sub-major group: its major group's facts with the sub-major's overrides."""
    facts = {**spec["isco_families"]["major"][code[0]], **spec["isco_families"]["sub_major_overrides"].get(code, {})}
    return {
        "label": isco_labels.get(code, code),
        "isco_groups": {code: isco_labels.get(code, "")},
        "industries": facts["industries"],
        "hourly": facts["hourly"],
        "remote_friendly": facts["remote_friendly"],
        "pay_usd": facts["pay"],
    }


def _select_world(rows: list[dict], hand: set[str], essentials: dict[str, list[str]], size: int) -> set[str]:
    """The hand-written occupations plus, round-robin over ISCO minor groups (in code order), the
    occupations with the most title variants, until ``size``: every minor group is represented."""
    by_group: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        usable = len(essentials[row["ORIGINURI"]]) >= MIN_WORLD_ESSENTIALS and row["DESCRIPTION"].strip()
        if row["CODE"] not in hand and usable:
            by_group[row["ISCOGROUPCODE"][:3]].append(row)
    queues = {
        g: sorted(members, key=lambda r: (-len(r["ALTLABELS"].splitlines()), r["CODE"]))
        for g, members in sorted(by_group.items())
    }
    world = set(hand)
    while len(world) < size and any(queues.values()):
        for queue in queues.values():
            if queue and len(world) < size:
                world.add(queue.pop(0)["CODE"])
    return world


def build(esco_dir: Path, spec_path: Path = SPEC_PATH, onet_dir: Path = DEFAULT_ONET_DIR) -> tuple[dict, dict]:
    """(occupations document, lexicon document); raises TrainingError on a spec that does not match ESCO."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    rows = read_csv(esco_dir / "occupations.csv")
    by_label = {row["PREFERREDLABEL"]: row for row in rows}
    isco_labels = {row["CODE"]: row["PREFERREDLABEL"] for row in read_csv(esco_dir / "ISCOGroups.csv")}
    lexicon = LexiconBuilder(esco_dir)
    links: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"essential": [], "optional": []})
    for r in read_csv(esco_dir / "occupationSkillRelations.csv.gz"):
        if r["skillUri"] in lexicon.id_of:
            links[r["occupationUri"]][r["relationType"]].append(lexicon.id_of[r["skillUri"]])

    families, hand, problems = {}, {}, []
    family_of_unit: dict[str, str] = {}
    for family_id, family in spec["families"].items():
        families[family_id] = {
            "label": family["label"],
            "isco_groups": {g: isco_labels.get(g, "") for g in family["isco_groups"]},
            "industries": family["industries"],
            "hourly": family["hourly"],
            "remote_friendly": family["remote_friendly"],
        }
        family_of_unit.update({g: family_id for g in family["isco_groups"]})
        for label, occ in family["occupations"].items():
            row = by_label.get(label)
            if row is None:
                problems.append(f"{family_id}: no ESCO occupation with preferred label '{label}'")
            elif row["ISCOGROUPCODE"] not in family["isco_groups"]:
                problems.append(f"{family_id}: '{label}' is in ISCO group {row['ISCOGROUPCODE']}, not in the family")
            else:
                hand[row["CODE"]] = occ
            problems += [
                f"{label}: unknown skill '{s}'" for s in occ["skills"] if skill_id(s) not in lexicon.hand_family
            ]
    if problems:
        raise TrainingError("occupation spec does not match ESCO: " + "; ".join(problems))

    essentials = {row["ORIGINURI"]: links[row["ORIGINURI"]]["essential"] for row in rows}
    world = _select_world(rows, set(hand), essentials, spec["world"]["occupations"])
    preferred_labels = frozenset(row["PREFERREDLABEL"].casefold() for row in rows)
    occupations: list[dict] = []
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for row in sorted(rows, key=lambda r: r["CODE"]):
        code, unit = row["CODE"], row["ISCOGROUPCODE"]
        family_id = family_of_unit.get(unit) or f"isco-{unit[:2]}"
        if family_id not in families:
            families[family_id] = _isco_family(unit[:2], spec, isco_labels)
        occ = hand.get(code, {})
        ordered = lambda ids: sorted(dict.fromkeys(ids), key=lexicon.skill_order)  # noqa: E731
        core = list(
            dict.fromkeys([skill_id(s) for s in occ.get("skills", [])] + ordered(links[row["ORIGINURI"]]["essential"]))
        )
        optional = [s for s in ordered(links[row["ORIGINURI"]]["optional"]) if s not in core]
        for sid in core:
            votes[sid][family_id] += 2
        for sid in optional:
            votes[sid][family_id] += 1
        in_world = code in world
        entry = {
            "id": code,
            "label": row["PREFERREDLABEL"],
            "family": family_id,
            "isco_group": unit,
            "titles": _title_variants(
                row["PREFERREDLABEL"],
                row["ALTLABELS"],
                MAX_TITLE_VARIANTS if in_world else None,
                preferred_labels - {row["PREFERREDLABEL"].casefold()},
            )
            + occ.get("extra_titles", []),
            # Outside the world the skills only break ties between occupations sharing a title.
            "core_skills": core[: MAX_CORE_SKILLS if in_world else MAX_CORE_SKILLS // 2],
        }
        if in_world:
            entry |= {
                "world": True,
                "esco_uri": row["ORIGINURI"],
                "jobrank_titles": occ.get("extra_titles", []),
                "description": _first_sentences(row["DESCRIPTION"]),
                "optional_skills": optional[:MAX_OPTIONAL_SKILLS],
                "pay_usd": occ.get("pay") or _isco_family(unit[:2], spec, isco_labels)["pay_usd"],
            }
        occupations.append(entry)

    esco_titles = TitleIndex((title, entry["id"]) for entry in occupations for title in entry["titles"])
    # Imported here: benchmark_sets builds on this module's constants. Its O*NET part depends on the
    # O*NET tables alone, so the titles the real-titles split uses are known before the world is.
    from training.data.benchmark_sets import build_onet

    held_out = frozenset(
        norm_title(title)
        for occupation in build_onet(onet_dir)["occupations"]
        for title in (*occupation["alternate_titles"], *occupation.get("reported_titles", []))
    )
    added, onet_mapping = onet_titles(onet_dir, esco_titles, held_out)
    for entry in occupations:
        if entry["id"] in added:
            entry["onet_titles"] = added[entry["id"]]

    lexicon_doc = lexicon.document(votes)
    known = set(SkillLexicon(lexicon_doc["families"], esco=lexicon_doc["esco"]).skills)
    for entry in occupations:  # a skill whose every spelling is shared with another has no entry
        for key in ("core_skills", "optional_skills"):
            if key in entry:
                entry[key] = [s for s in entry[key] if s in known]
    document = {
        "attribution": ATTRIBUTION,
        "source": "ESCO v1.1.1",
        "pay_rule": "hand-written occupations: their own pay reference; every other: the mid-level annual USD "
        "reference of its ISCO-08 major group (sub-major override where one is given), occupation_spec.json isco_families",
        "onet_attribution": ONET_ATTRIBUTION,
        "onet_mapping_rule": "an O*NET occupation maps to the ESCO occupation its titles name most in ESCO's "
        f"title dictionary: its own title in the singular, listed exactly, votes {OWN_VOTE:g}; each alternate "
        f"title 1 when listed exactly, {CLOSE_VOTE:g} when it only contains or resembles an ESCO title; at "
        f"least {MIN_VOTES:g} votes, catch-alls ('All Other') unmapped; its alternate titles ESCO does not "
        "list join that occupation's onet_titles (training/data/onet_titles.py)",
        "onet_to_esco": onet_mapping,
        "families": families,
        "occupations": occupations,
    }
    return document, lexicon_doc


def write_json_lines(path: Path, document: dict, list_key: str) -> None:
    """JSON with one element of ``document[list_key]`` per line: compact, and diffs stay readable."""
    head = {k: v for k, v in document.items() if k != list_key}
    body = json.dumps(head, indent=1, ensure_ascii=False)[:-2]
    items = ",\n".join(json.dumps(item, ensure_ascii=False) for item in document[list_key])
    path.write_text(f'{body},\n "{list_key}": [\n{items}\n]}}\n', encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the esco-subset stage."""
    parser = argparse.ArgumentParser(prog="python -m training esco-subset", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--esco-dir", type=Path, default=DEFAULT_ESCO_DIR, help="folder of the ESCO CSVs (occupations, skills, links)"
    )
    parser.add_argument(
        "--onet-dir", type=Path, default=DEFAULT_ONET_DIR, help="folder of the O*NET tables (alternate titles)"
    )
    parser.add_argument("--out", type=Path, default=OUTPUT_PATH, help="where to write occupations.json")
    parser.add_argument("--lexicon-out", type=Path, default=DEFAULT_LEXICON_PATH, help="where to write the lexicon")
    args = parser.parse_args(argv)
    for folder, name in (
        *(
            (args.esco_dir, n)
            for n in ("occupations.csv", "ISCOGroups.csv", "skills.csv.gz", "occupationSkillRelations.csv.gz")
        ),
        (args.onet_dir, "Alternate Titles.txt.gz"),
    ):
        if not (folder / name).is_file():
            raise SystemExit(f"error: no {name} in {folder}")
    document, lexicon = build(args.esco_dir, onet_dir=args.onet_dir)
    write_json_lines(args.out, document, "occupations")
    args.lexicon_out.write_text(json.dumps(lexicon, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    world = [o for o in document["occupations"] if o.get("world")]
    skills = sum(len(entries) for section in ("families", "esco") for entries in lexicon[section].values())
    print(
        f"wrote {len(document['occupations'])} occupations ({len(world)} in the generated world, "
        f"{len({o['isco_group'][0] for o in world})} ISCO major groups) in {len(document['families'])} families "
        f"to {args.out} ({len(document['onet_to_esco'])} O*NET occupations mapped, "
        f"{sum(len(o.get('onet_titles', [])) for o in document['occupations'])} O*NET titles added); "
        f"{skills} skills to {args.lexicon_out}"
    )
    return 0
