"""`python -m training export`: the distilled ranker student to ONNX (fp32 + int8), gated by parity.

Steps: export the member tower, job tower and interaction + heads (legacy exporter, opset 17,
dynamic batch / sequence / candidate axes); fuse the towers' transformer ops; quantise the towers
to int8; copy the encoder's tokenizer.json. Each precision becomes a complete model folder
(runs/<preset>/export/<name>-{fp32,int8}/ with manifest.json). The parity gate compares each
folder, run by the service's own code (app/ranking), with the PyTorch student on held-out lists:
fp32 must agree (max |Δscore| ≤ 1e-3, mean Kendall tau ≥ 0.99) or the export fails; int8 is kept
only if its rankings agree (tau ≥ 0.99) and its NDCG@10 is within 0.005 of fp32's. `--publish DIR`
copies the kept folder (int8 if kept, else fp32) to DIR/<name>: the shipped default model.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from app.domain.featurize import FEATURE_NAMES, FEATURES_VERSION, job_text, match_feature_matrix, member_text
from app.ranking.manifest import FORMAT, MANIFEST, Manifest, files_entry, load_manifest
from app.ranking.student import StudentModel
from training.cli import add_run_arguments, resolve_run
from training.config import StudentConfig
from training.data.dataset import load_dataset
from training.data.lists import CandidateList, load_lists
from training.distill.student import FeatureScorer, RankerStudent
from training.errors import TrainingError
from training.evaluation.harness import ModelScores, evaluate_model
from training.evaluation.metrics import kendall_tau_b
from training.export.graphs import export_features, export_interaction, export_tower, fuse_transformer, quantize_int8
from training.policy.policy import Policy, load_policy
from training.teachers.encoder import encoder_dir, load_encoder
from training.teachers.losses import expected_grade

MODEL_NAME = "jobrank-ranker"
PARITY_MAX_ABS = 1e-3  # fp32: largest |ONNX score - PyTorch score| allowed (scores are in [0, 1])
PARITY_MIN_TAU = 0.99  # both precisions: mean per-list Kendall tau of ONNX vs PyTorch rankings
INT8_MAX_NDCG_DROP = 0.005
MAX_SHIPPED_BYTES = 50_000_000  # the model in git (artifacts/) stays under 50 MB
PARITY_LISTS = 20
COMPONENT_FILES = {
    "member_tower": "member_tower.onnx",
    "job_tower": "job_tower.onnx",
    "interaction": "interaction.onnx",
    "features": "features.onnx",
    "tokenizer": "tokenizer.json",
}


class ExportError(TrainingError):
    """The export did not pass its gate (the message says which figure failed)."""


def _load_weights(module: torch.nn.Module, path: Path, strict: bool):
    """load_state_dict from a distill checkpoint; one readable error when it is missing or from another version."""
    if not path.is_file():
        raise TrainingError(f"{path}: not found (run `python -m training distill` first)")
    try:
        return module.load_state_dict(torch.load(path, map_location="cpu"), strict=strict)
    except RuntimeError as exc:  # missing keys or shapes of another student version
        lines = str(exc).splitlines()
        detail = lines[1].strip() if len(lines) > 1 else str(exc)
        raise TrainingError(
            f"{path}: made by another student version ({detail}); re-run `python -m training distill`"
        ) from None


def load_student(runs: Path, cfg: StudentConfig):
    """(student with its encoder, features-tier scorer, tokenizer, encoder card) from runs/<preset>/student/."""
    path = runs / "student" / "student.pt"
    if not path.is_file():
        raise TrainingError(f"{path}: no trained student (run `python -m training distill` first)")
    tokenizer, encoder, card = load_encoder(cfg.layers)
    student = RankerStudent(encoder, encoder.config.hidden_size, cfg.dim)
    missing, unexpected = _load_weights(student, path, strict=False)  # the frozen encoder is not in the file
    if unexpected or any(not key.startswith("encoder.") for key in missing):
        raise TrainingError(f"{path}: does not match the student (missing {missing[:3]}, unexpected {unexpected[:3]})")
    student.eval()
    scorer = FeatureScorer()
    _load_weights(scorer, runs / "student" / "features.pt", strict=True)
    scorer.eval()
    return student, scorer, tokenizer, card


@torch.inference_mode()
def torch_scores(student: RankerStudent, tokenizer, lists: list[CandidateList], cfg: StudentConfig, policy: Policy):
    """The PyTorch student's (relevance, engagement, blended) per list: the parity reference."""
    out = []
    for candidate_list in lists:
        m = tokenizer(
            [member_text(candidate_list.member)], truncation=True, max_length=cfg.member_max_length, return_tensors="pt"
        )
        j = tokenizer(
            [job_text(job) for job in candidate_list.jobs],
            truncation=True,
            max_length=cfg.job_max_length,
            padding=True,
            return_tensors="pt",
        )
        member = student.member_embedding(m["input_ids"], m["attention_mask"])
        jobs = student.job_embedding(j["input_ids"], j["attention_mask"])
        features = torch.from_numpy(match_feature_matrix(candidate_list.member, candidate_list.jobs))
        grade_logits, engage_logits = student.interaction(member.expand(len(jobs), -1), jobs, features)
        r, e = expected_grade(grade_logits).numpy(), torch.sigmoid(engage_logits).numpy()
        out.append((r, e, policy.blend(r, e)))
    return out


