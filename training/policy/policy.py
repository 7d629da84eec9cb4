"""The product policy, as the training stages use it: ``app/domain/policy.py`` holds it (the service's
rule features read it too); here a malformed policy file is a ``TrainingError`` (one line at the CLI)."""

from __future__ import annotations

from pathlib import Path

from app.domain import policy as domain
from app.domain.policy import DEFAULT_POLICY_PATH, GRADE_COUNT, Policy, default_policy
from training.errors import TrainingError

__all__ = ["DEFAULT_POLICY_PATH", "GRADE_COUNT", "Policy", "PolicyError", "default_policy", "load_policy"]


class PolicyError(TrainingError, domain.PolicyError):
    """The policy file is malformed; the message names the offending key."""


def load_policy(path: str | Path | None = None) -> Policy:
    """Read a policy TOML file (None: the bundled one); raises PolicyError naming the key on any problem."""
    try:
        return domain.load_policy(path)
    except domain.PolicyError as exc:
        raise PolicyError(str(exc)) from exc
