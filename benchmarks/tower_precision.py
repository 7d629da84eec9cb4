"""Benchmark: one text tower in every precision the export can ship — size, agreement with fp32, speed.

    python benchmarks/tower_precision.py                                    # the pretrained MiniLM, 6 layers
    python benchmarks/tower_precision.py --encoder runs/full/title_encoder  # a fine-tuned encoder folder

The tower (encoder + mean pool, the graph ``training/export`` ships as member and job tower) is exported
and fused once, then quantised with each recipe of ``INT8_VARIANTS`` (training/export/graphs.py) and run by
the service's runtime (``app.ranking.student.TextEncoder``, 1 thread) over real job titles: O*NET's
occupation titles and their alternate titles (training/data/benchmark_sets.json, O*NET 29.2, CC BY 4.0).
Reported per precision:
  * the ONNX file's size;
  * cosine of each title's embedding with fp32's (mean, min);
  * ranking agreement: for ``--queries`` titles, the other titles ranked by cosine, mean Kendall tau of
    that ranking vs fp32's over ``--candidates`` titles per query, and the share of fp32's top 10 kept;
  * one title's tower time, p10 over ``--repeats`` interleaved runs (the median is the neighbours' load).
Writes runs/benchmarks/tower_precision.json (``--out``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ranking.student import TextEncoder  # noqa: E402
from training.evaluation.metrics import kendall_tau_b  # noqa: E402  (the export gate's tau)

MAX_LENGTH = 32  # tokens: the title towers' length


def titles(limit: int, seed: int) -> list[str]:
    """Distinct real job titles: each O*NET occupation's title and alternate titles, shuffled."""
    from training.data.benchmark_sets import OUTPUT_PATH

    occupations = json.loads(OUTPUT_PATH.read_text())["onet"]["occupations"]
    seen = dict.fromkeys(t for o in occupations for t in [o["title"], *o["alternate_titles"]])
    found = list(seen)
    np.random.default_rng(seed).shuffle(found)
    return found[:limit]


def export(encoder_folder: Path | None, work: Path) -> tuple[Path, Path]:
    """(fused fp32 tower, tokenizer.json) of the encoder (default: the pretrained package's)."""
    from training.export.graphs import export_tower, fuse_transformer
    from training.teachers.encoder import encoder_dir, load_encoder

    _, encoder, _ = load_encoder(folder=encoder_folder)
    work.mkdir(parents=True, exist_ok=True)
    raw = export_tower(encoder, None, work / "tower.raw.onnx")
    fused = fuse_transformer(
        raw, work / "tower.fp32.onnx", encoder.config.num_attention_heads, encoder.config.hidden_size
    )
    tokenizer = work / "tokenizer.json"
    shutil.copy(encoder_dir(encoder_folder) / "tokenizer.json", tokenizer)
    return fused, tokenizer


def agreement(exact: np.ndarray, other: np.ndarray, queries: int, candidates: int, seed: int) -> dict:
    """How ``other``'s embeddings agree with ``exact``'s (rows: the same titles)."""
    unit = exact / np.linalg.norm(exact, axis=1, keepdims=True)
    unit_other = other / np.linalg.norm(other, axis=1, keepdims=True)
    cosine = (unit * unit_other).sum(axis=1)
    rng = np.random.default_rng(seed)
    taus, top10 = [], []
    for q in rng.choice(len(exact), size=min(queries, len(exact)), replace=False):
        pool = rng.choice(np.delete(np.arange(len(exact)), q), size=candidates, replace=False)
        a, b = unit[pool] @ unit[q], unit_other[pool] @ unit_other[q]
        taus.append(kendall_tau_b(a, b))
        top10.append(len(set(np.argsort(-a)[:10]) & set(np.argsort(-b)[:10])) / 10)
    return {
        "cosine_to_fp32_mean": round(float(cosine.mean()), 6),
        "cosine_to_fp32_min": round(float(cosine.min()), 6),
        "kendall_tau_mean": round(float(np.mean(taus)), 4),
        "kendall_tau_min": round(float(np.min(taus)), 4),
        "top10_kept": round(float(np.mean(top10)), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", type=Path, help="encoder folder (default: the pretrained all-MiniLM-L6-v2)")
    parser.add_argument("--titles", type=int, default=600, help="real titles embedded (default 600)")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path("runs/benchmarks/tower_precision"))
    parser.add_argument("--out", type=Path, default=Path("runs/benchmarks/tower_precision.json"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("titles", "queries", "candidates", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.candidates >= args.titles:
        parser.error("--candidates must be smaller than --titles")

    from tqdm import tqdm

    from training.errors import TrainingError
    from training.export.graphs import INT8_VARIANTS, quantize_int8

    texts = titles(args.titles, args.seed)
    try:
        fused, tokenizer = export(args.encoder, args.work)
    except TrainingError as exc:  # no encoder there: one line, not a traceback
        print(f"tower_precision: {exc}", file=sys.stderr)
        return 1
    paths = {"fp32": fused}
    for variant in tqdm(INT8_VARIANTS, desc="quantise"):
        paths[variant.name] = quantize_int8(fused, args.work / f"tower.{variant.name}.onnx", variant=variant)
    towers = {name: TextEncoder(tokenizer, path, MAX_LENGTH, threads=1) for name, path in paths.items()}
    embeddings = {name: tower(texts) for name, tower in tqdm(towers.items(), desc="embed titles")}

    ids = towers["fp32"].token_ids(texts[:1])
    times: dict[str, list[float]] = {name: [] for name in towers}
    for _ in tqdm(range(args.repeats), desc="time"):
        for name, tower in towers.items():  # interleaved: each precision sees the same neighbours' load
            started = time.perf_counter()
            tower.run_ids(ids)
            times[name].append((time.perf_counter() - started) * 1000)

    results = {}
    for name, path in paths.items():
        results[name] = {
            "mb": round(path.stat().st_size / 1e6, 2),
            **agreement(embeddings["fp32"], embeddings[name], args.queries, args.candidates, args.seed),
            "ms_p10": round(float(np.percentile(times[name], 10)), 2),
            "ms_median": round(float(np.median(times[name])), 2),
        }
    report = {
        "encoder": str(args.encoder or "pretrained all-MiniLM-L6-v2"),
        "titles": len(texts),
        "tokens_timed": len(ids[0]),
        "queries": args.queries,
        "candidates": args.candidates,
        "repeats": args.repeats,
        "precisions": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'precision':30} {'MB':>7} {'cos mean':>9} {'cos min':>8} {'tau':>7} {'top10':>6} {'ms p10':>7}")
    for name, r in results.items():
        print(
            f"{name:30} {r['mb']:7.1f} {r['cosine_to_fp32_mean']:9.5f} {r['cosine_to_fp32_min']:8.4f}"
            f" {r['kendall_tau_mean']:7.4f} {r['top10_kept']:6.3f} {r['ms_p10']:7.2f}"
        )
    print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
