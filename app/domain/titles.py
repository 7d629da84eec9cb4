"""The title dictionary the judge's field path reads titles with: normalised title -> occupations.

Built once from the taxonomy's title variants (every ESCO occupation and O*NET's mapped titles,
~50,000 keys), it answers three questions without scanning every key: which occupations a title
names exactly, which known title a longer or shuffled one contains (token-set subsets, then
Jaccard similarity through an inverted index with prefix filtering), and which known title is
written inside free text (an n-gram dictionary lookup, longest first).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations

_GENDER_TAG = re.compile(r"\((?:[mwfdx]\s*/\s*){1,3}[mwfdx]\)", re.IGNORECASE)
_NOT_TITLE_CHAR = re.compile(r"[^a-z0-9+#&' ]+")
MIN_JACCARD = 0.6  # below this overlap a title matches nothing
_MAX_SUBSET_TOKENS = 10  # longer titles skip the subset search (2^n token subsets)


def norm_title(text: str) -> str:
    """A title as a lookup key: case-folded, gender tags and punctuation removed, single-spaced."""
    text = _GENDER_TAG.sub(" ", text.casefold())
    return " ".join(_NOT_TITLE_CHAR.sub(" ", text).split())


class TitleIndex:
    """Normalised title keys -> occupation ids, with exact, fuzzy and in-text lookups."""

    def __init__(self, titles: Iterable[tuple[str, str]]):
        """``titles``: (title as written, occupation id) pairs; 'waiter/waitress' also adds each part."""
        self.occupations: dict[str, set[str]] = defaultdict(set)
        for title, occupation in titles:
            forms = title.split("/") + [title] if "/" in title else (title,)
            for form in forms:
                key = norm_title(form)
                if key:
                    self.occupations[key].add(occupation)
        self._rank = {key: rank for rank, key in enumerate(self.occupations)}  # ties: first added wins
        self._by_tokens: dict[frozenset[str], list[str]] = defaultdict(list)
        self._postings: dict[str, list[str]] = defaultdict(list)
        self._phrases: set[tuple[str, ...]] = set()
        self._size: dict[str, int] = {}
        for key in self.occupations:
            words = key.split()
            tokens = frozenset(words)
            self._by_tokens[tokens].append(key)
            for token in tokens:
                self._postings[token].append(key)
            self._phrases.add(tuple(words))
            self._size[key] = len(tokens)
        self._max_words = max((len(p) for p in self._phrases), default=0)

    def __contains__(self, key: str) -> bool:
        return key in self.occupations

    def closest(self, key: str) -> str | None:
        """The known title key closest to a normalised title: the longest known title its words
        contain (at least half of them: "line cook" holds "cook"), else the most similar one by
        Jaccard similarity of the word sets (at least MIN_JACCARD); None when nothing is close."""
        tokens = frozenset(key.split())
        if not tokens:
            return None
        if len(tokens) <= _MAX_SUBSET_TOKENS:
            ordered = sorted(tokens)
            for size in range(len(tokens), (len(tokens) + 1) // 2 - 1, -1):
                found = [
                    k for subset in combinations(ordered, size) for k in self._by_tokens.get(frozenset(subset), ())
                ]
                if found and size >= 1:
                    return min(found, key=self._rank.__getitem__)
        # Prefix filtering: a title sharing >= m of our words shares one of our |t| - m + 1 rarest.
        need = math.ceil(MIN_JACCARD * len(tokens))
        rarest = sorted(tokens, key=lambda t: (len(self._postings.get(t, ())), t))[: len(tokens) - need + 1]
        best, best_score = None, 0.0
        for token in rarest:
            for candidate in self._postings.get(token, ()):
                size = self._size[candidate]
                if size * MIN_JACCARD > len(tokens) or len(tokens) * MIN_JACCARD > size:
                    continue  # the sizes alone rule out the threshold
                shared = len(tokens & frozenset(candidate.split()))
                score = shared / (len(tokens) + size - shared)
                if score > best_score or (score == best_score and best and self._rank[candidate] < self._rank[best]):
                    best, best_score = candidate, score
        return best if best is not None and best_score >= MIN_JACCARD else None

    def in_text(self, text: str) -> str | None:
        """The longest known title written anywhere in free text (first one on ties), or None."""
        words = norm_title(text).split()
        found: str | None = None
        i = 0
        while i < len(words):
            for n in range(min(self._max_words, len(words) - i), 0, -1):
                if tuple(words[i : i + n]) in self._phrases:
                    key = " ".join(words[i : i + n])
                    if found is None or len(key) > len(found):
                        found = key
                    i += n
                    break
            else:
                i += 1
        return found
