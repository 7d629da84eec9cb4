"""`python -m training title-encoder`: all-MiniLM-L6-v2 fine-tuned contrastively on real ESCO titles.

Each step takes a batch of (anchor, positive) title pairs of distinct ESCO occupations
(training/teachers/title_pairs.py: evaluation titles left out) and minimises the symmetric
in-batch-negatives InfoNCE loss over the mean-pooled, L2-normalised embeddings (see
``info_nce``). The top ``trainable_layers`` layers are trained; the embeddings stay frozen.

The output folder (default runs/<preset>/title_encoder/) loads like the pretrained one:
``JOBRANK_ENCODER_DIR=<folder>`` makes ``training.teachers.encoder.load_encoder`` read it. It
holds config.json, model.safetensors, the tokenizer files and card.json (steps, pairs, excluded
titles, loss curve, seconds). ``--measure`` instead compares title similarity of the pretrained
and fine-tuned encoders on the evaluation splits (training/teachers/title_similarity.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import torch
from tqdm import tqdm

from training.cli import add_config_arguments, resolve_config
from training.config import TitleEncoderConfig
from training.teachers.encoder import load_encoder, mean_pool
from training.teachers.schedule import warmup_then_linear
from training.teachers.title_pairs import TitleGroups, sample_batch, title_groups
from training.teachers.train import torch_threads

CARD = "card.json"
LOSS_WINDOW = 20  # steps averaged for the loss curve's start and end


def info_nce(anchors: torch.Tensor, positives: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE with in-batch negatives (MultipleNegativesRankingLoss, both directions).

    With L2-normalised a_i, p_i and S_ij = a_i · p_j / τ:
    loss = ½ [CE(S, diag) + CE(Sᵀ, diag)], i.e. each anchor must pick its own positive among the
    batch's positives and each positive its own anchor. Source: van den Oord et al. 2018
    (CPC, "InfoNCE"); Henderson et al. 2017 (in-batch negatives); sentence-transformers'
    MultipleNegativesSymmetricRankingLoss.

    Example::

        a = torch.nn.functional.normalize(torch.randn(8, 384), dim=-1)
        p = torch.nn.functional.normalize(a + 0.1 * torch.randn(8, 384), dim=-1)
        loss = info_nce(a, p, temperature=0.05)  # small: every a_i is closest to p_i
    """
    scores = anchors @ positives.T / temperature
    target = torch.arange(len(anchors), device=anchors.device)
    return 0.5 * (
        torch.nn.functional.cross_entropy(scores, target) + torch.nn.functional.cross_entropy(scores.T, target)
    )


def embed(model, tokenizer, texts: list[str], max_length: int) -> torch.Tensor:
    """Mean-pooled, L2-normalised embeddings [len(texts), width] (with gradients when training)."""
    enc = tokenizer(texts, truncation=True, max_length=max_length, padding=True, return_tensors="pt")
    hidden = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
    return torch.nn.functional.normalize(mean_pool(hidden, enc["attention_mask"]), dim=-1)


def _freeze_lower(model, trainable_layers: int) -> list[torch.nn.Parameter]:
    """Freeze the embeddings and all but the top ``trainable_layers`` layers; the trained parameters."""
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    layers = model.encoder.layer
    trained = [p for layer in layers[len(layers) - trainable_layers :] for p in layer.parameters()]
    for parameter in trained:
        parameter.requires_grad_(True)
    return trained


def train_title_encoder(
    cfg: TitleEncoderConfig,
    out: Path,
    progress: bool = True,
    groups: TitleGroups | None = None,
    threads: int | None = None,
) -> dict:
    """Fine-tune the encoder on title pairs (default: ESCO's, ``title_groups()``) with ``threads``
    intra-op threads (default: the usable CPUs); write the model folder and card.json to ``out``."""
    started = time.perf_counter()
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(threads or torch_threads(1))
    groups = groups or title_groups()
    tokenizer, model, base = load_encoder()
    trained = _freeze_lower(model, cfg.trainable_layers)
    optimiser = torch.optim.AdamW(trained, lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = warmup_then_linear(optimiser, cfg.steps, cfg.warmup)
    rng = random.Random(f"{cfg.seed}:title-pairs")
    model.train()
    losses: list[float] = []
    bar = tqdm(range(cfg.steps), desc="title encoder", unit="step", disable=not progress)
    for _ in bar:
        batch = sample_batch(groups.titles, cfg.batch_size, rng)
        anchors = embed(model, tokenizer, [a for a, _ in batch], cfg.max_length)
        positives = embed(model, tokenizer, [p for _, p in batch], cfg.max_length)
        loss = info_nce(anchors, positives, cfg.temperature)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        optimiser.step()
        schedule.step()
        losses.append(float(loss.detach()))
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    window = max(1, min(LOSS_WINDOW, len(losses) // 2))
    card = {
        "base_model": base.name,
        "base_source": base.source,
        "config": cfg.model_dump(),
        "data": "ESCO v1.1.1 occupations: preferred and alternative labels (same occupation = positive)",
        **groups.summary(),
        "pairs_seen": cfg.steps * cfg.batch_size,
        "loss_start": round(sum(losses[:window]) / window, 4),
        "loss_end": round(sum(losses[-window:]) / window, 4),
        "loss_every_10_steps": [round(x, 4) for x in losses[::10]],
        "seconds": round(time.perf_counter() - started, 1),
        "threads": torch.get_num_threads(),
        "load_average_1min_end": round(os.getloadavg()[0], 2),
    }
    (out / CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def main(argv: list[str] | None = None) -> int:
    """Entry point of the title-encoder stage."""
    parser = argparse.ArgumentParser(prog="python -m training title-encoder", description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    parser.add_argument("--out", type=Path, help="model folder (default: runs/<preset>/title_encoder)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="torch threads (default: the usable CPUs; 1 is faster when other jobs load the cores)",
    )
    parser.add_argument(
        "--measure",
        action="store_true",
        help="do not train: NDCG@10 of title cosine on the evaluation splits for the pretrained encoder, "
        "its lowest 2 layers, the fine-tuned one at --out, and BM25 (writes title_similarity.json)",
    )
    parser.add_argument("--data", type=Path, help="labelled dataset for --measure (default: data/<preset>)")
    parser.add_argument("--lists", type=int, default=80, metavar="N", help="lists per split for --measure")
    parser.add_argument("--no-baselines", action="store_true", help="--measure the fine-tuned encoder only")
    args = parser.parse_args(argv)
    config = resolve_config(args)
    out = args.out or Path("runs") / args.preset / "title_encoder"
    if args.measure:
        from training.teachers.title_similarity import measure

        if args.lists < 1:
            parser.error("--lists must be at least 1")
        report = measure(
            args.data or Path("data") / args.preset, out, config, args.lists, args.threads, not args.no_baselines
        )
        print(report["table"])
        print(f"-> {report['path']}")
        return 0
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    card = train_title_encoder(config.title_encoder, out, progress=not args.no_progress, threads=args.threads)
    print(
        f"title encoder: {card['pairs_seen']} pairs in {card['seconds']} s, "
        f"loss {card['loss_start']} -> {card['loss_end']} -> {out}"
    )
    return 0
