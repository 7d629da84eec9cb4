"""The bundled skills lexicon: jobrank's hand-written skills (skills_spec.json) merged with ESCO's.

Part of `python -m training esco-subset`. An ESCO skill that shares a spelling with a hand-written
skill becomes more spellings of that skill ("Python (computer programming)" joins Python, so
"k8s" and friends keep resolving); every other ESCO skill is a skill of its own, named by its
preferred label, spelt by its alternative labels (the lexicon's "esco" section: exact spellings,
typo tolerance for single words only). A spelling two skills share is dropped from
both (a hand-written spelling always stays), so resolution never guesses. Single words from ESCO
("cooking", "Ruby") resolve in a skills list but are not spotted in free text unless they look
technical (inner capitals, digits or symbols: "JavaScript", "SA8000").
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

from app.domain.skills import normalize, skill_id

SPEC_PATH = Path(__file__).with_name("skills_spec.json")
MAX_ALT_LABELS = 4  # ESCO lists up to dozens of spellings per skill; the shortest few are the common ones
MAX_LABEL_CHARS = 60
# ESCO reuse levels, most defining first: an occupation's core skills are ordered by it.
REUSE_ORDER = {"occupation-specific": 0, "sector-specific": 1, "cross-sector": 2, "transversal": 3}
_TECHNICAL_WORD = re.compile(r".[A-Z]|[0-9+#.]")


def read_csv(path: Path) -> list[dict]:
    """Rows of a CSV file, gzip-compressed or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _spotted_in_text(surface: str) -> bool:
    """Whether an ESCO spelling may be spotted in free text (see module docstring)."""
    words = surface.split()
    if len(words) > 1:
        return True
    return bool(_TECHNICAL_WORD.search(surface)) and len(surface) > 2


class LexiconBuilder:
    """Merges ESCO's skills into the hand-written lexicon; maps ESCO skill URIs to lexicon ids."""

    def __init__(self, esco_dir: Path, spec_path: Path = SPEC_PATH):
        self.spec = json.loads(spec_path.read_text(encoding="utf-8"))
        self.rows = {r["conceptUri"]: r for r in read_csv(esco_dir / "skills.csv.gz") if r["preferredLabel"]}
        self.hand_family: dict[str, str] = {}
        hand_surface: dict[str, str] = {}
        for family, entries in self.spec["families"].items():
            for name, aliases in entries.items():
                self.hand_family[skill_id(name)] = family
                for surface in (name, *aliases):
                    hand_surface[normalize(surface)] = skill_id(name)
        self.id_of: dict[str, str] = {}  # ESCO skill URI -> lexicon skill id
        self.names: dict[str, str] = {}  # ESCO-only skill id -> name
        self.esco_surfaces: dict[str, list[str]] = defaultdict(list)  # skill id -> ESCO spellings
        self.reuse: dict[str, int] = {}
        for uri, row in sorted(self.rows.items(), key=lambda kv: kv[1]["preferredLabel"]):
            labels = [row["preferredLabel"].strip()]
            alts = sorted({a.strip() for a in row["altLabels"].splitlines() if a.strip()}, key=lambda a: (len(a), a))
            labels += [a for a in alts if len(a) <= MAX_LABEL_CHARS][:MAX_ALT_LABELS]
            merged = next((hand_surface[normalize(s)] for s in labels if normalize(s) in hand_surface), None)
            sid = merged or skill_id(labels[0])
            if not sid:
                continue
            self.id_of[uri] = sid
            if merged is None:
                self.names.setdefault(sid, labels[0])
            self.esco_surfaces[sid] += labels
            self.reuse[sid] = min(self.reuse.get(sid, 9), REUSE_ORDER.get(row["reuseLevel"], 3))
        self.hand_surfaces = set(hand_surface)

    def skill_order(self, sid: str) -> tuple[int, str]:
        """Sort key of an occupation's skills: hand-written first, then the most defining."""
        return (-1 if sid in self.hand_family else self.reuse.get(sid, 9), sid)

    def document(self, family_votes: dict[str, Counter[str]]) -> dict:
        """The lexicon JSON. ``family_votes``: per skill id, how often each occupation family uses it
        (an ESCO skill belongs to the family using it most; transversal skills are generic)."""
        owners: dict[str, set[str]] = defaultdict(set)
        for sid, surfaces in self.esco_surfaces.items():
            for surface in surfaces:
                owners[normalize(surface)].add(sid)
        families: dict[str, dict[str, list[str]]] = {f: {} for f in self.spec["families"]}
        esco: dict[str, dict[str, list[str]]] = {}
        ambiguous = set(self.spec.get("text_ambiguous", []))
        for family, entries in self.spec["families"].items():
            for name, aliases in entries.items():
                sid = skill_id(name)
                extra = [
                    s
                    for s in dict.fromkeys(self.esco_surfaces.get(sid, []))
                    if normalize(s) not in self.hand_surfaces and owners[normalize(s)] == {sid}
                ]
                families[family][name] = [*aliases, *_unique(extra)]
                ambiguous |= {s for s in extra if not _spotted_in_text(s)}
        for sid, name in sorted(self.names.items()):
            if sid in self.hand_family or sid not in family_votes:
                continue  # a skill no occupation of the taxonomy uses
            votes = family_votes[sid]
            family = "generic" if self.reuse.get(sid) == REUSE_ORDER["transversal"] else votes.most_common(1)[0][0]
            surfaces = [
                s
                for s in _unique(self.esco_surfaces[sid])
                if normalize(s) not in self.hand_surfaces and owners[normalize(s)] == {sid}
            ]
            if normalize(name) not in {normalize(s) for s in surfaces}:
                continue  # its own name is shared with another skill: nothing safe to call it
            esco.setdefault(family, {})[name] = [s for s in surfaces if normalize(s) != normalize(name)]
            ambiguous |= {s for s in surfaces if not _spotted_in_text(s)}
        return {
            "_about": self.spec["_about"],
            "attribution": "Skills marked ESCO: ESCO v1.1.1 skills and knowledge concepts (preferred and "
            "alternative labels), European Commission, reused under Commission Decision 2011/833/EU with "
            "attribution; merged with jobrank's own hand-written skills and spellings (training/data/skills_spec.json).",
            "families": families,
            "esco": esco,
            "text_ambiguous": sorted(ambiguous),
        }


def _unique(surfaces: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for surface in surfaces:
        if normalize(surface) not in seen:
            seen.add(normalize(surface))
            out.append(surface)
    return out
