"""The model registry: the model folders under the artifacts path, checked, warmed up, hot-swappable.

Layout: ``artifacts/NAME/manifest.json`` or, several versions side by side, ``artifacts/NAME/VERSION/``
(or any sibling folders whose manifests share a name): the manifest's ``name`` and ``version`` decide,
not the folder names. Per name the newest version (by the manifest's ``created``) that passes every
check serves; ``JOBRANK_MODEL_VERSION`` pins the version of ``JOBRANK_MODEL`` instead.

A folder is served only after its files match manifest.json (sha256), its sessions load, a smoke
ranking passes and it gives the answers its manifest recorded for the golden requests. ``reload()``
loads beside the running engines and swaps the references atomically: a request holds the engine it
started with, so in-flight requests finish on the old version while new ones get the new. A folder
that fails is refused and whatever served under its name keeps serving; a model whose folder was
deleted is unloaded. The outcome is kept in ``last_reload`` (shown by /readyz, counted in metrics).

No cold start on a new version: when its job tower, tokenizer and job text length are the old
version's, it takes over the old job-embedding cache; otherwise it encodes the most recently used
jobs of the old cache before the swap.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.ranking.cache import CachedJob
from app.ranking.engine import RankingEngine
from app.ranking.golden import check_golden
from app.ranking.manifest import MANIFEST, ManifestError, ModelManifest, load_manifest
from app.ranking.student import StudentModel

log = logging.getLogger("jobrank.registry")

WARM_JOBS = 1000  # jobs encoded for a new version with another job tower before it serves (~4 s on 2 cores)


@dataclass
class ReloadReport:
    """What the last load or reload did (folders are named relative to the artifacts path)."""

    ok: bool
    at: str
    seconds: float
    loaded: dict[str, str] = field(default_factory=dict)  # name -> version, newly loaded
    kept: dict[str, str] = field(default_factory=dict)  # name -> version, unchanged or kept after a failure
    refused: dict[str, str] = field(default_factory=dict)  # folder (or name) -> reason
    unloaded: dict[str, str] = field(default_factory=dict)  # name -> version whose folder is gone
    cache: dict[str, str] = field(default_factory=dict)  # name -> how the new version's job cache started

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "at": self.at,
            "seconds": round(self.seconds, 2),
            "loaded": self.loaded,
            "kept": self.kept,
            "refused": self.refused,
            "unloaded": self.unloaded,
            "cache": self.cache,
        }


@dataclass(frozen=True)
class Served:
    """A loaded model version: its folder, its manifest and the engine answering with it."""

    folder: Path
    manifest: ModelManifest
    engine: RankingEngine


def job_tower_identity(manifest: ModelManifest) -> tuple[str, str, int, str]:
    """What a job's embedding depends on: the job tower's and the tokenizer's sha256, the job text
    length and which text the tower reads."""
    files = manifest.files
    return (
        files[manifest.components.job_tower].sha256,
        files[manifest.components.tokenizer].sha256,
        manifest.inputs.job_tower.max_length,
        manifest.inputs.tower_text,
    )


class ModelRegistry:
    """Loaded engines by model name, and the one that answers /v1/rank."""

    def __init__(
        self,
        artifacts: Path,
        preferred: str,
        threads: int,
        cache_size: int,
        version: str | None = None,
        warm_jobs: int = WARM_JOBS,
    ):
        self.artifacts = Path(artifacts)
        self.preferred = preferred
        self.version = version or None  # pins the preferred model's version
        self.threads = threads
        self.cache_size = cache_size
        self.warm_jobs = warm_jobs
        self.served: dict[str, Served] = {}
        self.active: RankingEngine | None = None
        self.last_reload: ReloadReport | None = None
        self._lock = threading.Lock()  # one reload at a time

    @property
    def engines(self) -> dict[str, RankingEngine]:
        """The engine serving each model name."""
        return {name: served.engine for name, served in self.served.items()}

    def folders(self) -> list[Path]:
        """Model folders (holding a manifest.json) one or two levels under the artifacts path, in path order."""
        if not self.artifacts.is_dir():
            return []
        found = [*self.artifacts.glob(f"*/{MANIFEST}"), *self.artifacts.glob(f"*/*/{MANIFEST}")]
        visible = [
            path for path in found if not any(part.startswith(".") for part in path.relative_to(self.artifacts).parts)
        ]
        return sorted(path.parent for path in visible if path.is_file())  # not hidden: export's staging copy

    def _relative(self, text: object) -> str:
        """Paths under the artifacts folder named relative to it (answers never show absolute paths)."""
        return str(text).replace(f"{self.artifacts}/", "").replace(str(self.artifacts), ".")

    def _candidates(self, folders: list[Path], report: ReloadReport) -> dict[str, list[tuple[Path, ModelManifest]]]:
        """Per model name, the folders that may serve it, newest first (and only the pinned version)."""
        by_name: dict[str, list[tuple[Path, ModelManifest]]] = {}
        for folder in folders:
            try:
                manifest = load_manifest(folder, verify=False)  # cheap: the document only
            except ManifestError as exc:
                report.refused[self._relative(folder)] = self._relative(exc)
                continue
            by_name.setdefault(manifest.name, []).append((folder, manifest))
        for name, options in by_name.items():
            options.sort(key=lambda option: (option[1].created, option[1].version), reverse=True)
            seen: dict[str, Path] = {}
            for folder, manifest in list(options):
                if manifest.version in seen:
                    options.remove((folder, manifest))
                    report.refused[self._relative(folder)] = (
                        f"version {manifest.version!r} of {name!r} is also in {self._relative(seen[manifest.version])}"
                    )
                seen.setdefault(manifest.version, folder)
            if name == self.preferred and self.version is not None:
                pinned = [option for option in options if option[1].version == self.version]
                if not pinned:
                    report.refused[name] = (
                        f"JOBRANK_MODEL_VERSION={self.version}: no folder holds that version "
                        f"(found {', '.join(sorted(seen)) or 'none'})"
                    )
                by_name[name] = pinned
        return by_name

    def _load(self, folder: Path, current: Served | None, report: ReloadReport) -> Served:
        """Verify, load, smoke-test, check the golden requests, warm up; then give it a warm job cache."""
        manifest = load_manifest(folder)
        model = StudentModel(folder, manifest, self.threads)
        engine = RankingEngine(model, self.cache_size)
        check_golden(model, manifest.golden)  # the answers recorded at export, then generic sanity
        engine.smoke_check()
        engine.warm_up()
        if current is not None:
            report.cache[manifest.name] = self._carry_cache(current, manifest, engine)
        return Served(folder, manifest, engine)

    def _carry_cache(self, current: Served, manifest: ModelManifest, engine: RankingEngine) -> str:
        """Take over the old version's job cache when the embeddings are the same, else warm on its recent jobs."""
        old = current.engine.cache
        if job_tower_identity(current.manifest) == job_tower_identity(manifest):
            engine.cache = old  # same embeddings: both versions may share it (writes are locked)
            return f"carried over ({len(old)} jobs): same job tower"
        if current.manifest.inputs.tower_text != manifest.inputs.tower_text:
            return "not warmed: the new job tower reads another text"  # the old cache kept no job records
        recent = old.recent(self.warm_jobs)
        if recent:
            vectors = engine.model.encode_jobs([text for _, _, text in recent])
            entries = [(key, CachedJob(vectors[i], entry.facts)) for i, (key, entry, _) in enumerate(recent)]
            engine.cache.put_many(entries, [text for _, _, text in recent])
        return f"warmed on {len(recent)} recent jobs: new job tower"

    def _choose(self, name: str, options: list[tuple[Path, ModelManifest]], report: ReloadReport) -> Served | None:
        """The newest option that passes every check (the running one is kept if its files are intact)."""
        current = self.served.get(name)
        for folder, manifest in options:
            try:
                if current is not None and current.folder == folder and current.manifest.version == manifest.version:
                    load_manifest(folder)  # files still intact?
                    report.kept[name] = manifest.version
                    return current
                served = self._load(folder, current, report)
                report.loaded[name] = manifest.version
                return served
            except (ManifestError, ValueError, OSError) as exc:
                report.refused[self._relative(folder)] = self._relative(exc)
                log.error("model refused", extra={"folder": self._relative(folder), "reason": self._relative(exc)})
        return None

    def reload(self) -> ReloadReport:
        """Load the newest valid version of every model beside the running engines, then swap."""
        with self._lock:
            started = time.perf_counter()
            report = ReloadReport(ok=True, at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), seconds=0.0)
            served: dict[str, Served] = {}
            folders = self.folders()
            candidates = self._candidates(folders, report)
            if not folders:
                report.refused["."] = f"no model folder (with {MANIFEST}) under the artifacts path"
            for name, options in sorted(candidates.items()):
                chosen = self._choose(name, options, report)
                if chosen is not None:
                    served[name] = chosen
            for name, current in self.served.items():
                if name in served:
                    continue
                if (current.folder / MANIFEST).is_file() or not folders:
                    served[name] = current  # refused: the old version keeps serving
                    report.kept[name] = current.manifest.version
                else:
                    report.unloaded[name] = current.manifest.version  # its folder was deleted
            names = sorted(served)
            active = served.get(self.preferred) or (served[names[0]] if names else None)
            self.served, self.active = served, active.engine if active else None  # the swap
            report.ok = not report.refused
            report.seconds = time.perf_counter() - started
            self.last_reload = report
            return report

    def describe(self) -> list[dict]:
        """Loaded models with versions, manifests' metrics and whether each answers /v1/rank."""
        active = self.active
        out = []
        for name, served in sorted(self.served.items()):
            engine, manifest = served.engine, served.manifest
            shown = manifest.model_dump(mode="json", by_alias=True, include={"precision", "metrics", "blend", "inputs"})
            out.append(
                {
                    "name": name,
                    "version": manifest.version,
                    "folder": self._relative(served.folder),
                    "active": engine is active,
                    "created": manifest.created.isoformat(),
                    **shown,
                    "cache": {"size": len(engine.cache), "hit_rate": round(engine.cache.hit_rate(), 4)},
                    "costs_ms": engine.costs.snapshot(),
                }
            )
        return out
