"""Benchmark: the shipped ranker student vs the relevance teacher, side by side in one run.

    python benchmarks/student_vs_teacher.py            # full preset: artifacts/ + runs/full
    python benchmarks/student_vs_teacher.py --preset tiny --model runs/tiny/export/jobrank-ranker-int8

Speed: one member and 100 held-out candidates, 2 onnxruntime threads on both sides, median of
``--repeats`` runs after warm-up.
  * student, jobs cached (embedding + the job side of the match features, as in the service's
    cache): tokenise the member, member tower, match features, interaction + heads, blend, sort —
    everything a request costs once its jobs are in the cache;
  * relevance teacher in onnxruntime, every variant exported here (fp32, fused fp32, int8 of the
    fused graph): tokenise the 100 (member, job) pairs, match features, run — its fastest variant counts.
Quality: the manifest's metrics measured at export (student NDCG@10 vs the judge, the rules' and the relevance
teacher's on the same held-out members). Pipeline time: runs/<preset>/pipeline.json when present.
Targets (issue 5): speed ratio ≥ 100, kept quality ≥ 0.97, pipeline ≤ 75 min (full preset).
Writes runs/<preset>/benchmarks/student_vs_teacher.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.domain.featurize import (  # noqa: E402
    facts_feature_matrix,
    job_facts,
    match_feature_matrix,
    member_facts,
    pair_text,
)
from app.ranking.manifest import load_manifest  # noqa: E402
from app.ranking.student import StudentModel, session_options  # noqa: E402
from benchmarks.timing import median_ms  # noqa: E402

CANDIDATES = 100


def teacher_variants(runs: Path) -> dict[str, Path]:
    """The relevance teacher as ONNX: fp32, fused fp32 and int8 (exported once, then reused)."""
    from training.export.graphs import export_teacher, fuse_transformer, quantize_int8
    from training.teachers.train import load_teacher

    out = runs / "export" / "teacher"
    paths = {
        "fp32": out / "relevance.fp32.onnx",
        "fused fp32": out / "relevance.fused.onnx",
        "int8": out / "relevance.int8.onnx",
    }
    if not all(p.is_file() for p in paths.values()):
        teacher, _, _ = load_teacher(runs / "teachers" / "relevance")
        export_teacher(teacher, paths["fp32"])
        config = teacher.encoder.config
        fuse_transformer(paths["fp32"], paths["fused fp32"], config.num_attention_heads, config.hidden_size)
        quantize_int8(paths["fused fp32"], paths["int8"], accurate=False)  # the fastest int8
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="full", choices=("tiny", "full"))
    parser.add_argument("--model", type=Path, help="exported model folder (default: artifacts/jobrank-ranker)")
    parser.add_argument("--runs", type=Path, help="run folder with the teachers (default: runs/<preset>)")
    parser.add_argument("--data", type=Path, help="dataset folder (default: data/<preset>)")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    runs = args.runs or Path("runs") / args.preset
    data_dir = args.data or Path("data") / args.preset
    model_dir = args.model or Path("artifacts") / "jobrank-ranker"

    import onnxruntime as ort
    from tokenizers import Tokenizer

    from training.config import load_config
    from training.data.dataset import load_dataset
    from training.data.lists import load_lists
    from training.teachers.encoder import encoder_dir

    config = load_config(args.preset)
    lists = load_lists(load_dataset(data_dir), ("test",), config.lists.score_test_members, seed=config.lists.seed)
    candidate_list = max(lists, key=len)
    member, jobs = candidate_list.member, list(candidate_list.jobs)
    while len(jobs) < CANDIDATES:  # tiny lists can be shorter than 100
        jobs += jobs[: CANDIDATES - len(jobs)]
    jobs = jobs[:CANDIDATES]

    # Student: job embeddings and the job side of the match features computed once beforehand
    # (what the service's job cache holds).
    student = StudentModel.load(model_dir, threads=args.threads)
    cached = student.encode_jobs([student.job_text(job) for job in jobs])
    cached_facts = [job_facts(job) for job in jobs]

    def student_request():
        vector = student.encode_members([student.member_text(member)])[0]
        features = facts_feature_matrix(member_facts(member), cached_facts)
        relevance, engagement = student.score(vector, cached, features)
        return np.argsort(-student.blend(relevance, engagement), kind="stable")

    # Teacher: every (member, job) pair through the cross-encoder.
    tokenizer = Tokenizer.from_file(str(encoder_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=config.teacher.max_length, strategy="longest_first")
    tokenizer.enable_padding()
    teacher_ms = {}
    for variant, path in teacher_variants(runs).items():
        session = ort.InferenceSession(str(path), session_options(args.threads), providers=["CPUExecutionProvider"])

        def teacher_request(session=session):
            encodings = tokenizer.encode_batch([pair_text(member, job) for job in jobs])
            feeds = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
                "features": match_feature_matrix(member, jobs),
            }
            return np.argsort(-session.run(None, feeds)[0], kind="stable")

        teacher_ms[variant] = median_ms(teacher_request, max(5, args.repeats // 10), warmup=2)
    student_ms = median_ms(student_request, args.repeats * 4)
    fastest = min(teacher_ms, key=lambda variant: teacher_ms[variant])
    metrics = load_manifest(model_dir, verify=False).metrics
    teacher = metrics.teacher_ndcg_at_10
    kept = metrics.ndcg_at_10 / teacher if teacher else float("nan")
    pipeline_file = runs / "pipeline.json"
    pipeline = json.loads(pipeline_file.read_text())["seconds"] if pipeline_file.is_file() else None
    result = {
        "model": {"name": student.name, "version": student.version, "folder": str(model_dir)},
        "candidates": CANDIDATES,
        "threads": args.threads,
        "student_ms_cached_jobs": round(student_ms, 3),
        "teacher_ms": {k: round(v, 2) for k, v in teacher_ms.items()},
        "teacher_fastest": fastest,
        "speed_ratio": round(teacher_ms[fastest] / student_ms, 1),
        "student_ndcg@10": metrics.ndcg_at_10,
        "rules_ndcg@10": metrics.rules_ndcg_at_10,  # the bar to beat (null in manifests from before it)
        "teacher_ndcg@10": teacher,
        "kept_quality": round(kept, 4),
        "pipeline_seconds": pipeline,
        "targets": {"speed_ratio": 100, "kept_quality": 0.97, "pipeline_minutes": 75},
    }
    out = runs / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / "student_vs_teacher.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"student (cached job embeddings), {CANDIDATES} candidates: {student_ms:.2f} ms")
    for variant, ms in teacher_ms.items():
        print(f"relevance teacher onnx {variant:<11}: {ms:.1f} ms")
    print(f"speed ratio vs fastest teacher ({fastest}): {result['speed_ratio']}x  (target >= 100x)")
    print(f"NDCG@10 student {metrics.ndcg_at_10} / teacher {teacher} = kept {kept:.3f}  (target >= 0.97)")
    print(f"NDCG@10 rules (the judge's field path) {metrics.rules_ndcg_at_10}: the bar to beat")
    if pipeline:
        print(f"pipeline: {pipeline['total'] / 60:.1f} min  (target <= 75 min)")
    print(f"-> {out / 'student_vs_teacher.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
