"""`python -m training export`: the distilled ranker student to ONNX (fp32 + int8), gated by parity.

Steps: export the member tower, job tower and interaction + heads (legacy exporter, opset 17,
dynamic batch / sequence / candidate axes); fuse the towers' transformer ops; quantise the towers
to int8; copy the encoder's tokenizer.json. Each precision becomes a complete model folder
(runs/<preset>/export/<name>-{fp32,int8}/ with manifest.json). The parity gate compares each
folder, run by the service's own code (app/ranking), with the PyTorch student on held-out lists:
fp32 must agree (max |Δscore| ≤ 1e-3, mean Kendall tau ≥ 0.99) or the export fails; int8 is kept
only if its rankings agree (tau ≥ 0.99) and its NDCG@10 is within 0.005 of fp32's. The int8 recipes
(graphs.INT8_VARIANTS: int8 arithmetic from most to least compressed, then fp32 arithmetic) are tried
in turn and the first that passes and fits the publishing limit ships (int8_choice.py); the report and
the manifest's cards.export name it and the taus of those tried; none passing keeps fp32, with one
line saying why. `--publish DIR` copies the kept folder (int8 if kept, else fp32) to DIR/<name> (``--name``, default jobrank-ranker: the
manifest's name, which the service's JOBRANK_MODEL picks). The size limit (``--max-publish-mb``)
applies by default (50 MB) only when publishing into this repository's git-tracked artifacts/.
Each manifest carries golden requests with the folder's answers (training/export/golden.py);
`--golden-only DIR` writes them into an already exported folder without exporting anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import time
from pathlib import Path

import torch

from app.ranking.golden import check_golden
from app.ranking.manifest import Components, load_manifest
from app.ranking.student import StudentModel
from training.cli import add_run_arguments, resolve_run
from training.config import ExportConfig, ListsConfig, StudentConfig, save_config
from training.data.dataset import load_dataset
from training.data.lists import load_lists
from training.distill.student import FeatureScorer, RankerStudent
from training.distill.towers import load_towers, two_texts
from training.errors import TrainingError
from training.evaluation.harness import ModelScores, evaluate_model
from training.export.golden import add_golden, golden_requests
from training.export.graphs import (
    INT8_VARIANTS,
    Int8Variant,
    export_features,
    export_interaction,
    export_tower,
    fuse_transformer,
    quantize_int8,
)
from training.export.int8_choice import Trial, choose_int8, export_card
from training.export.manifest_writer import (
    MODEL_NAME,
    evaluated_ndcg,
    held_out_metrics,
    model_spec,
    read_cards,
    teacher_ndcg,
    write_manifest,
)
from training.export.parity import onnx_scores, parity, torch_scores
from training.policy.policy import Policy, load_policy
from training.teachers.encoder import encoder_dir

PARITY_LISTS = 20
REPO_ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"  # tracked in git: the size limit is for it
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


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
    tokenizer, encoder, card = load_towers(cfg, runs)
    student = RankerStudent(encoder, encoder.config.hidden_size, cfg.dim, cfg.raw_similarity, two_texts(cfg))
    missing, unexpected = _load_weights(student, path, strict=False)  # the frozen encoder is not in the file
    if unexpected or any(not key.startswith("encoder.") for key in missing):
        raise TrainingError(f"{path}: does not match the student (missing {missing[:3]}, unexpected {unexpected[:3]})")
    student.eval()
    scorer = FeatureScorer()
    _load_weights(scorer, runs / "student" / "features.pt", strict=True)
    scorer.eval()
    return student, scorer, tokenizer, card


def _precision_folder(
    work: Path, name: str, towers: dict[str, Path], shared: list[Path], tokenizer: Path, components: Components
) -> Path:
    folder = work / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for component, source in towers.items():
        shutil.copyfile(source, folder / getattr(components, component))
    for source in shared:
        shutil.copyfile(source, folder / source.name)
    shutil.copyfile(tokenizer, folder / "tokenizer.json")
    return folder


def export_student(
    data_dir: Path,
    runs: Path,
    lists_cfg: ListsConfig,
    cfg: StudentConfig,
    policy: Policy,
    publish: Path | None = None,
    threads: int = 2,
    progress: bool = True,
    gate: ExportConfig | None = None,
    name: str = MODEL_NAME,
    max_publish_mb: float | None = None,
) -> dict:
    """Export, gate and (optionally) publish as ``name``; returns the report also written to
    export/report.json. ``gate`` holds the thresholds (the run config's ``export`` section; its
    defaults when None); ``max_publish_mb`` the size limit for publishing (None: no limit).
    """
    gate = gate or ExportConfig()
    if not SAFE_NAME.fullmatch(name):
        raise TrainingError(f"--name: {name!r} must be letters, digits, '.', '_' or '-' (at most 64)")
    started = time.perf_counter()
    student, scorer, tokenizer, encoder_card = load_student(runs, cfg)
    work = runs / "export"
    graphs = work / "graphs"
    heads, width = student.encoder.config.num_attention_heads, student.encoder.config.hidden_size
    towers_fp32: dict[str, Path] = {}
    for component, projection in (("member_tower", student.member_projection), ("job_tower", student.job_projection)):
        if cfg.raw_similarity and towers_fp32:  # projections live in the interaction: one tower graph serves both
            towers_fp32[component] = towers_fp32["member_tower"]
            continue
        raw = export_tower(
            student.encoder, None if cfg.raw_similarity else projection, graphs / f"{component}.raw.onnx"
        )
        towers_fp32[component] = fuse_transformer(raw, graphs / f"{component}.fp32.onnx", heads, width)
    interaction = export_interaction(
        student.interaction,
        student.pooled_width if cfg.raw_similarity else cfg.dim,
        graphs / "interaction.onnx",
        student if cfg.raw_similarity else None,
    )
    features = export_features(scorer, graphs / "features.onnx")
    tokenizer_json = encoder_dir(cfg.tower_encoder(runs)) / "tokenizer.json"
    exported = time.perf_counter() - started

    data = load_dataset(data_dir)
    test_lists = load_lists(data, ("test",), lists_cfg.score_test_members, seed=lists_cfg.seed)
    if not test_lists:
        raise TrainingError(f"{data_dir}: no held-out (test split) lists to check the export on")
    teacher = teacher_ndcg(runs)
    rules = evaluated_ndcg(runs, "rules")
    sample = test_lists[:PARITY_LISTS]
    reference = torch_scores(student, tokenizer, sample, cfg, policy)
    created = dt.datetime.now(dt.UTC)
    cards = read_cards(data_dir, runs, cfg, encoder_card)
    spec = model_spec(cfg, policy).model_copy(update={"name": name})
    report: dict = {"model": name, "precisions": {}}
    pairs = int(sum(len(lst) for lst in test_lists))

    def build(precision: str, towers: dict[str, Path]) -> tuple[Path, StudentModel]:
        folder = _precision_folder(
            work, f"{name}-{precision}", towers, [interaction, features], tokenizer_json, spec.components
        )
        return folder, StudentModel(folder, spec, threads)

    def complete(precision: str, folder: Path, model: StudentModel, scored: list, export_card: dict) -> dict:
        """Evaluate ``scored`` (every held-out list; the sample first), write the manifest, check its golden answers."""
        check = parity(reference, scored[: len(sample)])
        held_out = evaluate_model(
            test_lists,
            ModelScores([s[0] for s in scored], [s[1] for s in scored], [s[2] for s in scored], probabilities=True),
            policy,
        )
        typed = held_out_metrics(held_out, teacher, len(test_lists), pairs, check, rules)
        write_manifest(folder, spec, precision, typed, golden_requests(model), cards | export_card, created)
        check_golden(StudentModel.load(folder, threads), load_manifest(folder).golden)  # what the service will check
        entry = {
            "folder": str(folder),
            "parity": check,
            "metrics": typed.model_dump(mode="json", by_alias=True, exclude={"parity"}),
            "bytes": sum(p.stat().st_size for p in folder.iterdir()),
        }
        report["precisions"][precision] = entry
        return entry

    folder, model = build("fp32", towers_fp32)
    fp32 = complete("fp32", folder, model, onnx_scores(model, test_lists, progress, "evaluate fp32"), {})
    if (
        fp32["parity"]["max_abs_score"] > gate.parity_max_abs
        or fp32["parity"]["mean_kendall_tau"] < gate.parity_min_tau
    ):
        raise ExportError(f"fp32 ONNX disagrees with PyTorch: {json.dumps(fp32['parity'])}")
    tried: list[dict] = []  # the variants measured so far (each manifest names them)

    def measure(variant: Int8Variant) -> Trial:
        """Quantise, check the size, then parity on the sample, then (if both pass) the held-out NDCG@10."""
        int8 = {p: quantize_int8(p, graphs / f"{p.name.split('.')[0]}.int8.onnx", variant=variant) for p in unique}
        folder, model = build("int8", {component: int8[path] for component, path in towers_fp32.items()})
        size = sum(p.stat().st_size for p in folder.iterdir())
        if publish is not None and max_publish_mb is not None and size > max_publish_mb * 1e6:
            return Trial(variant.name, size)
        sampled = onnx_scores(model, sample, progress, f"parity int8 {variant.name}")
        check = parity(reference, sampled)
        tried.append({"variant": variant.name} | {k: check[k] for k in ("mean_kendall_tau", "min_kendall_tau")})
        if check["mean_kendall_tau"] < gate.parity_min_tau:
            return Trial(variant.name, size, check["mean_kendall_tau"], check["min_kendall_tau"])
        rest = onnx_scores(model, test_lists[len(sample) :], progress, f"evaluate int8 {variant.name}")
        entry = complete("int8", folder, model, sampled + rest, export_card(variant, tried))
        drop = fp32["metrics"]["ndcg@10"] - entry["metrics"]["ndcg@10"]
        return Trial(variant.name, entry["bytes"], check["mean_kendall_tau"], check["min_kendall_tau"], round(drop, 4))

    unique = set(towers_fp32.values())
    limit = max_publish_mb * 1e6 if publish is not None and max_publish_mb is not None else None
    choice = choose_int8(INT8_VARIANTS, measure, gate, limit)
    if choice.shipped is None:  # no servable int8 folder is left behind
        report["precisions"].pop("int8", None)
        shutil.rmtree(work / f"{name}-int8", ignore_errors=True)
    report["int8"] = choice.report()
    report["shipped_precision"] = "fp32" if choice.shipped is None else "int8"
    report["gate"] = {
        "fp32_max_abs_score": gate.parity_max_abs,
        "min_mean_kendall_tau": gate.parity_min_tau,
        "int8_max_ndcg@10_drop": gate.int8_max_ndcg_drop,
    }
    chosen = Path(report["precisions"][report["shipped_precision"]]["folder"])
    shipped_bytes = report["precisions"][report["shipped_precision"]]["bytes"]
    if publish is not None and max_publish_mb is not None and shipped_bytes > max_publish_mb * 1e6:
        (work / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        raise ExportError(
            f"the kept model ({report['shipped_precision']}) is {shipped_bytes / 1e6:.1f} MB, over the "
            f"{max_publish_mb:g} MB publishing limit; not published (see {work / 'report.json'})"
            + ("" if choice.shipped else f"; {choice.message}")
        )
    if publish is not None:
        target = publish / name
        staging = publish / f".{name}.staging"
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


def publish_limit_mb(
    publish: Path | None, flag: float | None, overrides: list[str], gate: ExportConfig
) -> float | None:
    """The size limit for publishing: the one asked for (--max-publish-mb or --set
    export.max_publish_mb), else the gate's default for the git-tracked artifacts/ only, else none."""
    if flag is not None or any(item.split("=")[0].strip() == "export.max_publish_mb" for item in overrides):
        return gate.max_publish_mb
    if publish is not None and publish.resolve() == REPO_ARTIFACTS:
        return gate.max_publish_mb
    return None


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
        help="refuse to publish a bigger model folder (same as --set export.max_publish_mb=N; default: "
        "50 when publishing into the git-tracked artifacts/, else no limit)",
    )
    parser.add_argument(
        "--name", default=MODEL_NAME, help=f"the model's name (manifest; JOBRANK_MODEL picks it; default {MODEL_NAME})"
    )
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime threads for the checks")
    parser.add_argument(
        "--golden-only",
        type=Path,
        metavar="DIR",
        help="only (re)write the golden requests into the exported folder DIR's manifest (model files unchanged)",
    )
    args = parser.parse_args(argv)
    if args.golden_only is not None:
        count = add_golden(args.golden_only, args.threads)
        print(f"{args.golden_only / 'manifest.json'}: {count} golden requests written")
        return 0
    run = resolve_run(args)
    config = run.config
    if args.max_publish_mb is not None:
        config = config.model_copy(
            update={"export": config.export.model_copy(update={"max_publish_mb": args.max_publish_mb})}
        )
    save_config(config, run.runs)
    limit = publish_limit_mb(args.publish, args.max_publish_mb, args.set, config.export)
    report = export_student(
        run.data,
        run.runs,
        config.lists,
        config.student,
        load_policy(args.policy),
        args.publish,
        args.threads,
        not args.no_progress,
        config.export,
        args.name,
        limit,
    )
    for precision, entry in report["precisions"].items():
        p, m = entry["parity"], entry["metrics"]
        print(
            f"{precision}: {entry['bytes'] / 1e6:.1f} MB  max|Δscore| {p['max_abs_score']:.2e}  "
            f"tau mean {p['mean_kendall_tau']:.4f} min {p['min_kendall_tau']:.4f}  "
            f"NDCG@10 {m['ndcg@10']}  AUC {m['engagement_auc']}  combined {m['combined']}"
        )
    print(report["int8"]["message"])
    print(
        f"shipped precision: {report['shipped_precision']}"
        + (f" -> {report['published']}" if "published" in report else "")
    )
    return 0