def onnx_scores(model: StudentModel, lists: list[CandidateList], progress: bool, desc: str):
    """The exported model's (relevance, engagement, blended) per list, through the service's runtime."""
    out = []
    for candidate_list in tqdm(lists, desc=desc, disable=not progress):
        ranking = model.rank(candidate_list.member, candidate_list.jobs)
        out.append((ranking.relevance, ranking.engagement, ranking.score))
    return out


def parity(reference, exported) -> dict[str, float]:
    """Max |Δ| per head and of the blended score, and Kendall tau of the blended rankings per list."""
    taus = [kendall_tau_b(a[2], b[2]) for a, b in zip(reference, exported, strict=False) if len(a[2]) > 1]
    taus = [t for t in taus if not np.isnan(t)]
    return {
        "lists": len(reference),
        "max_abs_relevance": float(max(np.abs(a[0] - b[0]).max() for a, b in zip(reference, exported, strict=False))),
        "max_abs_engagement": float(max(np.abs(a[1] - b[1]).max() for a, b in zip(reference, exported, strict=False))),
        "max_abs_score": float(max(np.abs(a[2] - b[2]).max() for a, b in zip(reference, exported, strict=False))),
        "mean_kendall_tau": float(np.mean(taus)) if taus else 1.0,
        "min_kendall_tau": float(np.min(taus)) if taus else 1.0,
    }


def _manifest_doc(
    folder: Path,
    files: list[str],
    precision: str,
    cfg: StudentConfig,
    policy: Policy,
    metrics: dict,
    cards: dict,
    created: dt.datetime,
) -> dict:
    entries = files_entry(folder, files)
    digest = hashlib.sha256("".join(e["sha256"] for e in entries.values()).encode()).hexdigest()[:8]
    return {
        "format": FORMAT,
        "name": MODEL_NAME,
        "version": f"{created:%Y.%m.%d}-{precision}-{digest}",
        "created": created.isoformat(timespec="seconds"),
        "kind": "two-tower ranker student (multi-teacher distilled)",
        "precision": {"member_tower": precision, "job_tower": precision, "interaction": "fp32", "features": "fp32"},
        "files": entries,
        "components": COMPONENT_FILES,
        "inputs": {
            "member_tower": {
                "names": ["input_ids", "attention_mask"],
                "text": "member_text (app/domain/featurize.py)",
                "max_length": cfg.member_max_length,
                "output": "embedding [batch, dim]",
            },
            "job_tower": {
                "names": ["input_ids", "attention_mask"],
                "text": "job_text (app/domain/featurize.py)",
                "max_length": cfg.job_max_length,
                "output": "embedding [batch, dim]",
            },
            "interaction": {
                "names": ["member", "jobs", "features"],
                "embedding_dim": cfg.dim,
                "features": list(FEATURE_NAMES),
                "features_version": FEATURES_VERSION,
            },
            "features": {"names": ["features"], "output": "the features-only tier's (relevance, engagement)"},
        },
        "heads": {"relevance": "expected judge grade, 0-4", "engagement": "P(apply or click), 0-1"},
        "blend": {
            "relevance": policy.blend_relevance,
            "engagement": policy.blend_engagement,
            "formula": "score = relevance_weight * relevance / 4 + engagement_weight * engagement",
        },
        "metrics": metrics,
        "cards": cards,
    }


