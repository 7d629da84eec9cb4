"""`python -m training demo`: build the tiny labelled dataset (if needed) and show what the judge decided.

Prints one member's candidate list ranked by the policy judge, each grade with its per-rule
explanation, and the dataset card's headline figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.data import dataset as layout
from training.data.jsonl import DataFileError, read_json_lines
from training.data.simulate import GENERATOR_VERSION
from training.policy.label_dataset import summary_line
from training.policy.labelled_dataset import add_arguments, build_from_args, output_folder

# The service ranks with the shipped model (artifacts/jobrank-ranker) today.
NEXT_STEP = (
    "These are the judge's grades. To rank with the trained model: `make run` (or `python -m app`), "
    "then POST a member and candidate jobs to /v1/rank (docs/example_request.json)."
)


def _explain(label: dict) -> str:
    notes = [
        f"{name}: {rule['detail']}"
        for name, rule in label["rules"].items()
        if rule["effect"] not in ("pass", "skipped")
    ]
    return "; ".join(notes)


def show_member(root: Path, member_id: str | None, top: int) -> str:
    """A readable ranking of one member's candidates by judge grade (the first member by default)."""
    members = {obj["member_id"]: obj for _, obj in read_json_lines(root / layout.MEMBERS)}
    member_id = member_id or next(iter(members))
    if member_id not in members:
        raise DataFileError(f"{root / layout.MEMBERS}: member_id: '{member_id}' not found")
    jobs = {obj["job_id"]: obj for _, obj in read_json_lines(root / layout.JOBS)}
    labels = [obj for _, obj in read_json_lines(root / layout.LABELS) if obj["member_id"] == member_id]
    actions = {
        obj["job_id"]: obj.get("action")
        for _, obj in read_json_lines(root / layout.PAIRS)
        if obj["member_id"] == member_id
    }
    labels.sort(key=lambda lst: (-lst["grade"], -lst["coverage"]))
    m = members[member_id]
    lines = [
        f"member {member_id}: {m['headline']!r}, {m['seniority']}, {m['location']['city']} {m['location']['country']}, "
        f"prefers {m['workplace_preference']}, relocation {'yes' if m['open_to_relocation'] else 'no'}",
        f"  skills: {', '.join(m['skills'])}",
        f"  {len(labels)} candidates; best and worst by the judge:",
    ]
    shown = labels[:top] + labels[-2:] if len(labels) > top + 2 else labels
    for label in shown:
        job = jobs[label["job_id"]]
        lines.append(
            f"  [{label['grade']} {label['grade_name']:<9}] {job['title']} - {job['company']} "
            f"({job['location']['city']} {job['location']['country']}, {job['workplace_type']}); member action: {actions.get(label['job_id'])}"
        )
        why = _explain(label)
        lines.append(
            f"      {label['function'].replace('_', ' ')}, coverage {label['coverage']:.0%}"
            + (f"; {why}" if why else "")
        )
    return "\n".join(lines)


def _current(root: Path) -> bool:
    """A labelled dataset made by this generator version is already there."""
    card_path = root / layout.CARD
    if not (root / layout.LABELS).is_file() or not card_path.is_file():
        return False
    card = json.loads(card_path.read_text(encoding="utf-8"))
    return card.get("generator_version") == GENERATOR_VERSION and "labels" in card


def main(argv: list[str] | None = None) -> int:
    """Entry point of the demo."""
    parser = argparse.ArgumentParser(prog="python -m training demo", description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--member", help="member_id to show (default: the first member)")
    parser.add_argument("--top", type=int, default=8, help="how many of the best candidates to show")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the dataset even if it exists")
    args = parser.parse_args(argv)
    root = output_folder(args)
    if args.rebuild or not _current(root):
        build_from_args(args)
    card = json.loads((root / layout.CARD).read_text(encoding="utf-8"))
    counts = card["counts"]
    print(
        f"dataset {root}: {counts['members']} members, {counts['jobs']} jobs, {counts['pairs']} pairs (seed {card['seed']})"
    )
    print(summary_line(card["labels"]))
    print()
    print(show_member(root, args.member, args.top))
    print()
    print(NEXT_STEP)
    return 0
