"""`python -m training.policy.title_coverage`: how many real job titles the judge's field path recognises.

Reads O*NET's sample of titles job holders reported for their own job (never in the judge's
dictionary) and its alternate titles (mapped into the dictionary by text, see
training/data/onet_titles.py), resolves each through the judge's canonicaliser, and reports the
share recognised and, for titles of an O*NET occupation mapped to an ESCO occupation, the share
resolved to that occupation (and to its family). ``--esco-only`` leaves O*NET's titles out of the
dictionary: the alternate titles are then as unseen as the reported ones.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from app.domain.canonical import FieldCanonicalizer
from app.domain.occupations import Taxonomy, default_taxonomy
from app.domain.skills import default_lexicon
from training.data.esco_subset import DEFAULT_ONET_DIR
from training.data.onet_titles import read_tsv


def esco_only(taxonomy: Taxonomy) -> Taxonomy:
    """The taxonomy without O*NET's titles."""
    occupations = {k: dataclasses.replace(o, onet_titles=()) for k, o in taxonomy.occupations.items()}
    return dataclasses.replace(taxonomy, occupations=occupations)


def coverage(canon: FieldCanonicalizer, titles: list[tuple[str, str]], mapping: dict[str, str]) -> dict:
    """Shares of (O*NET code, title) pairs recognised, and resolved to the mapped ESCO occupation/family."""
    occupations = canon.taxonomy.occupations
    recognised = right = right_family = mapped = 0
    for code, title in titles:
        found = canon.occupation_from_title(title)
        recognised += found is not None
        if code in mapping:
            mapped += 1
            right += found == mapping[code]
            right_family += found is not None and occupations[found].family == occupations[mapping[code]].family
    return {
        "titles": len(titles),
        "recognised": round(recognised / max(1, len(titles)), 4),
        "titles_of_mapped_occupations": mapped,
        "same_occupation_as_mapping": round(right / max(1, mapped), 4),
        "same_family_as_mapping": round(right_family / max(1, mapped), 4),
    }


def measure(onet_dir: Path, taxonomy: Taxonomy, mapping: dict[str, str]) -> dict:
    """Coverage of O*NET's reported and alternate titles by the judge's field path over ``taxonomy``."""
    canon = FieldCanonicalizer(taxonomy, default_lexicon())
    reported = [
        (r["O*NET-SOC Code"], r["Reported Job Title"]) for r in read_tsv(onet_dir / "Sample of Reported Titles.txt")
    ]
    alternate = [(r["O*NET-SOC Code"], r["Alternate Title"]) for r in read_tsv(onet_dir / "Alternate Titles.txt.gz")]
    return {
        "reported_titles": coverage(canon, reported, mapping),
        "alternate_titles": coverage(canon, alternate, mapping),
    }


def main(argv: list[str] | None = None) -> int:
    """Print (and with --out, write) the judge's title coverage on O*NET's titles."""
    parser = argparse.ArgumentParser(
        prog="python -m training.policy.title_coverage", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--onet-dir", type=Path, default=DEFAULT_ONET_DIR, help="folder of the O*NET tables")
    parser.add_argument("--esco-only", action="store_true", help="leave O*NET's titles out of the dictionary")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    if not (args.onet_dir / "Sample of Reported Titles.txt").is_file():
        raise SystemExit(f"error: no 'Sample of Reported Titles.txt' in {args.onet_dir}")
    taxonomy = default_taxonomy()
    report = measure(args.onet_dir, esco_only(taxonomy) if args.esco_only else taxonomy, taxonomy.onet_to_esco)
    report["dictionary"] = "ESCO only" if args.esco_only else "ESCO + O*NET alternate titles"
    for name in ("reported_titles", "alternate_titles"):
        r = report[name]
        print(
            f"{name.replace('_', ' ')}: {r['recognised']:.1%} of {r['titles']:,} recognised; of the "
            f"{r['titles_of_mapped_occupations']:,} of O*NET occupations mapped to ESCO, "
            f"{r['same_occupation_as_mapping']:.1%} resolve to that occupation, {r['same_family_as_mapping']:.1%} to its family"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