def _cards(data_dir: Path, runs: Path, cfg: StudentConfig, encoder_card) -> dict:
    def read(path: Path) -> dict | None:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    dataset = read(data_dir / "dataset.json") or {}
    teachers = {}
    for kind in ("relevance", "engagement"):
        card = read(runs / "teachers" / kind / "card.json")
        if card:
            teachers[kind] = {
                k: card.get(k) for k in ("kind", "base_model", "inputs", "target", "config", "data", "metrics")
            }
    distilled = read(runs / "student" / "metrics.json") or {}
    return {
        "data": {k: dataset.get(k) for k in ("kind", "generator_version", "preset", "seed", "counts", "attribution")},
        "teachers": teachers,
        "student": {
            "encoder": encoder_card.to_json(),
            "config": cfg.model_dump(mode="json"),
            "train": distilled.get("train"),
            "ablation": distilled.get("ablation"),
        },
    }


def _precision_folder(work: Path, name: str, towers: dict[str, Path], shared: list[Path], tokenizer: Path) -> Path:
    folder = work / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for component, source in towers.items():
        shutil.copyfile(source, folder / f"{component}.onnx")
    for source in shared:
        shutil.copyfile(source, folder / source.name)
    shutil.copyfile(tokenizer, folder / "tokenizer.json")
    return folder


