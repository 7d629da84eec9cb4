"""Place names as users write them: a job's "city" is often an address ("The Royal Free Hospital,
London NW3 2QG"). Two places are the same when any comma-separated part of one, normalised (accents,
case, punctuation) and without tokens holding digits (postcodes, street numbers), equals a part of
the other."""

from __future__ import annotations

import re

from app.domain.featurize import normalize_city


def place_keys(place: str) -> frozenset[str]:
    """The comparable keys of a place name: each comma-separated part, normalised, digits-tokens dropped."""
    keys = set()
    for part in re.split(r"[,;/|]", place):
        words = [w for w in normalize_city(part).split() if not any(c.isdigit() for c in w)]
        if words:
            keys.add(" ".join(words))
    return frozenset(keys)


def same_place(a: str, b: str) -> bool:
    """Whether two place names (a city, or an address naming one) name the same place."""
    return bool(place_keys(a) & place_keys(b))
