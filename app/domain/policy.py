"""Load and validate the machine-readable product policy (policy.toml, beside this module).

It lives in the service's domain because the student's rule features (app/domain/rule_features.py)
apply the policy's rules at request time; the judge (training/policy/judge.py) reads the same file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.toml")
GRADE_COUNT = 5


class PolicyError(ValueError):
    """The policy file is malformed; the message names the offending key."""


@dataclass(frozen=True)
class Policy:
    """The numbers of the product policy; the rule logic lives in rule_features.py (``rule_verdict``)."""

    name: str
    version: str
    grade_names: tuple[str, ...]
    block_on_authorization: bool
    block_on_location: bool
    same_occupation: tuple[tuple[float, int], ...]
    same_family: tuple[tuple[float, int], ...]
    other_family: tuple[tuple[float, int], ...]
    other_family_cap: int
    coverage_without_requirements: float
    seniority_free_gap: int
    seniority_penalty: int
    seniority_cap_gap: int
    seniority_cap: int
    salary_penalty: int
    remote_preference_onsite_penalty: int
    blend_relevance: float
    blend_engagement: float

    def blend(self, grade, engagement_probability):
        """The business blend of relevance (a grade 0-4) and engagement, in [0, 1]; scalars or arrays."""
        return self.blend_relevance * grade / (GRADE_COUNT - 1) + self.blend_engagement * engagement_probability


def _band_table(raw: object, key: str) -> tuple[tuple[float, int], ...]:
    if not isinstance(raw, list) or not raw:
        raise PolicyError(f"function.{key}: expected a non-empty list of [min_coverage, grade]")
    rows = []
    for row in raw:
        if not (isinstance(row, list) and len(row) == 2):
            raise PolicyError(f"function.{key}: each row must be [min_coverage, grade], got {row!r}")
        coverage, grade = float(row[0]), row[1]
        if not (0.0 <= coverage <= 1.0) or not isinstance(grade, int) or not 0 <= grade < GRADE_COUNT:
            raise PolicyError(f"function.{key}: row {row!r} needs coverage in [0, 1] and a grade 0-4")
        rows.append((coverage, grade))
    rows.sort(key=lambda r: -r[0])
    if rows[-1][0] != 0.0:
        raise PolicyError(f"function.{key}: the last row must start at coverage 0.0")
    return tuple(rows)


def load_policy(path: str | Path | None = None) -> Policy:
    """Read a policy TOML file (None: the bundled one); raises PolicyError naming the key on any problem."""
    path = DEFAULT_POLICY_PATH if path is None else path
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"cannot read policy {path}: {exc}") from exc
    try:
        grades = tuple(raw["grades"])
        if len(grades) != GRADE_COUNT:
            raise PolicyError(f"grades: expected {GRADE_COUNT} names, got {len(grades)}")
        fn, sen, blend = raw["function"], raw["seniority"], raw["blend"]
        policy = Policy(
            name=str(raw["name"]),
            version=str(raw["version"]),
            grade_names=grades,
            block_on_authorization=bool(raw["blockers"]["work_authorization"]),
            block_on_location=bool(raw["blockers"]["location"]),
            same_occupation=_band_table(fn["same_occupation"], "same_occupation"),
            same_family=_band_table(fn["same_family"], "same_family"),
            other_family=_band_table(fn["other_family"], "other_family"),
            other_family_cap=int(fn["other_family_cap"]),
            coverage_without_requirements=float(fn["coverage_without_requirements"]),
            seniority_free_gap=int(sen["free_gap"]),
            seniority_penalty=int(sen["penalty"]),
            seniority_cap_gap=int(sen["cap_gap"]),
            seniority_cap=int(sen["cap"]),
            salary_penalty=int(raw["salary"]["penalty"]),
            remote_preference_onsite_penalty=int(raw["workplace"]["remote_preference_onsite_penalty"]),
            blend_relevance=float(blend["relevance"]),
            blend_engagement=float(blend["engagement"]),
        )
    except KeyError as exc:
        raise PolicyError(f"policy {path}: missing key {exc.args[0]!r}") from exc
    if abs(policy.blend_relevance + policy.blend_engagement - 1.0) > 1e-6:
        raise PolicyError("blend: relevance + engagement must sum to 1")
    if not 0 <= policy.seniority_free_gap < policy.seniority_cap_gap:
        raise PolicyError("seniority: need 0 <= free_gap < cap_gap")
    return policy


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The bundled policy."""
    return load_policy(DEFAULT_POLICY_PATH)
