"""`python -m training judge`: grade every pair of a dataset under the policy, writing labels.jsonl.

On generated data the judge reads the latent truth (``--source latent``, the default when truth
files exist) and, to measure it, also runs the field path and reports how well the two agree. On
users' own data only the field path exists. The card (dataset.json) gains the grade histogram,
per-rule effects, how often engagement disagrees with the policy, and that agreement.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from app.domain.canonical import CanonicalView, FieldCanonicalizer
from app.domain.occupations import Taxonomy, default_taxonomy
from app.domain.skills import SkillLexicon, default_lexicon
from training.cli import add_policy_argument
from training.data import dataset as layout
from training.data.dataset import Dataset, check_dataset, copy_inputs, load_dataset
from training.data.engagement import POSITIVE_ACTIONS
from training.data.jsonl import DataFileError, JsonlWriter
from training.evaluation.metrics import kendall_tau_b, quadratic_weighted_kappa
from training.policy.judge import judge
from training.policy.policy import GRADE_COUNT, Policy, load_policy
from training.policy.user_occupations import extend_taxonomy

SOURCES = ("auto", "latent", "fields")
DEGENERATE_SHARE = 0.95  # one grade for this share of pairs (or more): nothing to rank by


class _Views:
    """Canonical views per member and job id, computed once each."""

    def __init__(self, data: Dataset, canonicalizer: FieldCanonicalizer, latent: bool):
        self.data, self.canon, self.latent = data, canonicalizer, latent
        self.members: dict[str, CanonicalView] = {}
        self.jobs: dict[str, CanonicalView] = {}

    def member(self, member_id: str) -> CanonicalView:
        if member_id not in self.members:
            self.members[member_id] = (
                self.data.member_truth[member_id].view()
                if self.data.member_truth is not None and self.latent
                else self.canon.member_view(self.data.members[member_id])
            )
        return self.members[member_id]

    def job(self, job_id: str) -> CanonicalView:
        if job_id not in self.jobs:
            self.jobs[job_id] = (
                self.data.job_truth[job_id].view()
                if self.data.job_truth is not None and self.latent
                else self.canon.job_view(self.data.jobs[job_id])
            )
        return self.jobs[job_id]


def _disagreement(per_member: dict[str, list[tuple[int, bool]]]) -> dict:
    """How often members' engagement orders a pair of jobs against the policy's grades."""
    concordant = discordant = 0
    for rows in per_member.values():
        grades = np.array([g for g, _ in rows])
        positive = np.array([p for _, p in rows], dtype=np.int8)
        higher = grades[:, None] > grades[None, :]
        concordant += int(np.sum(higher & (positive[:, None] > positive[None, :])))
        discordant += int(np.sum(higher & (positive[:, None] < positive[None, :])))
    return {
        "pairwise_disagreement": round(discordant / max(1, concordant + discordant), 4),
        "pairs_compared": concordant + discordant,
        "definition": "among same-member job pairs with different grades and different engagement "
        "(positive = apply/click), the share where only the lower-graded job was engaged with",
    }


def judge_dataset(
    root: str | Path,
    source: str = "auto",
    policy: Policy | None = None,
    lexicon: SkillLexicon | None = None,
    progress: bool = True,
    out_dir: str | Path | None = None,
    taxonomy: Taxonomy | None = None,
) -> dict:
    """Label every pair of the dataset at ``root``; returns the card's ``labels`` section. With
    ``out_dir``, the inputs are copied there first and labels.jsonl is written there, not into ``root``."""
    started = time.perf_counter()
    root = Path(root) if out_dir is None else copy_inputs(root, out_dir)
    policy = policy or load_policy()
    check = check_dataset(root)  # every bad line at once, before any work
    data = load_dataset(root)
    if source == "auto":
        source = "latent" if data.has_truth else "fields"
    if source == "latent" and not data.has_truth:
        raise DataFileError(f"{root}: --source latent needs {layout.MEMBER_TRUTH} and {layout.JOB_TRUTH}")
    canonicalizer = FieldCanonicalizer(taxonomy or default_taxonomy(), lexicon or default_lexicon())
    primary = _Views(data, canonicalizer, latent=source == "latent")
    # On generated data, also run the field path to measure how close it gets to the truth.
    shadow = _Views(data, canonicalizer, latent=False) if source == "latent" else None

    histogram: Counter[int] = Counter()
    rule_effects: dict[str, Counter[str]] = defaultdict(Counter)
    engagement: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    by_grade_positive: Counter[int] = Counter()
    by_grade_known: Counter[int] = Counter()
    primary_grades, shadow_grades, member_of = [], [], []
    function_agree = 0

    with JsonlWriter(root / layout.LABELS) as out:
        for pair in tqdm(data.pairs(), desc="judge", unit="pair", disable=not progress):
            member, job = data.members[pair.member_id], data.jobs[pair.job_id]
            verdict = judge(member, job, primary.member(pair.member_id), primary.job(pair.job_id), policy)
            out.write({"member_id": pair.member_id, "job_id": pair.job_id, "source": source, **verdict.to_json()})
            histogram[verdict.grade] += 1
            for name, outcome in verdict.rules.items():
                rule_effects[name][outcome.effect] += 1
            if pair.action is not None:
                positive = pair.action in POSITIVE_ACTIONS
                engagement[pair.member_id].append((verdict.grade, positive))
                by_grade_known[verdict.grade] += 1
                by_grade_positive[verdict.grade] += positive
            if shadow is not None:
                other = judge(member, job, shadow.member(pair.member_id), shadow.job(pair.job_id), policy)
                primary_grades.append(verdict.grade)
                shadow_grades.append(other.grade)
                member_of.append(pair.member_id)
                function_agree += other.function == verdict.function
        total = out.count

    labels: dict = {
        "source": source,
        "policy": {"name": policy.name, "version": policy.version},
        "pairs": total,
        "grade_histogram": {policy.grade_names[g]: histogram[g] for g in range(GRADE_COUNT)},
        "grade_shares": {policy.grade_names[g]: round(histogram[g] / max(1, total), 4) for g in range(GRADE_COUNT)},
        "rule_effects": {name: dict(counts) for name, counts in rule_effects.items()},
        "notes": check.notes(),
    }
    if engagement:
        labels["engagement_vs_policy"] = {
            **_disagreement(engagement),
            "positive_rate_by_grade": {
                policy.grade_names[g]: round(by_grade_positive[g] / by_grade_known[g], 4)
                for g in sorted(by_grade_known)
            },
            "positives_on_bad_or_poor_jobs": round(
                (by_grade_positive[0] + by_grade_positive[1]) / max(1, sum(by_grade_positive.values())), 4
            ),
        }
    if shadow is not None:
        labels["field_path_agreement"] = _agreement(
            np.array(primary_grades), np.array(shadow_grades), member_of, function_agree
        )
    labels["coverage"] = _coverage(primary)
    if source == "fields":
        labels["notes"].append(coverage_note(labels["coverage"]))
    labels["seconds"] = round(time.perf_counter() - started, 2)
    return labels


def _coverage(views: _Views) -> dict:
    """Shares of the judged jobs and members whose occupation was not recognised."""

    def unrecognised(found: dict[str, CanonicalView]) -> float:
        return round(sum(v.occupation is None for v in found.values()) / max(1, len(found)), 4)

    return {"job_titles_unrecognised": unrecognised(views.jobs), "members_unrecognised": unrecognised(views.members)}


def coverage_note(coverage: dict) -> str:
    """One line on how much of the data the judge's occupations cover."""
    return (
        f"{coverage['job_titles_unrecognised']:.0%} of job titles and {coverage['members_unrecognised']:.0%} of "
        "members' headlines/titles unrecognised (no occupation: graded on location, skills and pay only)"
    )


