"""deploy/k8s validates offline against Kubernetes' schemas (strict) and keeps the promises the README makes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
KUSTOMIZATIONS = sorted(K8S.rglob("kustomization.yaml"))
MANIFESTS = sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")
VERSIONS = ("1.29.0", None)  # None: the newest version kubernetes-validate ships


def validate(path: Path, version: str | None) -> None:
    """Run `kubernetes-validate --strict` on one file; fail with its report."""
    command = [sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet", str(path)]
    if version:
        command[3:3] = ["-k", version]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{path.relative_to(REPO)} against {version or 'newest'}:\n{done.stdout}{done.stderr}"


def kustomize() -> list[str] | None:
    """The command that renders a kustomization: kustomize, or kubectl's built-in one; None when neither exists."""
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def test_there_is_a_base_and_an_overlay() -> None:
    assert {p.parent.relative_to(K8S).as_posix() for p in KUSTOMIZATIONS} >= {"base", "overlays/example"}


@pytest.mark.parametrize("version", VERSIONS, ids=["k8s-1.29", "k8s-newest"])
@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.relative_to(K8S).as_posix())
def test_every_manifest_validates_strictly(path: Path, version: str | None) -> None:
    validate(path, version)


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS, ids=lambda p: p.parent.relative_to(K8S).as_posix())
def test_kustomization_lists_existing_files(kustomization: Path) -> None:
    spec = yaml.safe_load(kustomization.read_text())
    listed = list(spec.get("resources", [])) + [p["path"] for p in spec.get("patches", []) if "path" in p]
    assert listed, f"{kustomization} lists nothing"
    for entry in listed:
        target = kustomization.parent / entry
        assert target.is_file() or (target / "kustomization.yaml").is_file(), f"{kustomization}: {entry} is missing"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS, ids=lambda p: p.parent.relative_to(K8S).as_posix())
@pytest.mark.parametrize("version", VERSIONS, ids=["k8s-1.29", "k8s-newest"])
def test_rendered_kustomization_validates(kustomization: Path, version: str | None, tmp_path: Path) -> None:
    command = kustomize()
    if command is None:
        pytest.skip("neither kustomize nor kubectl is installed: the raw files are validated instead")
    rendered = subprocess.run([*command, str(kustomization.parent)], capture_output=True, text=True, check=True).stdout
    out = tmp_path / "rendered.yaml"
    out.write_text(rendered)
    validate(out, version)


def _base(kind: str) -> dict:
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] == kind and path.parent.name == "base":
                return doc
    raise AssertionError(f"no {kind} in deploy/k8s/base")


def test_deployment_keeps_the_operational_promises() -> None:
    deployment, config = _base("Deployment"), _base("ConfigMap")["data"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert deployment["spec"]["replicas"] >= 2
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert "startupProbe" in container and "preStop" in container["lifecycle"]
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pod["terminationGracePeriodSeconds"] > pre_stop + int(config["JOBRANK_SHUTDOWN_GRACE_S"])
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"])
    limits = container["resources"]["limits"]
    assert {"cpu", "memory"} <= set(limits) and {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert config["JOBRANK_THREADS"] == str(limits["cpu"])
    secret = next(e for e in container["env"] if e["name"] == "JOBRANK_ADMIN_TOKEN")
    assert "secretKeyRef" in secret["valueFrom"]
    assert all(key.startswith("JOBRANK_") for key in config)


def test_scaling_objects_use_the_stable_apis() -> None:
    assert _base("HorizontalPodAutoscaler")["apiVersion"] == "autoscaling/v2"
    assert _base("PodDisruptionBudget")["apiVersion"] == "policy/v1"
    assert _base("HorizontalPodAutoscaler")["spec"]["minReplicas"] >= 2
