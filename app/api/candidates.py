"""Validated candidates kept by the digest of their JSON: a job seen before is not validated again.

Ranking requests repeat jobs (one catalogue ranked for many members). Validating 100 jobs with
pydantic (~0.6 ms) and hashing each one's canonical JSON for its content key (~0.45 ms,
app/ranking/cache.py) are the largest Python costs of a warm request after the model. Here each
parsed candidate is encoded again with orjson (a faithful encoding of the parsed JSON, ~2 µs) and
hashed; a candidate whose digest is known reuses its validated (frozen) :class:`Job` and content
key. Validation is a pure function of the parsed JSON, so the request built is the one full
validation would build; on any error the whole body is validated again the usual way, so the 422
names every field exactly as before.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from app.api.body import validate
from app.domain.schemas import Job
from app.ranking.cache import job_key
from app.schemas import RankRequest

_JOBS = TypeAdapter(list[Job])


def _digest(item: Any) -> bytes:
    return hashlib.blake2b(orjson.dumps(item), digest_size=16).digest()


class ValidatedJobs:
    """Thread-safe LRU: digest of a candidate's JSON -> (validated job, its content key)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._entries: OrderedDict[bytes, tuple[Job, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def rank_request(self, data: dict[str, Any]) -> tuple[RankRequest, list[bytes]]:
        """The validated request and its candidates' content keys (422 naming each bad field, as
        :func:`app.api.body.validate`)."""
        items = data.get("candidates")
        if self.capacity <= 0 or not isinstance(items, list) or not items:
            request = validate(RankRequest, data)
            return request, [job_key(job) for job in request.candidates]
        digests = [_digest(item) for item in items]
        with self._lock:
            found = [self._entries.get(digest) for digest in digests]
        missing = [i for i, entry in enumerate(found) if entry is None]
        try:
            head = RankRequest.model_validate({**data, "candidates": []})
            fresh = _JOBS.validate_python([items[i] for i in missing])
        except ValidationError:
            request = validate(RankRequest, data)  # raises the 422 that names every field
            return request, [job_key(job) for job in request.candidates]
        new = [(digests[i], (job, job_key(job))) for i, job in zip(missing, fresh, strict=True)]
        for i, (_, entry) in zip(missing, new, strict=True):
            found[i] = entry
        with self._lock:
            for digest, entry in new:
                self._entries[digest] = entry
            for digest in digests:  # every candidate of this request is now the most recent
                self._entries.move_to_end(digest)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
            self.hits += len(items) - len(missing)
            self.misses += len(missing)
        jobs = [entry[0] for entry in found if entry is not None]
        return head.model_copy(update={"candidates": jobs}), [entry[1] for entry in found if entry is not None]
