"""The job-embedding cache (a bounded LRU keyed by the job's content, not only its id) and the member one.

A job's embedding and its match-feature facts depend on the job alone, so once encoded they are
reused by every request that carries the same job. The key hashes the job's whole validated content
(an edited posting gets a new key, so a stale embedding is never served for it). A cache belongs
to one job tower: a new model version whose job tower, tokenizer and job text length are unchanged
takes the cache over; another starts its own, warmed by the registry on the most recently encoded
jobs, whose texts the cache keeps for that purpose (a bounded number of them).

A member's embedding depends on the member text alone (the tower runs each text by itself), so a
member who asks again (the next page, a refresh, another candidate set) reuses it:
:class:`MemberCache`, keyed by a hash of that text, one per engine (a new model starts empty). The
match features' member side depends on the member's content alone: a second :class:`MemberCache`
keeps it by a hash of the member's JSON.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from app.domain.featurize import JobFacts
from app.domain.schemas import Job

_job_json = Job.__pydantic_serializer__.to_json  # what model_dump_json() encodes, without its wrapper


def job_key(job: Job) -> bytes:
    """16-byte content key of a job (its canonical JSON, every field)."""
    return hashlib.blake2b(_job_json(job), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class CachedJob:
    """What a request needs of a job it has seen before."""

    embedding: np.ndarray  # [dim] float32, job tower output
    facts: JobFacts


RECENT_TEXTS = 2000  # job texts kept to warm the next model version with (a few MB at most)


class JobCache:
    """Thread-safe LRU of :class:`CachedJob` by content key, with hit / miss counts of ranking lookups."""

    def __init__(self, capacity: int, recent_texts: int = RECENT_TEXTS):
        self.capacity = capacity
        self.recent_texts = recent_texts
        self._entries: OrderedDict[bytes, CachedJob] = OrderedDict()
        self._texts: OrderedDict[bytes, str] = OrderedDict()  # most recently used last
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get_many(self, keys: list[bytes], count: bool = True) -> list[CachedJob | None]:
        """Entries for ``keys`` (None where absent), refreshing recency; hits and misses are counted unless
        ``count`` is false (indexing looks jobs up too, but the hit rate is that of ranking requests)."""
        out: list[CachedJob | None] = []
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                    if key in self._texts:
                        self._texts.move_to_end(key)
                out.append(entry)
            if count:
                found = sum(entry is not None for entry in out)
                self.hits += found
                self.misses += len(keys) - found
        return out

    def put_many(self, items: list[tuple[bytes, CachedJob]], texts: Sequence[str] | None = None) -> None:
        """Insert or refresh entries, evicting the least recently used beyond capacity; ``texts`` (the job
        texts the embeddings came from, one per item) are kept for the most recent jobs."""
        if self.capacity <= 0:
            return
        with self._lock:
            for key, entry in items:
                self._entries[key] = entry
                self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
            if texts is not None and self.recent_texts > 0:
                for (key, _), text in zip(items, texts, strict=True):
                    self._texts[key] = text
                    self._texts.move_to_end(key)
                while len(self._texts) > self.recent_texts:
                    self._texts.popitem(last=False)

    def recent(self, limit: int) -> list[tuple[bytes, CachedJob, str]]:
        """Up to ``limit`` cached jobs whose texts are known, most recently used first."""
        out = []
        with self._lock:
            for key in reversed(self._texts):
                entry = self._entries.get(key)
                if entry is not None:
                    out.append((key, entry, self._texts[key]))
                    if len(out) >= limit:
                        break
        return out

    def hit_rate(self) -> float:
        """Hits / lookups since start (0 before any lookup)."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


def _text_key(text: str | bytes) -> bytes:
    return hashlib.blake2b(text.encode() if isinstance(text, str) else text, digest_size=16).digest()


V = TypeVar("V")


class MemberCache(Generic[V]):
    """Thread-safe LRU of what depends on a member alone (the tower's embedding by member text, the
    match features' member side by the member's JSON), keyed by a 16-byte hash, with hit / miss counts."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._entries: OrderedDict[bytes, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, text: str | bytes) -> V | None:
        """The value kept for ``text`` (refreshing its recency), or None."""
        key = _text_key(text)
        with self._lock:
            vector = self._entries.get(key)
            if vector is None:
                self.misses += 1
            else:
                self.hits += 1
                self._entries.move_to_end(key)
            return vector

    def put(self, text: str | bytes, vector: V) -> None:
        """Keep ``vector`` for ``text``, evicting the least recently used beyond capacity."""
        if self.capacity <= 0:
            return
        key = _text_key(text)
        with self._lock:
            self._entries[key] = vector
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
