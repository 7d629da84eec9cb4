"""O*NET's alternate titles for the judge's title dictionary, mapped to ESCO occupations by text.

Part of `python -m training esco-subset`. O*NET (US) and ESCO (EU) are independent taxonomies
without a crosswalk, so the mapping goes through titles. The rule: an O*NET occupation maps to
the ESCO occupation its titles name most in ESCO's title dictionary (after normalisation: case,
punctuation, gender tags): its own title in the singular ("Registered Nurses" -> "registered
nurse") (each part of "X and Y") votes OWN_VOTE when ESCO lists it exactly; each alternate or short title
votes 1 when ESCO lists it exactly, CLOSE_VOTE when it only contains or resembles an ESCO title of
two words or more (the judge's own fuzzy match, titles.py), split between the occupations sharing
that title; at least MIN_VOTES are needed, ties go to the lower ESCO code, and
catch-alls ("..., All Other") map to nothing. Its alternate titles that ESCO does not already
list are then added to that ESCO occupation (``onet_titles``), except one-word titles that
end many ESCO titles ("Officer", "Nurse"), never to the generated world's
own titles (the generator writes only ESCO's titles), and never the titles the *real titles*
evaluation split uses (benchmark_sets.py), so the rules meet those unseen like every model. The sample of titles job
holders reported is left out: it measures the dictionary (README "Your own data") and makes the
members of the *real titles* evaluation split.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter, defaultdict
from pathlib import Path

from app.domain.titles import TitleIndex, norm_title

MIN_VOTES = 2.0
OWN_VOTE = 3.0
CLOSE_VOTE = 0.5
MAX_TITLE_CHARS = 60
MAX_TITLES_PER_OCCUPATION = 80
GENERIC_HEAD_TITLES = 5  # a one-word title that ends this many ESCO titles is too generic to add


def read_tsv(path: Path) -> list[dict]:
    """Rows of an O*NET tab-separated table, gzip-compressed or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def singular(title: str) -> str:
    """An O*NET occupation title in the singular: its last word de-pluralised ('Nurses' -> 'Nurse')."""
    head, _, last = title.rpartition(" ")
    for plural, single in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"), ("s", "")):
        if last.endswith(plural) and not last.endswith("ss"):
            last = last[: -len(plural)] + single
            break
    return f"{head} {last}".strip()


def onet_titles(
    onet_dir: Path, esco: TitleIndex, held_out: frozenset[str] = frozenset()
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(ESCO occupation id -> O*NET alternate titles to add, O*NET code -> ESCO occupation id).

    ``esco``: the title index of ESCO's own titles; ``held_out``: normalised titles never to add
    (those of the *real titles* evaluation split, so the rules meet them unseen like every model)."""
    names = {r["O*NET-SOC Code"]: r["Title"] for r in read_tsv(onet_dir / "Occupation Data.txt")}
    alternates: dict[str, list[str]] = defaultdict(list)
    for row in read_tsv(onet_dir / "Alternate Titles.txt.gz"):
        for title in (row["Alternate Title"], row["Short Title"]):
            if title and title != "n/a" and len(title) <= MAX_TITLE_CHARS:
                alternates[row["O*NET-SOC Code"]].append(title.strip())
    mapping: dict[str, str] = {}
    for code, name in sorted(names.items()):
        if "All Other" in name:
            continue  # a catch-all ("Metal Workers and Plastic Workers, All Other") is no one occupation
        votes: dict[str, float] = defaultdict(float)
        for part in re.split(r",\s*|\s+and\s+", name):  # "Radiologic Technologists and Technicians"
            for occupation in esco.occupations.get(norm_title(singular(part)), ()):
                votes[occupation] += OWN_VOTE
        for title in dict.fromkeys(alternates[code]):
            key = norm_title(title)
            found = key if key in esco else esco.closest(key)
            if found is None or " " not in found:
                continue  # one word ("technician", "consultant") says too little
            owners = esco.occupations[found]
            for occupation in owners:  # a title several occupations share votes for each, less
                votes[occupation] += (1.0 if found == key else CLOSE_VOTE) / len(owners)
        if votes:
            best = min(votes, key=lambda o: (-votes[o], o))
            if votes[best] >= MIN_VOTES:
                mapping[code] = best
    added: dict[str, list[str]] = defaultdict(list)
    seen = set(esco.occupations) | held_out
    # A bare head noun many ESCO titles end with ("Officer", "Nurse") names no one occupation.
    heads = Counter(key.rsplit(" ", 1)[-1] for key in esco.occupations)
    for code, occupation in sorted(mapping.items()):
        for title in alternates[code]:
            key = norm_title(title)
            if " " not in key and heads[key] >= GENERIC_HEAD_TITLES:
                continue
            if key and key not in seen and len(added[occupation]) < MAX_TITLES_PER_OCCUPATION:
                seen.add(key)
                added[occupation].append(title)
    return dict(added), mapping
