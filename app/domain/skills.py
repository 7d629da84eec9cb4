"""Skill lexicon: canonical skills, their surface forms, and resolution of what profiles write.

The same lexicon serves three readers: the generator (to write a skill in one of its spellings),
the policy judge's field path (to resolve "k8s" to Kubernetes), and the match features the
models read at serve time. The bundled one (skills_lexicon.json, built by `python -m training
esco-subset`) is jobrank's hand-written skills merged with ESCO's ~13,000 skills. A user plugs in
their own vocabulary by passing another JSON file of the same shape to :meth:`SkillLexicon.from_file`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_LEXICON_PATH = Path(__file__).with_name("skills_lexicon.json")

# Surface forms that are also ordinary English (or too short to trust) are resolved when they
# are a whole entry of a skills list, but never spotted inside free text.
_MIN_FUZZY_CHARS = 6
# Typo tolerance covers what people type in a skills list (a name of one or two words); ESCO's long
# phrases would multiply the deletion index (and start-up time and memory) for little gain.
_MAX_FUZZY_CHARS = 20
_MAX_FUZZY_WORDS = 2
# Longer spellings are not spotted in free text: nobody writes "apply health and safety standards
# in the cleaning of buildings" word for word, and every extra word costs a lookup per token.
_MAX_PHRASE_WORDS = 6
_STRIP_CHARS = " \t\r\n.,;:!?()[]{}\"'`*•-"


_SPACES = re.compile(r"\s+")


def normalize(surface: str) -> str:
    """Lookup key of a skill spelling: case-folded, trimmed, inner whitespace collapsed."""
    return _SPACES.sub(" ", surface.casefold().strip(_STRIP_CHARS))


def skill_id(name: str) -> str:
    """Canonical id of a skill name: 'Node.js' -> 'node_js', 'C++' -> 'c++'."""
    return re.sub(r"[^a-z0-9+#]+", "_", name.casefold()).strip("_")


@dataclass(frozen=True)
class Skill:
    """One canonical skill."""

    id: str
    name: str
    family: str
    aliases: tuple[str, ...]

    @property
    def surfaces(self) -> tuple[str, ...]:
        """Every spelling of the skill, the canonical name first."""
        return (self.name, *self.aliases)


class SkillLexicon:
    """Canonical skills grouped by family, with synonym and typo-tolerant resolution."""

    def __init__(
        self,
        families: dict[str, dict[str, list[str]]],
        text_ambiguous: Iterable[str] = (),
        esco: dict[str, dict[str, list[str]]] | None = None,
    ):
        """``families``: hand-curated skills {family: {name: [aliases]}}; ``esco``: the same shape for
        skills taken from a taxonomy as is, whose spellings of several words get no typo tolerance
        (their many near neighbours would turn ordinary phrases into skills: "hard working" is one
        letter from "hand working")."""
        self.skills: dict[str, Skill] = {}
        self._by_surface: dict[str, str] = {}
        self._exact_only: set[str] = set()
        for family, entries in [*families.items(), *(esco or {}).items()]:
            for name, aliases in entries.items():
                sid = skill_id(name)
                if sid in self.skills:
                    raise ValueError(f"skill '{name}' is listed twice in the lexicon")
                skill = Skill(sid, name, family, tuple(aliases))
                self.skills[sid] = skill
                for surface in skill.surfaces:
                    key = normalize(surface)
                    owner = self._by_surface.get(key)
                    if owner is not None and owner != sid:
                        raise ValueError(f"spelling '{surface}' belongs to both {owner} and {sid}")
                    self._by_surface[key] = sid
        for entries in (esco or {}).values():
            self._exact_only.update(
                normalize(s) for name, aliases in entries.items() for s in (name, *aliases) if " " in s
            )
        self._deletions = self._build_deletion_index()
        self._phrases = self._build_phrase_index({normalize(s) for s in text_ambiguous})
        self._max_phrase = max((len(k) for k in self._phrases), default=0)

    @classmethod
    def from_file(cls, path: str | Path) -> SkillLexicon:
        """Load a lexicon JSON: {"families": {family: {name: [aliases]}}, "text_ambiguous": [...]}
        and optionally "esco" (taxonomy skills, same shape as "families")."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(data["families"], data.get("text_ambiguous", ()), data.get("esco"))
        except (OSError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"cannot read skills lexicon {path}: {exc!r}") from None

    # ---- lookups -----------------------------------------------------------------------------

    def families(self) -> list[str]:
        """Family names in lexicon order."""
        return list(dict.fromkeys(s.family for s in self.skills.values()))

    def in_family(self, family: str) -> list[Skill]:
        """The skills of one family, in lexicon order."""
        return [s for s in self.skills.values() if s.family == family]

    def resolve(self, surface: str) -> str | None:
        """Canonical id for one written skill (exact spelling, then one-typo tolerance), or None."""
        key = normalize(surface)
        if key in self._by_surface:
            return self._by_surface[key]
        if len(key) < _MIN_FUZZY_CHARS:
            return None
        # Symmetric-delete lookup: one missing, extra, changed or swapped character.
        candidates = {self._deletions.get(key)}
        for deleted in _deletions(key):
            candidates.add(self._by_surface.get(deleted))
            candidates.add(self._deletions.get(deleted))
        candidates.discard(None)
        # Ambiguous typos resolve to nothing rather than to a guess.
        return candidates.pop() if len(candidates) == 1 else None

    def resolve_all(self, surfaces: Iterable[str]) -> set[str]:
        """Canonical ids of a skills list; unresolvable entries are left out."""
        out = set()
        for surface in surfaces:
            sid = self.resolve(surface)
            if sid is not None:
                out.add(sid)
        return out

    def extract(self, text: str) -> set[str]:
        """Canonical ids of the skills mentioned anywhere in free text (longest phrase wins)."""
        found: set[str] = set()
        tokens = _tokens(text)
        lowered = [t.casefold() for t in tokens]
        i = 0
        while i < len(tokens):
            for n in range(min(self._max_phrase, len(tokens) - i), 0, -1):
                entry = self._phrases.get(tuple(lowered[i : i + n]))
                if entry is not None and (entry[1] is None or tuple(tokens[i : i + n]) == entry[1]):
                    found.add(entry[0])
                    i += n
                    break
            else:
                # "Python/Django": a slashed token may hold several skills.
                if "/" in tokens[i]:
                    for part in tokens[i].split("/"):
                        entry = self._phrases.get((part.casefold(),))
                        if entry is not None and (entry[1] is None or (part,) == entry[1]):
                            found.add(entry[0])
                i += 1
        return found

    # ---- index building ----------------------------------------------------------------------

    def _build_deletion_index(self) -> dict[str, str | None]:
        index: dict[str, str | None] = {}
        for key, sid in self._by_surface.items():
            if not _MIN_FUZZY_CHARS <= len(key) <= _MAX_FUZZY_CHARS or key.count(" ") >= _MAX_FUZZY_WORDS:
                continue
            if key in self._exact_only:
                continue
            for deleted in _deletions(key):
                # Two skills one deletion apart from the same string: mark the key ambiguous.
                index[deleted] = sid if index.get(deleted, sid) == sid else None
        return {k: v for k, v in index.items() if v is not None}

    def _build_phrase_index(self, ambiguous: set[str]) -> dict[tuple[str, ...], tuple[str, tuple[str, ...] | None]]:
        """Token tuple of each spelling -> (skill id, exact tokens if it must match case, else None)."""
        phrases: dict[tuple[str, ...], tuple[str, tuple[str, ...] | None]] = {}
        for skill in self.skills.values():
            for surface in skill.surfaces:
                key = normalize(surface)
                if key in ambiguous or len(key) < 2:
                    continue
                tokens = tuple(_tokens(surface))
                if not tokens or len(tokens) > _MAX_PHRASE_WORDS:
                    continue
                # Short all-caps forms ("ML", "AWS", "RN") only count when written in capitals.
                exact = tokens if len(surface) <= 4 and surface.isupper() else None
                phrases[tuple(t.casefold() for t in tokens)] = (skill.id, exact)
        return phrases


_TOKEN = re.compile(r"[A-Za-z0-9+#](?:[A-Za-z0-9+#.&'/-]*[A-Za-z0-9+#])?")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def _deletions(key: str) -> set[str]:
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


@lru_cache(maxsize=1)
def default_lexicon() -> SkillLexicon:
    """The bundled lexicon (loaded once per process)."""
    return SkillLexicon.from_file(DEFAULT_LEXICON_PATH)
