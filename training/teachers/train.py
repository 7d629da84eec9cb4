"""`python -m training train-teacher --kind relevance|engagement`: fine-tune a cross-encoder teacher.

Relevance learns the judge's grades as soft targets (KL to a discretised Gaussian around the grade)
plus a ListNet term over each member's candidates; engagement learns apply/click vs not (BCE).
Plain PyTorch on CPU; under `torchrun --nproc_per_node N` it trains with DDP (gloo), each process
taking its share of the optimiser steps. A teacher with nothing to learn (engagement when no pair
records an action, or every recorded action is of one kind) is not trained: its card says why
(``skipped``) and scoring gives every pair engagement 0, so rankings follow relevance only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import distributed as dist
from tqdm import tqdm

from app.domain.cpus import usable_cpus
from app.domain.featurize import FEATURE_NAMES
from training.cli import add_run_arguments, resolve_run
from training.config import TeacherConfig, save_config
from training.data.dataset import load_dataset
from training.data.lists import CandidateList, load_lists
from training.errors import TrainingError
from training.evaluation.metrics import ndcg_at_k, roc_auc
from training.teachers.batches import encode, predict
from training.teachers.encoder import load_encoder
from training.teachers.head_stage import teacher_loss, train_head
from training.teachers.model import KINDS, CrossEncoderTeacher
from training.teachers.schedule import warmup_then_linear

CHECKPOINT = "model.pt"
PRETRAINED = "pretrained all-MiniLM-L6-v2"
CARD = "card.json"


def _world() -> tuple[int, int]:
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def torch_threads(world: int) -> int:
    """Intra-op threads per training process: the CPUs this container may use (cgroup quota
    included), shared among the ``world`` processes."""
    return max(1, usable_cpus() // world)


def _steps(lists: list[CandidateList], cfg: TeacherConfig, kind: str, epoch: int) -> list[tuple[int, np.ndarray]]:
    """(list index, candidate indices) per optimiser step; identical on every process (same seed)."""
    rng = random.Random(f"{cfg.seed}:{epoch}")
    steps = []
    for i, candidate_list in enumerate(lists):
        idx = list(range(len(candidate_list)))
        if kind == "engagement":
            idx = [j for j in idx if not math.isnan(candidate_list.positive[j])]
        rng.shuffle(idx)
        idx = idx[: cfg.max_list]
        steps += [
            (i, np.array(idx[s : s + cfg.chunk]))
            for s in range(0, len(idx), cfg.chunk)
            if len(idx[s : s + cfg.chunk]) > 1
        ]
    rng.shuffle(steps)
    return steps


def validate(model, tokenizer, lists: list[CandidateList], kind: str, cfg: TeacherConfig) -> dict:
    """NDCG@10 vs the judge (relevance) or engagement ROC-AUC on validation lists."""
    if kind == "relevance":
        values = []
        for candidate_list in lists:
            probs = predict(model, tokenizer, candidate_list.member, candidate_list.jobs, cfg.max_length)
            values.append(ndcg_at_k(probs @ np.arange(5), candidate_list.grades, 10))
        values = [v for v in values if not math.isnan(v)]
        return {"val_ndcg@10": float(np.mean(values)) if values else float("nan"), "val_lists": len(values)}
    scores, labels = [], []
    for candidate_list in lists:
        known = ~np.isnan(candidate_list.positive)
        probs = predict(model, tokenizer, candidate_list.member, candidate_list.jobs, cfg.max_length)
        scores.append(probs[known])
        labels.append(candidate_list.positive[known])
    return {"val_engagement_auc": roc_auc(np.concatenate(scores), np.concatenate(labels)), "val_lists": len(lists)}


def _warm_start(model: CrossEncoderTeacher, kind: str, out_dir: Path, cfg: TeacherConfig) -> str:
    """Start the engagement teacher from the relevance teacher beside it, when there is one.

    Engagement labels are sparse and noisy (2.4k pairs barely moved a fresh head past the base
    rate), while the relevance teacher has learnt to read fit from dense graded labels, and fit
    drives engagement. Encoder, feature projection and hidden head layer are copied; the output
    starts as the grade-logit contrast Σ_g (g - 2) W_g, so it first ranks like the relevance
    teacher, and training adds what engagement knows beyond the policy.
    """
    source = out_dir.parent / "relevance" / CHECKPOINT
    if kind != "engagement" or not cfg.engagement_warm_start or not source.is_file():
        return PRETRAINED
    relevance_card = json.loads((source.parent / CARD).read_text(encoding="utf-8"))
    source_cfg = relevance_card["config"]
    if (source_cfg["layers"], tuple(source_cfg.get("feature_layers", (64,)))) != (cfg.layers, cfg.feature_layers):
        return PRETRAINED
    state = {k: v for k, v in torch.load(source, map_location="cpu").items() if not k.startswith("prior.")}
    contrast = torch.arange(5, dtype=torch.float32) - 2.0
    state["head.3.weight"] = (contrast[:, None] * state["head.3.weight"]).sum(0, keepdim=True) / 2.0
    state["head.3.bias"] = (contrast * state["head.3.bias"]).sum(0, keepdim=True) / 2.0 - 2.0
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith("seen.") for k in missing):
        raise TrainingError(f"{source}: not a relevance teacher of this architecture ({missing or unexpected})")
    return f"relevance teacher ({source})"


def nothing_to_learn(kind: str, lists: list[CandidateList]) -> str | None:
    """Why ``kind`` cannot be trained on ``lists`` (None when it can)."""
    if kind != "engagement":
        return None
    known = np.concatenate([lst.positive for lst in lists]) if lists else np.array([])
    known = known[~np.isnan(known)]
    if known.size == 0:
        return "no pair records an action: relevance only, the engagement teacher is not trained"
    if known.min() == known.max():
        verdict = "apply/click" if known[0] else "dismiss/none"
        return f"every recorded action is {verdict}: nothing to learn, the engagement teacher is not trained"
    return None


def _skip(kind: str, data_dir: Path, out_dir: Path, reason: str, lists: int) -> dict:
    """Write the card of a teacher that was not trained (and drop an older checkpoint)."""
    card = {"kind": kind, "skipped": reason, "data": {"dataset": str(data_dir), "train_lists": lists, "steps": 0}}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / CHECKPOINT).unlink(missing_ok=True)
    (out_dir / CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def train_teacher(
    kind: str, data_dir: Path, out_dir: Path, cfg: TeacherConfig, progress: bool = True, split_seed: int = 0
) -> dict:
    """Train one teacher; rank 0 writes model.pt and card.json to ``out_dir``. Returns the card."""
    rank, world = _world()
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("gloo")
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(torch_threads(world))
    started = time.perf_counter()

    data = load_dataset(data_dir)
    lists = load_lists(data, ("train",), cfg.train_members, seed=split_seed)
    if not lists:
        raise TrainingError(f"{data_dir}: no training lists")
    reason = nothing_to_learn(kind, lists)
    if reason is not None:
        return _skip(kind, data_dir, out_dir, reason, len(lists)) if rank == 0 else {}
    tokenizer, encoder, encoder_card = load_encoder(cfg.layers)
    model = CrossEncoderTeacher(
        encoder, kind, position_aware=cfg.position_aware, feature_layers=tuple(cfg.feature_layers)
    )
    warm_start = _warm_start(model, kind, out_dir, cfg)
    head_stage = train_head(model, lists, kind, tokenizer, cfg) if cfg.head_epochs else None
    trained = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    head_params = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    optimizer = torch.optim.AdamW(
        [{"params": model.encoder.parameters(), "lr": cfg.lr}, {"params": head_params, "lr": cfg.head_lr}],
        weight_decay=cfg.weight_decay,
    )
    plan = [_steps(lists, cfg, kind, epoch) for epoch in range(cfg.epochs)]
    per_rank = [len(steps) // world for steps in plan]  # equal step counts keep DDP processes in lock-step
    total = sum(per_rank)
    schedule = warmup_then_linear(optimizer, total, cfg.warmup)

    trained.train()
    history, done = [], 0
    bar = tqdm(total=total, desc=f"train {kind}", unit="step", disable=not progress or rank != 0)
    for epoch, steps in enumerate(plan):
        for list_index, idx in steps[rank::world][: per_rank[epoch]]:
            candidate_list = lists[list_index]
            batch = encode(tokenizer, candidate_list.member, [candidate_list.jobs[i] for i in idx], cfg.max_length)
            grades = torch.from_numpy(candidate_list.grades[idx])
            positive = torch.from_numpy(candidate_list.positive[idx].astype(np.float32))
            positions = torch.from_numpy(candidate_list.positions[idx])
            loss = teacher_loss(trained, kind, trained(**batch), grades, positive, positions, cfg)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            history.append(loss.item())
            done += 1
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(history[-20:]):.3f}")
    bar.close()
    train_seconds = time.perf_counter() - started

    card: dict = {}
    if rank == 0:
        val_lists = load_lists(data, ("val",), cfg.val_members, seed=split_seed)
        card = {
            "kind": kind,
            "base_model": encoder_card.to_json(),
            "inputs": {
                "text": f"(member_text, job_text) pair from app/domain/featurize.py, wordpiece, max {cfg.max_length} tokens",
                "features": list(FEATURE_NAMES),
            },
            "target": "judge grade as soft targets (KL) + ListNet over the member's list; score = E[grade]"
            if kind == "relevance"
            else "P(apply or click) from engagement events (BCE); score = probability",
            "outputs": "5 grade logits" if kind == "relevance" else "1 logit",
            "config": cfg.model_dump(mode="json"),
            "data": {"dataset": str(data_dir), "train_lists": len(lists), "steps": done * world, "world_size": world},
            "initialised_from": warm_start,
            "head_stage": head_stage,
            "loss_first_20": float(np.mean(history[:20])) if history else None,
            "loss_last_20": float(np.mean(history[-20:])) if history else None,
            "metrics": validate(model, tokenizer, val_lists, kind, cfg),
            "seconds": {"train": round(train_seconds, 1), "total": round(time.perf_counter() - started, 1)},
        }
        out_dir.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), out_dir / CHECKPOINT)
        (out_dir / CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return card


def load_teacher(out_dir: Path):
    """(model, tokenizer, card) of a trained teacher, ready for inference; (None, None, card) for a
    teacher that was skipped (its card says why)."""
    if not (out_dir / CARD).is_file():
        raise TrainingError(f"{out_dir}: no trained teacher (run `python -m training train-teacher` first)")
    card = json.loads((out_dir / CARD).read_text(encoding="utf-8"))
    if card.get("skipped"):
        return None, None, card
    tokenizer, encoder, _ = load_encoder(card["config"]["layers"])
    config = card["config"]
    model = CrossEncoderTeacher(
        encoder,
        card["kind"],
        position_aware=config.get("position_aware", False),
        feature_layers=tuple(config.get("feature_layers", (64,))),
    )
    model.load_state_dict(torch.load(out_dir / CHECKPOINT, map_location="cpu"))
    model.eval()
    return model, tokenizer, card


def main(argv: list[str] | None = None) -> int:
    """Entry point of the train-teacher stage."""
    parser = argparse.ArgumentParser(prog="python -m training train-teacher", description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=sorted(KINDS), required=True, help="which teacher")
    add_run_arguments(parser)
    parser.add_argument("--out", type=Path, help="output folder (default: <runs>/teachers/<kind>)")
    args = parser.parse_args(argv)
    run = resolve_run(args)
    save_config(run.config, run.runs)
    out = args.out or run.runs / "teachers" / args.kind
    card = train_teacher(args.kind, run.data, out, run.config.teacher, not args.no_progress, run.config.lists.seed)
    if card.get("skipped"):
        print(f"{args.kind} teacher skipped: {card['skipped']}")
    elif card:
        print(f"{args.kind} teacher -> {out}: {json.dumps(card['metrics'])} in {card['seconds']['total']} s")
    return 0
