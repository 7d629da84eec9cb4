"""The job-embedding cache: a bounded LRU keyed by the job's content, not only its id.

A job's embedding and its match-feature facts depend on the job alone, so once encoded they are
reused by every request that carries the same job. The key hashes the job's whole validated content
(an edited posting gets a new key, so a stale embedding is never served for it). A cache belongs
to one job tower: a new model version whose job tower, tokenizer and job text length are unchanged
takes the cache over; another starts its own, warmed by the registry on the most recently encoded
jobs, whose texts the cache keeps for that purpose (a bounded number of them).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.domain.featurize import JobFacts
from app.domain.schemas import Job


def job_key(job: Job) -> bytes:
    """16-byte content key of a job (its canonical JSON, every field)."""
    return hashlib.blake2b(job.model_dump_json().encode(), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class CachedJob:
    """What a request needs of a job it has seen before."""

    embedding: np.ndarray  # [dim] float32, job tower output
    facts: JobFacts


RECENT_TEXTS = 2000  # job texts kept to warm the next model version with (a few MB at most)


class JobCache:
    """Thread-safe LRU of :class:`CachedJob` by content key, with hit / miss counts."""

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

    def get_many(self, keys: list[bytes]) -> list[CachedJob | None]:
        """Entries for ``keys`` (None where absent), counting hits and misses and refreshing recency."""
        out: list[CachedJob | None] = []
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                    if key in self._texts:
                        self._texts.move_to_end(key)
                out.append(entry)
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
