"""What the judge understands of a member or a job: occupation, family and canonical skills.

The generator knows it as latent truth (marketplace.py); on users' own data the judge stage
recovers it from the schema fields (training/policy/canonicalize.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CanonicalView:
    """What the judge understands of one side: occupation id, family and canonical skill ids.

    ``occupation``/``family`` are None when they could not be recognised. For a job, ``skills``
    are its *required* skills and ``preferred`` the nice-to-haves.
    """

    occupation: str | None
    family: str | None
    skills: frozenset[str]
    preferred: frozenset[str] = field(default_factory=frozenset)
