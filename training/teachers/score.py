"""`python -m training score-teachers`: every teacher scores every selected pair; soft labels for the students.

Scores the first ``score_train_members`` lists of the train split (what the students learn from) and
the first ``score_test_members`` of the test split (what evaluation compares on). Output is sharded,
``<out>/<split>/shard-00000.jsonl`` with one line per pair:

    {"member_id", "job_id", "grade", "positive", "relevance": E[grade], "grade_probs": [5], "engagement": p}

A shard is written to a temporary file and renamed when complete, so an interrupted run resumes
where it stopped (finished shards are skipped). ``fingerprint.json`` records what the shards were
scored from (both teachers' checkpoints, the dataset card, the scoring settings); when any of
them changes, the old shards are deleted instead of being reused.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from training.cli import add_run_arguments, resolve_run
from training.config import ListsConfig, save_config
from training.data.dataset import load_dataset
from training.data.jsonl import DataFileError, JsonlWriter, read_json_lines
from training.data.lists import CandidateList, load_lists
from training.teachers.batches import predict
from training.teachers.train import load_teacher


def _teacher_file(folder: Path) -> Path:
    """A teacher's checkpoint, or its card when it was skipped (no checkpoint)."""
    return folder / "model.pt" if (folder / "model.pt").is_file() else folder / "card.json"


def fingerprint(data_dir: Path, teachers_dir: Path, cfg: ListsConfig) -> dict:
    """What a set of score shards depends on."""
    from app.ranking.manifest import sha256_of

    return {
        "teachers": {kind: sha256_of(_teacher_file(teachers_dir / kind)) for kind in ("relevance", "engagement")},
        "dataset": sha256_of(data_dir / "dataset.json"),
        "settings": {
            key: getattr(cfg, key) for key in ("score_train_members", "score_test_members", "shard_members", "seed")
        },
    }


def _drop_stale_shards(out_dir: Path, current: dict) -> None:
    path = out_dir / "fingerprint.json"
    previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    if previous != current:
        for shard in list(out_dir.glob("*/shard-*.jsonl")) + list(out_dir.glob("*/shard-*.tmp")):
            shard.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")


def score_teachers(data_dir: Path, teachers_dir: Path, out_dir: Path, cfg: ListsConfig, progress: bool = True) -> dict:
    """Score the selected lists with both teachers; returns a summary (also written as summary.json)."""
    started = time.perf_counter()
    relevance, tokenizer_r, card_r = load_teacher(teachers_dir / "relevance")
    engagement, tokenizer_e, card_e = load_teacher(teachers_dir / "engagement")
    counts = {}
    _drop_stale_shards(out_dir, fingerprint(data_dir, teachers_dir, cfg))
    data = load_dataset(data_dir)
    for split, members in (("train", cfg.score_train_members), ("test", cfg.score_test_members)):
        lists = load_lists(data, (split,), members, seed=cfg.seed)
        shards = [lists[i : i + cfg.shard_members] for i in range(0, len(lists), cfg.shard_members)]
        split_dir = out_dir / split
        split_dir.mkdir(parents=True, exist_ok=True)
        pairs = 0
        bar = tqdm(total=sum(len(lst) for lst in lists), desc=f"score {split}", unit="pair", disable=not progress)
        for number, shard in enumerate(shards):
            path = split_dir / f"shard-{number:05d}.jsonl"
            size = sum(len(lst) for lst in shard)
            pairs += size
            if path.is_file():  # finished in an earlier run
                bar.update(size)
                continue
            tmp = path.with_suffix(".tmp")
            with JsonlWriter(tmp) as out:
                for candidate_list in shard:
                    probs = predict(
                        relevance,
                        tokenizer_r,
                        candidate_list.member,
                        candidate_list.jobs,
                        card_r["config"]["max_length"],
                    )
                    engaged = (
                        np.zeros(len(candidate_list))  # skipped teacher (no actions): relevance only
                        if engagement is None
                        else predict(
                            engagement,
                            tokenizer_e,
                            candidate_list.member,
                            candidate_list.jobs,
                            card_e["config"]["max_length"],
                        )
                    )
                    for j, job in enumerate(candidate_list.jobs):
                        positive = candidate_list.positive[j]
                        out.write(
                            {
                                "member_id": candidate_list.member.member_id,
                                "job_id": job.job_id,
                                "grade": int(candidate_list.grades[j]),
                                "positive": None if math.isnan(positive) else int(positive),
                                "relevance": round(float(probs[j] @ np.arange(5)), 5),
                                "grade_probs": [round(float(p), 5) for p in probs[j]],
                                "engagement": round(float(engaged[j]), 5),
                            }
                        )
                    bar.update(len(candidate_list))
            os.replace(tmp, path)
        bar.close()
        counts[split] = {"lists": len(lists), "pairs": pairs, "shards": len(shards)}
    summary = {"splits": counts, "teachers": str(teachers_dir), "seconds": round(time.perf_counter() - started, 1)}
    if engagement is None:
        summary["engagement"] = f"0 for every pair ({card_e['skipped']})"
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def read_scores(out_dir: Path, split: str, lists: list[CandidateList]) -> list[dict]:
    """The teacher-score rows of one split, checked to cover exactly ``lists`` pair by pair, in order."""
    shards = sorted((out_dir / split).glob("shard-*.jsonl"))
    if not shards:
        raise DataFileError(f"{out_dir / split}: no teacher scores (run `python -m training score-teachers` first)")
    rows = []
    for path in shards:
        rows += [obj for _, obj in read_json_lines(path)]
    expected = [(lst.member.member_id, j.job_id) for lst in lists for j in lst.jobs]
    if [(r["member_id"], r["job_id"]) for r in rows] != expected:
        raise DataFileError(
            f"{out_dir / split}: teacher scores do not match the candidate lists; "
            "re-run score-teachers with the same settings"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Entry point of the score-teachers stage."""
    parser = argparse.ArgumentParser(prog="python -m training score-teachers", description=__doc__.splitlines()[0])
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    run = resolve_run(args)
    runs = save_config(run.config, run.runs).parent
    summary = score_teachers(
        run.data, runs / "teachers", runs / "teacher_scores", run.config.lists, not args.no_progress
    )
    print(f"scored {json.dumps(summary['splits'])} in {summary['seconds']} s -> {runs / 'teacher_scores'}")
    return 0
