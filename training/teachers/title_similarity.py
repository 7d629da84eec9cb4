"""Title similarity on the evaluation splits: does an encoder know which titles go together?

Each list is ranked by the cosine of the member's headline and each job's title (mean-pooled,
L2-normalised, ``title_encoder.max_length`` wordpieces) and scored with the harness's NDCG@10
against the split's grades, for: the pretrained all-MiniLM-L6-v2 (all 6 layers, zero-shot), its
lowest 2 layers (the shipped student's frozen towers), the fine-tuned title encoder, and BM25
(``lexical_scores``: headline and skills vs the whole job) on the same lists. The splits are
`evaluate`'s (``build_splits``): in-distribution, held-out phrasings, held-out occupations and
real titles (O*NET, graded by expert relatedness, everyone in one city).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from training.config import RunConfig
from training.data.dataset import load_dataset
from training.data.lists import CandidateList, load_lists
from training.errors import TrainingError
from training.evaluation.harness import ModelScores, evaluate_model
from training.policy.policy import load_policy
from training.teachers.baselines import lexical_scores
from training.teachers.encoder import load_encoder, pooled_embeddings, pretrained_dir
from training.teachers.split_scores import build_splits, pairs_of, rounded

SPLITS = ("in-distribution", "held-out phrasings", "held-out occupations", "real titles")
REPORT = "title_similarity.json"
METRICS = ("ndcg@10", "mrr", "recall@10")


def title_cosines(lists: Sequence[CandidateList], path: Path | None, layers: int | None, max_length: int):
    """Per list, the cosine of the member headline and each job title under the encoder at ``path``
    (None: pretrained) truncated to its lowest ``layers`` layers (None: all)."""
    tokenizer, model, _ = load_encoder(layers, path or pretrained_dir())
    model.eval()

    def embed(texts: list[str]) -> np.ndarray:
        vectors = pooled_embeddings(model, tokenizer, texts, max_length)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    titles = sorted({job.title for lst in lists for job in lst.jobs})
    job_vectors = dict(zip(titles, embed(titles), strict=True))
    members = embed([lst.member.headline for lst in lists])
    return [np.array([job_vectors[job.title] @ members[i] for job in lst.jobs]) for i, lst in enumerate(lists)]


def measure(
    data_dir: Path,
    encoder_dir: Path,
    config: RunConfig,
    count: int,
    threads: int | None = None,
    baselines: bool = True,
) -> dict:
    """NDCG@10 (and MRR, recall@10) of each scorer (without ``baselines``: the fine-tuned encoder
    only) on ``count`` lists of every split (``threads`` torch threads, default torch's); writes
    ``encoder_dir``/title_similarity.json and returns the report (with a printable table)."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    if not (encoder_dir / "model.safetensors").is_file():
        raise TrainingError(f"{encoder_dir}: no fine-tuned encoder (run `python -m training title-encoder` first)")
    started, load_before = time.perf_counter(), os.getloadavg()
    policy = load_policy()
    data = load_dataset(data_dir)
    held_out = load_lists(data, ("test",), count, seed=config.lists.seed)
    splits = build_splits(data, held_out, SPLITS, policy, count, config.lists.seed)
    max_length = config.title_encoder.max_length
    scorers = {
        "BM25 (lexical_scores)": lambda lists: lexical_scores(lists),
        "pretrained MiniLM, 6 layers": lambda lists: title_cosines(lists, None, None, max_length),
        "pretrained MiniLM, lowest 2 layers": lambda lists: title_cosines(lists, None, 2, max_length),
        "fine-tuned title encoder": lambda lists: title_cosines(lists, encoder_dir, None, max_length),
    }
    if not baselines:
        scorers = {"fine-tuned title encoder": scorers["fine-tuned title encoder"]}
    results: dict[str, dict] = {}
    for split, lists in splits.items():
        models = {}
        for name, scorer in scorers.items():
            metrics = evaluate_model(lists, ModelScores(scorer(lists)), policy)
            models[name] = rounded({m: metrics[m] for m in METRICS})
        results[split] = {"lists": len(lists), "pairs": pairs_of(lists), "models": models}
    report = {
        "what": "cosine of member headline and job title embeddings (BM25: headline+skills vs whole job)",
        "data": str(data_dir),
        "encoder": str(encoder_dir),
        "max_length": max_length,
        "splits": results,
        "seconds": round(time.perf_counter() - started, 1),
        "load_average_1min": {"start": round(load_before[0], 2), "end": round(os.getloadavg()[0], 2)},
    }
    path = encoder_dir / REPORT
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return {**report, "path": str(path), "table": format_table(results)}


def format_table(results: dict[str, dict]) -> str:
    """NDCG@10 per scorer (rows) and split (columns)."""
    names = list(next(iter(results.values()))["models"]) if results else []
    header = f"{'NDCG@10':<36}" + "".join(f"{split:>22}" for split in results)
    lines = [header, "-" * len(header)]
    for name in names:
        cells = "".join(f"{results[s]['models'][name]['ndcg@10']:>22.4f}" for s in results)
        lines.append(f"{name:<36}{cells}")
    return "\n".join(lines)
