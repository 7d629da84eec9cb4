"""Simulated member behaviour (apply / click / dismiss): the signal the engagement teacher learns.

It depends on policy fit, but also on what the policy does not weigh — pay above expectation,
company popularity, recency, remote work, position in the list — plus noise, so it disagrees with
the policy often enough to matter. The model (all numbers below are this simulation's choice):

    examined  ~ Bernoulli(1 / (1 + position / 20))                      position bias
    utility   = 1.1 (grade - 2) + 0.9 pay + 1.2 (popularity - 0.5)
              + 0.8 (exp(-age_days / 14) - 0.5) + 0.3 remote + Logistic(0, 1)
    action    = apply if utility > 1.8, click if > 0.4, dismiss if < -0.8 (60 %), else none
              (and none when not examined)

where ``pay`` = clip(3 log(job max / member min), -1.5, 1.5) when comparable, +0.2 when the job
states pay the member did not ask about, -0.2 when it states none. Positive = apply or click.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from app.domain.featurize import annual_amount
from app.domain.schemas import Job, Member, WorkplaceType

ACTIONS = ("apply", "click", "dismiss", "none")
POSITIVE_ACTIONS = frozenset({"apply", "click"})


@dataclass(frozen=True)
class EngagementModel:
    """Coefficients of the behaviour simulation (see module docstring)."""

    position_scale: float = 20.0
    grade_weight: float = 1.1
    pay_weight: float = 0.9
    popularity_weight: float = 1.2
    recency_weight: float = 0.8
    recency_days: float = 14.0
    remote_bonus: float = 0.3
    apply_threshold: float = 1.8
    click_threshold: float = 0.4
    dismiss_threshold: float = -0.8
    dismiss_share: float = 0.6


def _pay_attraction(member: Member, job: Job) -> float:
    if job.salary is None:
        return -0.2
    if member.min_salary is None or member.min_salary.currency != job.salary.currency or member.min_salary.amount <= 0:
        return 0.2
    ratio = annual_amount(job.salary.max, job.salary.period) / annual_amount(
        member.min_salary.amount, member.min_salary.period
    )
    return max(-1.5, min(1.5, 3.0 * math.log(max(ratio, 1e-6))))


def simulate_action(
    rng: random.Random,
    member: Member,
    job: Job,
    grade: int,
    position: int,
    popularity: float,
    age_days: float,
    model: EngagementModel = EngagementModel(),
) -> str:
    """One member's reaction to one job shown at ``position`` (0 = top)."""
    examined = rng.random() < 1.0 / (1.0 + position / model.position_scale)
    # Draw the noise even when unexamined so one pair's draw never shifts the next pair's.
    u = min(max(rng.random(), 1e-9), 1 - 1e-9)
    noise = math.log(u / (1 - u))
    dismiss_roll = rng.random()
    if not examined:
        return "none"
    utility = (
        model.grade_weight * (grade - 2)
        + model.pay_weight * _pay_attraction(member, job)
        + model.popularity_weight * (popularity - 0.5)
        + model.recency_weight * (math.exp(-age_days / model.recency_days) - 0.5)
        + model.remote_bonus * (job.workplace_type is WorkplaceType.remote)
        + noise
    )
    if utility > model.apply_threshold:
        return "apply"
    if utility > model.click_threshold:
        return "click"
    if utility < model.dismiss_threshold and dismiss_roll < model.dismiss_share:
        return "dismiss"
    return "none"
