"""The teachers' loss, and the head stage that runs before fine-tuning: LP-FT.

LP-FT (Kumar et al., ICLR 2022, "Fine-Tuning can Distort Pretrained Features and Underperform
Out-of-Distribution"): first train the head on the frozen encoder's features (a linear probe; here
the whole head: feature MLP, head MLP and rules prior), then fine-tune everything. A fine-tuning
step costs a full encoder forward and backward, so the budget affords few of them (the full preset:
240 steps of 20 pairs, too few for the head to learn anything). With the encoder frozen, each
(member, job) pair is encoded once, forward only, and the head trains for many epochs over the
cached embeddings in seconds; fine-tuning then starts from a head that already fits the labels.

Under DDP each process encodes its share of the lists and all processes gather every embedding;
each then trains the head alike, and the DDP wrapper made afterwards broadcasts rank 0's weights.
"""

from __future__ import annotations

import random
import time

import numpy as np
import torch
from torch import distributed as dist

from app.domain.featurize import FEATURE_NAMES
from training.config import TeacherConfig
from training.data.lists import CandidateList
from training.teachers import losses
from training.teachers.batches import encode


def teacher_loss(
    model,
    kind: str,
    logits: torch.Tensor,
    grades: torch.Tensor,
    positive: torch.Tensor,
    positions: torch.Tensor,
    cfg: TeacherConfig,
) -> torch.Tensor:
    """Relevance: KL to the soft grade targets + ``listwise_weight`` · ListNet over the slice of one
    list; engagement: BCE on the pairs with a recorded action (PAL when ``position_aware``)."""
    if kind == "engagement":
        if not cfg.position_aware:
            return losses.masked_bce(logits, positive)
        core = model.module if hasattr(model, "module") else model
        return losses.position_aware_bce(logits, core.seen_logit(positions), positive)
    pointwise = losses.soft_label_kl(logits, losses.soft_grade_targets(grades, cfg.label_sigma))
    listwise = losses.listnet(losses.expected_grade(logits), grades.float())
    return pointwise + cfg.listwise_weight * listwise


def learnable(candidate_list: CandidateList, kind: str) -> np.ndarray:
    """Indices of the candidates ``kind`` learns from: all for relevance, those with a recorded
    action for engagement."""
    keep = np.arange(len(candidate_list))
    return keep if kind == "relevance" else keep[~np.isnan(candidate_list.positive)]


def pair_embeddings(
    model, tokenizer, lists: list[CandidateList], kind: str, cfg: TeacherConfig, batch_size: int = 64
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(candidate indices, pooled [n, width], features [n, 38]) of every candidate each list teaches
    ``kind`` (see ``learnable``), the encoder frozen (forward only). Under DDP each process encodes
    lists[rank::world] and every process gets them all."""
    rank, world = (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)
    mine: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    was_training = model.training
    model.eval()  # no dropout in the frozen encoder's features
    with torch.inference_mode():
        for i in range(rank, len(lists), world):
            # Empty starts: an engagement list may have no recorded action.
            pooled = [np.zeros((0, model.encoder.config.hidden_size), np.float32)]
            features = [np.zeros((0, len(FEATURE_NAMES)), np.float32)]
            keep = learnable(lists[i], kind)
            jobs = [lists[i].jobs[j] for j in keep]
            for start in range(0, len(jobs), batch_size):
                batch = encode(tokenizer, lists[i].member, jobs[start : start + batch_size], cfg.max_length)
                features.append(batch.pop("features").numpy())
                pooled.append(model.pool(**batch).numpy())
            mine[i] = (keep, np.concatenate(pooled), np.concatenate(features))
    model.train(was_training)
    if world > 1:
        gathered: list = [None] * world
        dist.all_gather_object(gathered, mine)
        mine = {i: arrays for part in gathered for i, arrays in part.items()}
    return [mine[i] for i in range(len(lists))]


def train_head(model, lists: list[CandidateList], kind: str, tokenizer, cfg: TeacherConfig) -> dict:
    """Train everything above the encoder for ``cfg.head_epochs`` epochs over the frozen encoder's
    cached pair embeddings (one step per list, all its candidates). Returns the card's record."""
    started = time.perf_counter()
    cache = pair_embeddings(model, tokenizer, lists, kind, cfg)
    encode_seconds = time.perf_counter() - started
    params = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    optimizer = torch.optim.AdamW(params, lr=cfg.head_stage_lr, weight_decay=cfg.weight_decay)
    rng = random.Random(f"{cfg.seed}:head")
    epoch_losses: list[float] = []
    model.train()
    threads = torch.get_num_threads()
    # Steps this small lose more to thread hand-offs than they gain (6x slower on 2 threads under load).
    torch.set_num_threads(1)
    try:
        for _ in range(cfg.head_epochs):
            epoch_losses.append(_head_epoch(model, lists, kind, cache, optimizer, params, rng, cfg))
    finally:
        torch.set_num_threads(threads)
    return {
        "epochs": cfg.head_epochs,
        "pairs": int(sum(len(keep) for keep, _, _ in cache)),
        "lr": cfg.head_stage_lr,
        "loss_first_epoch": epoch_losses[0] if epoch_losses else None,
        "loss_last_epoch": epoch_losses[-1] if epoch_losses else None,
        "seconds": {
            "encode": round(encode_seconds, 1),
            "train": round(time.perf_counter() - started - encode_seconds, 1),
        },
    }


def _head_epoch(model, lists, kind, cache, optimizer, params, rng, cfg: TeacherConfig) -> float:
    """One pass over the lists in a fresh order, a step per list; the mean loss."""
    total, steps = 0.0, 0
    for i in rng.sample(range(len(lists)), len(lists)):
        keep, pooled, features = cache[i]
        if len(keep) < 2:
            continue
        loss = teacher_loss(
            model,
            kind,
            model.score(torch.from_numpy(pooled), torch.from_numpy(features)),
            torch.from_numpy(lists[i].grades[keep]),
            torch.from_numpy(lists[i].positive[keep].astype(np.float32)),
            torch.from_numpy(lists[i].positions[keep]),
            cfg,
        )
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad()
        total, steps = total + loss.item(), steps + 1
    return total / max(1, steps)