def export_student(
    data_dir: Path,
    runs: Path,
    teacher_cfg,
    cfg: StudentConfig,
    policy: Policy,
    publish: Path | None = None,
    threads: int = 2,
    progress: bool = True,
    max_publish_bytes: int = MAX_SHIPPED_BYTES,
) -> dict:
    """Export, gate and (optionally) publish; returns the report also written to export/report.json."""
    started = time.perf_counter()
    student, scorer, tokenizer, encoder_card = load_student(runs, cfg)
    work = runs / "export"
    graphs = work / "graphs"
    heads, width = student.encoder.config.num_attention_heads, student.encoder.config.hidden_size
    towers_fp32 = {}
    for component, projection in (("member_tower", student.member_projection), ("job_tower", student.job_projection)):
        raw = export_tower(student.encoder, projection, graphs / f"{component}.raw.onnx")
        towers_fp32[component] = fuse_transformer(raw, graphs / f"{component}.fp32.onnx", heads, width)
    towers_int8 = {c: quantize_int8(p, graphs / f"{c}.int8.onnx") for c, p in towers_fp32.items()}
    interaction = export_interaction(student.interaction, cfg.dim, graphs / "interaction.onnx")
    features = export_features(scorer, graphs / "features.onnx")
    tokenizer_json = encoder_dir() / "tokenizer.json"
    exported = time.perf_counter() - started

    data = load_dataset(data_dir)
    test_lists = load_lists(data, ("test",), teacher_cfg.score_test_members, seed=teacher_cfg.seed)
    if not test_lists:
        raise TrainingError(f"{data_dir}: no held-out (test split) lists to check the export on")
    teacher_metrics = runs / "eval" / "metrics.json"
    if not teacher_metrics.is_file():
        raise TrainingError(f"{teacher_metrics}: no teacher evaluation (run `python -m training evaluate` first)")
    teacher_ndcg = json.loads(teacher_metrics.read_text())["models"]["relevance teacher"]["ndcg@10"]
    sample = test_lists[:PARITY_LISTS]
    reference = torch_scores(student, tokenizer, sample, cfg, policy)
    created = dt.datetime.now(dt.UTC)
    cards = _cards(data_dir, runs, cfg, encoder_card)
    report: dict = {"model": MODEL_NAME, "precisions": {}}
    for precision, towers in (("fp32", towers_fp32), ("int8", towers_int8)):
        folder = _precision_folder(work, f"{MODEL_NAME}-{precision}", towers, [interaction, features], tokenizer_json)
        model = StudentModel(
            Manifest(
                folder,
                MODEL_NAME,
                "unpublished",
                COMPONENT_FILES,
                cfg.member_max_length,
                cfg.job_max_length,
                cfg.dim,
                policy.blend_relevance,
                policy.blend_engagement,
                {},
                {},
            ),
            threads,
        )
        scored = onnx_scores(model, test_lists, progress, f"evaluate {precision}")
        check = parity(reference, scored[: len(sample)])  # the sample is the first lists scored
        held_out = evaluate_model(
            test_lists,
            ModelScores([s[0] for s in scored], [s[1] for s in scored], [s[2] for s in scored], probabilities=True),
            policy,
        )
        metrics = {k: round(v, 4) for k, v in held_out.items()}
        metrics |= {
            "teacher_ndcg@10": teacher_ndcg,
            "kept_vs_teacher": round(metrics["ndcg@10"] / teacher_ndcg, 4),
            "held_out_lists": len(test_lists),
            "held_out_pairs": int(sum(len(lst) for lst in test_lists)),
        }
        files = [p.name for p in folder.iterdir()]
        doc = _manifest_doc(folder, files, precision, cfg, policy, metrics | {"parity": check}, cards, created)
        (folder / MANIFEST).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        load_manifest(folder)  # what the service will check
        report["precisions"][precision] = {
            "folder": str(folder),
            "parity": check,
            "metrics": metrics,
            "bytes": sum(p.stat().st_size for p in folder.iterdir()),
        }
    fp32, int8 = report["precisions"]["fp32"], report["precisions"]["int8"]
    if fp32["parity"]["max_abs_score"] > PARITY_MAX_ABS or fp32["parity"]["mean_kendall_tau"] < PARITY_MIN_TAU:
        raise ExportError(f"fp32 ONNX disagrees with PyTorch: {json.dumps(fp32['parity'])}")
    int8_kept = (
        int8["parity"]["mean_kendall_tau"] >= PARITY_MIN_TAU
        and fp32["metrics"]["ndcg@10"] - int8["metrics"]["ndcg@10"] <= INT8_MAX_NDCG_DROP
    )
    report["shipped_precision"] = "int8" if int8_kept else "fp32"
    report["gate"] = {
        "fp32_max_abs_score": PARITY_MAX_ABS,
        "min_mean_kendall_tau": PARITY_MIN_TAU,
        "int8_max_ndcg@10_drop": INT8_MAX_NDCG_DROP,
    }
    chosen = Path(report["precisions"][report["shipped_precision"]]["folder"])
    shipped_bytes = report["precisions"][report["shipped_precision"]]["bytes"]
    if publish is not None and shipped_bytes > max_publish_bytes:
        (work / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        raise ExportError(
            f"the kept model ({report['shipped_precision']}) is {shipped_bytes / 1e6:.1f} MB, over the "
            f"{max_publish_bytes / 1e6:.0f} MB publishing limit; not published (see {work / 'report.json'})"
        )
    if publish is not None:
        target = publish / MODEL_NAME
        staging = publish / f".{MODEL_NAME}.staging"
        if staging.exists():
            shutil.rmtree(staging)
        shutil.copytree(chosen, staging)
        StudentModel.load(staging, threads).rank(sample[0].member, sample[0].jobs)  # loads and ranks
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        report["published"] = str(target)
    report["seconds"] = {"export": round(exported, 1), "total": round(time.perf_counter() - started, 1)}
    (work / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    """Entry point of the export stage."""
    parser = argparse.ArgumentParser(prog="python -m training export", description=__doc__.splitlines()[0])
    add_run_arguments(parser, policy=True)
    parser.add_argument(
        "--publish",
        type=Path,
        metavar="DIR",
        help="copy the kept model folder to DIR/<name> (the shipped default: artifacts)",
    )
    parser.add_argument(
        "--max-publish-mb",
        type=float,
        default=MAX_SHIPPED_BYTES / 1e6,
        help="refuse to publish a bigger model folder (default: 50, the limit for artifacts/ in git)",
    )
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime threads for the checks")
    args = parser.parse_args(argv)
    run = resolve_run(args)
    teacher_cfg, data, runs = run.config.lists, run.data, run.runs
    report = export_student(
        data,
        runs,
        teacher_cfg,
        run.config.student,
        load_policy(args.policy),
        args.publish,
        args.threads,
        not args.no_progress,
        int(args.max_publish_mb * 1e6),
    )
    for precision, entry in report["precisions"].items():
        p, m = entry["parity"], entry["metrics"]
        print(
            f"{precision}: {entry['bytes'] / 1e6:.1f} MB  max|Δscore| {p['max_abs_score']:.2e}  "
            f"tau mean {p['mean_kendall_tau']:.4f} min {p['min_kendall_tau']:.4f}  "
            f"NDCG@10 {m['ndcg@10']}  AUC {m['engagement_auc']}  combined {m['combined']}"
        )
    print(
        f"shipped precision: {report['shipped_precision']}"
        + (f" -> {report['published']}" if "published" in report else "")
    )
    return 0
