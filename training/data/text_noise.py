"""The noise real profiles and postings carry: skill spellings, typos, list styles, title variants."""

from __future__ import annotations

import random

from app.domain.occupations import Occupation
from app.domain.schemas import Seniority
from app.domain.skills import SkillLexicon
from training.data.world import TITLE_PREFIXES

_KEYBOARD_NEIGHBOURS = {
    "a": "sq",
    "e": "wr",
    "i": "uo",
    "o": "ip",
    "n": "bm",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "l": "k",
    "c": "xv",
}


def surface(rng: random.Random, lexicon: SkillLexicon, skill_id: str, canonical_share: float = 0.55) -> str:
    """One spelling of a skill: its canonical name, or one of its synonyms/abbreviations."""
    skill = lexicon.skills[skill_id]
    if not skill.aliases or rng.random() < canonical_share:
        name = skill.name
    else:
        name = rng.choice(skill.aliases)
    roll = rng.random()
    if roll < 0.08:
        return name.lower()
    if roll < 0.10 and len(name) > 3:
        return name.upper()
    return name


def typo(rng: random.Random, word: str) -> str:
    """The word with one typing slip: swapped, dropped, doubled or neighbouring key."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    neighbours = _KEYBOARD_NEIGHBOURS.get(word[i].lower())
    return word[:i] + rng.choice(neighbours) + word[i + 1 :] if neighbours else word


def add_typos(rng: random.Random, text: str, rate: float) -> str:
    """Text with roughly ``rate`` of its longer words mistyped."""
    if rate <= 0:
        return text
    words = text.split(" ")
    return " ".join(typo(rng, w) if len(w) >= 5 and w.isalpha() and rng.random() < rate else w for w in words)


def join_list(rng: random.Random, items: list[str]) -> str:
    """Items written the way people list things: commas, 'and', slashes or semicolons."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    style = rng.randrange(4)
    if style == 0:
        return ", ".join(items[:-1]) + " and " + items[-1]
    if style == 1:
        return ", ".join(items)
    if style == 2:
        return " / ".join(items)
    return "; ".join(items)


def title_variant(
    rng: random.Random, occupation: Occupation, seniority: Seniority | None, preferred_share: float = 0.4
) -> str:
    """A job title as employers write it: an ESCO variant with a level prefix and casing noise."""
    base = occupation.titles[0] if rng.random() < preferred_share else rng.choice(occupation.titles)
    if "/" in base and rng.random() < 0.7:
        base = rng.choice(base.split("/"))  # 'waiter/waitress' -> 'waiter'
    title = base.strip().title() if rng.random() < 0.8 else base.strip()
    if seniority is not None and rng.random() < 0.65:
        prefix = rng.choice(TITLE_PREFIXES[seniority])
        if prefix:
            title = f"{prefix} {title}"
    return title
