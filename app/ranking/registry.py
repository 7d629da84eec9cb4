"""The model registry: every model folder under the artifacts path, checked, warmed up, hot-swappable.

A folder is served only after its files match manifest.json (sha256), its sessions load, and a
smoke ranking passes. ``reload()`` loads the folders again *beside* the running engines and swaps
the references atomically: a request holds the engine it started with, so in-flight requests finish
on the old version while new ones get the new. A folder that fails is refused and whatever served
under its name keeps serving; the failure is kept in ``last_reload`` (shown by /readyz, counted in
metrics). An unchanged version keeps its engine (and its warm job cache).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.ranking.engine import RankingEngine
from app.ranking.manifest import MANIFEST, ManifestError, load_manifest
from app.ranking.student import StudentModel

log = logging.getLogger("jobrank.registry")


@dataclass
class ReloadReport:
    """What the last load or reload did."""

    ok: bool
    at: str
    seconds: float
    loaded: dict[str, str] = field(default_factory=dict)  # name -> version, newly loaded
    kept: dict[str, str] = field(default_factory=dict)  # name -> version, unchanged or kept after a failure
    refused: dict[str, str] = field(default_factory=dict)  # folder -> reason

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "at": self.at,
            "seconds": round(self.seconds, 2),
            "loaded": self.loaded,
            "kept": self.kept,
            "refused": self.refused,
        }


class ModelRegistry:
    """Loaded engines by model name, and the one that answers /v1/rank."""

    def __init__(self, artifacts: Path, preferred: str, threads: int, cache_size: int):
        self.artifacts = Path(artifacts)
        self.preferred = preferred
        self.threads = threads
        self.cache_size = cache_size
        self.engines: dict[str, RankingEngine] = {}
        self.active: RankingEngine | None = None
        self.last_reload: ReloadReport | None = None
        self._lock = threading.Lock()  # one reload at a time

    def folders(self) -> list[Path]:
        """Model folders (those holding a manifest.json), in name order."""
        if not self.artifacts.is_dir():
            return []
        return sorted(p for p in self.artifacts.iterdir() if p.is_dir() and (p / MANIFEST).is_file())

    def _load(self, folder: Path) -> RankingEngine:
        engine = RankingEngine(StudentModel.load(folder, self.threads), self.cache_size)
        engine.smoke_check()
        engine.warm_up()
        return engine

    def reload(self) -> ReloadReport:
        """Load every folder beside the running engines, then swap; failures keep the old engine."""
        with self._lock:
            started = time.perf_counter()
            report = ReloadReport(ok=True, at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), seconds=0.0)
            engines: dict[str, RankingEngine] = {}
            folders = self.folders()
            if not folders:
                report.refused[str(self.artifacts)] = f"no model folder (with {MANIFEST}) under {self.artifacts}"
            for folder in folders:
                try:
                    manifest = load_manifest(folder, verify=False)  # cheap: name and version
                    current = self.engines.get(manifest.name)
                    if (
                        current is not None
                        and current.version == manifest.version
                        and current.model.manifest.directory == folder
                    ):
                        load_manifest(folder)  # files still intact?
                        engines[manifest.name] = current
                        report.kept[manifest.name] = current.version
                        continue
                    engine = self._load(folder)
                    if engine.name in engines:
                        raise ManifestError(f"{folder}: a second model named {engine.name!r}")
                    engines[engine.name] = engine
                    report.loaded[engine.name] = engine.version
                except (ManifestError, ValueError, OSError) as exc:
                    report.refused[folder.name] = str(exc)
                    log.error("model refused", extra={"folder": str(folder), "reason": str(exc)})
            for name, engine in self.engines.items():  # refused or vanished: keep serving the old one
                if name not in engines:
                    engines[name] = engine
                    report.kept[name] = engine.version
            active = engines.get(self.preferred) or (engines[min(engines)] if engines else None)
            self.engines, self.active = engines, active  # the swap: two reference assignments
            report.ok = not report.refused
            report.seconds = time.perf_counter() - started
            self.last_reload = report
            return report

    def describe(self) -> list[dict]:
        """Loaded models with versions, manifests' metrics and whether each answers /v1/rank."""
        active = self.active
        out = []
        for name, engine in sorted(self.engines.items()):
            manifest = engine.model.manifest.raw
            out.append(
                {
                    "name": name,
                    "version": engine.version,
                    "active": engine is active,
                    "created": manifest.get("created"),
                    "precision": manifest.get("precision"),
                    "metrics": manifest.get("metrics"),
                    "blend": manifest.get("blend"),
                    "inputs": manifest.get("inputs"),
                    "cache": {"size": len(engine.cache), "hit_rate": round(engine.cache.hit_rate(), 4)},
                    "costs_ms": engine.costs.snapshot(),
                }
            )
        return out
