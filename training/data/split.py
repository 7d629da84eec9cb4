"""Split by member: every pair of a member lands in the same split, decided by a hash of the id."""

from __future__ import annotations

import hashlib

SPLITS = ("train", "val", "test")
_BOUNDS = (0.7, 0.8)  # train < 0.7 <= val < 0.8 <= test


def split_of(member_id: str, seed: int = 0) -> str:
    """'train' (70 %), 'val' (10 %) or 'test' (20 %), stable for a member id and seed."""
    digest = hashlib.sha1(f"{seed}:{member_id}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    return "train" if u < _BOUNDS[0] else "val" if u < _BOUNDS[1] else "test"