def degenerate_spread(labels: dict, max_share: float = DEGENERATE_SHARE, min_pairs: int = 50) -> str | None:
    """Why the grades are too uniform to train a ranker on (None when they are not)."""
    grade, share = max(labels["grade_shares"].items(), key=lambda item: item[1])
    if labels["pairs"] < min_pairs or share < max_share:
        return None
    return (
        f"{share:.0%} of {labels['pairs']} pairs graded '{grade}': too little spread to train a ranker on "
        "(see the coverage note; give the judge your occupations, or check the data)"
    )


def _agreement(latent: np.ndarray, fields: np.ndarray, member_of: list[str], function_agree: int) -> dict:
    taus = []
    by_member: dict[str, list[int]] = defaultdict(list)
    for i, member_id in enumerate(member_of):
        by_member[member_id].append(i)
    for rows in by_member.values():
        tau = kendall_tau_b(latent[rows], fields[rows])
        if not np.isnan(tau):
            taus.append(tau)
    confusion = np.zeros((GRADE_COUNT, GRADE_COUNT), dtype=int)
    np.add.at(confusion, (latent, fields), 1)
    n = max(1, len(latent))
    return {
        "exact": round(float(np.mean(latent == fields)), 4),
        "within_one": round(float(np.mean(np.abs(latent - fields) <= 1)), 4),
        "quadratic_weighted_kappa": round(quadratic_weighted_kappa(latent, fields, GRADE_COUNT), 4),
        "mean_member_kendall_tau": round(float(np.mean(taus)), 4) if taus else None,
        "function_match_agreement": round(function_agree / n, 4),
        "confusion_latent_rows_fields_cols": confusion.tolist(),
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point of the judge stage."""
    parser = argparse.ArgumentParser(prog="python -m training judge", description=__doc__.splitlines()[0])
    parser.add_argument(
        "dataset", type=Path, nargs="?", default=Path("data/tiny"), help="dataset folder (default: data/tiny)"
    )
    parser.add_argument(
        "--source", choices=SOURCES, default="auto", help="latent truth, schema fields, or auto (truth when present)"
    )
    add_policy_argument(parser)
    parser.add_argument(
        "--lexicon", type=Path, help="skills lexicon JSON for the field path (default: the bundled one)"
    )
    parser.add_argument(
        "--occupations",
        type=Path,
        metavar="FILE",
        help="JSON of your own occupations and title -> occupation mappings (training/policy/user_occupations.py)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write a copy of the inputs, labels.jsonl and dataset.json to DIR (default: into the dataset folder)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    try:
        lexicon = SkillLexicon.from_file(args.lexicon) if args.lexicon else None
    except ValueError as exc:  # the shared loader's error for an unreadable lexicon file
        raise DataFileError(str(exc)) from None
    taxonomy = extend_taxonomy(default_taxonomy(), args.occupations) if args.occupations else None
    labels = judge_dataset(
        args.dataset,
        args.source,
        load_policy(args.policy),
        lexicon,
        progress=not args.no_progress,
        out_dir=args.out,
        taxonomy=taxonomy,
    )
    update_card(args.out or args.dataset, labels)
    for note in labels["notes"]:
        print(f"note: {note}")
    print(summary_line(labels))
    problem = degenerate_spread(labels)
    if problem is not None:
        raise DataFileError(problem)
    return 0


def update_card(root: Path, labels: dict) -> None:
    """Add the labels section to dataset.json (creating the card for users' own data)."""
    path = Path(root) / layout.CARD
    card: dict = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"kind": "user"}
    card["labels"] = labels
    card.setdefault("timing_seconds", {})["judge"] = labels["seconds"]
    path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


def summary_line(labels: dict) -> str:
    """A one-line report of a judge run."""
    shares = ", ".join(f"{k} {v:.0%}" for k, v in labels["grade_shares"].items())
    line = f"judged {labels['pairs']} pairs ({labels['source']}): {shares}"
    if "field_path_agreement" in labels:
        agreement = labels["field_path_agreement"]
        line += f"; field path agrees exactly {agreement['exact']:.0%}, within one grade {agreement['within_one']:.0%}"
    if "engagement_vs_policy" in labels:
        line += f"; engagement disagrees with policy on {labels['engagement_vs_policy']['pairwise_disagreement']:.0%} of pairs"
    return line
