"""The Docker image, really built and run: healthy, answers /v1/rank, non-root, no torch, mounted models, drains on stop.

Set-up (packages, engine, base image) is scripts/container-test-env.sh, run here as root. Without root the
tests skip with the reason; JOBRANK_REQUIRE_CONTAINER=1 (set by .ci/run) turns that skip into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.container

REPO = Path(__file__).resolve().parents[2]
DOCKER = "/usr/bin/docker"  # the docker.io CLI (another `docker` on PATH may lack BuildKit)
IMAGE = "jobrank:container-test"
GRACE_S = 20  # JOBRANK_SHUTDOWN_GRACE_S: the drain the image is built for
EXAMPLE = json.loads((REPO / "docs" / "example_request.json").read_text())


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI; on failure the assertion shows its output."""
    done = subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check:
        assert done.returncode == 0, f"docker {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


def unavailable_reason() -> str | None:
    """Why the container test cannot run here, None when it can."""
    if os.name != "posix" or not Path("/etc/debian_version").is_file():
        return "the container test needs a Debian-like Linux machine (apt-get, debootstrap)"
    if os.geteuid() != 0:
        return "the container test needs root to install docker.io/debootstrap and start dockerd (scripts/container-test-env.sh)"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The jobrank image built on the debootstrapped base; stops the dockerd the set-up started, if it did."""
    reason = unavailable_reason()
    if reason:
        if os.environ.get("JOBRANK_REQUIRE_CONTAINER") == "1":
            pytest.fail(f"JOBRANK_REQUIRE_CONTAINER=1 but {reason}")
        pytest.skip(reason)
    pidfile = tmp_path_factory.mktemp("dockerd") / "dockerd.pid"
    env = {**os.environ, "JOBRANK_DOCKERD_PIDFILE": str(pidfile)}
    setup = subprocess.run(
        [str(REPO / "scripts" / "container-test-env.sh"), "--image", IMAGE],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    try:
        assert setup.returncode == 0, f"scripts/container-test-env.sh failed:\n{setup.stderr[-4000:]}"
        yield IMAGE
    finally:
        others = docker("ps", "--quiet", check=False).stdout.split() if pidfile.is_file() else []
        if pidfile.is_file() and not others:  # the set-up started an engine and no one else uses it: stop it
            pid = int(pidfile.read_text())
            os.kill(pid, signal.SIGTERM)
            for _ in range(60):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.5)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder for a volume: the shipped model plus a broken one (its refusal shows the volume is read)."""
    root = tmp_path_factory.mktemp("models")
    shutil.copytree(REPO / "artifacts" / "jobrank-ranker", root / "jobrank-ranker")
    (root / "broken-model").mkdir()
    (root / "broken-model" / "manifest.json").write_text("{}")
    for path in [root, *root.rglob("*")]:  # readable by the image's user (10001)
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


@pytest.fixture(scope="module")
def service(image: str, models: Path) -> Iterator[dict]:
    """A running container on a free loopback port (host network), read-only root fs, models from a volume."""
    port = free_port()
    name = f"jobrank-test-{port}"
    env = {"JOBRANK_HOST": "127.0.0.1", "JOBRANK_PORT": str(port), "JOBRANK_ARTIFACTS": "/models"}
    options = ["--detach", "--name", name, "--network", "host", "--read-only", "--tmpfs", "/tmp"]
    options += [f"--env={key}={value}" for key, value in env.items()] + [f"--volume={models}:/models:ro"]
    docker("run", *options, image)
    try:
        yield {"name": name, "url": f"http://127.0.0.1:{port}"}
    finally:
        docker("rm", "--force", name, check=False)


def health(name: str) -> str:
    return docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()


def test_image_is_lean_and_declares_how_to_run(image: str) -> None:
    (info,) = json.loads(docker("image", "inspect", image).stdout)
    config = info["Config"]
    assert info["Size"] <= 500e6, f"image is {info['Size'] / 1e6:.0f} MB (goal <= 500 MB)"
    assert config["User"].split(":")[0] == "10001"
    assert config["Cmd"] == ["/opt/venv/bin/python3", "-m", "app"]
    assert config["StopSignal"] == "SIGTERM"
    assert config["Healthcheck"]["Test"][0] == "CMD"
    assert "org.opencontainers.image.title" in config["Labels"]


def test_image_has_no_torch_nor_transformers(image: str) -> None:
    run = "run --rm --network host --entrypoint /opt/venv/bin/python3".split()
    listing = docker(*run, image, "-m", "pip", "list", "--format=json")
    names = {p["name"].lower() for p in json.loads(listing.stdout)}
    assert {"onnxruntime", "fastapi", "uvicorn"} <= names
    assert not names & {"torch", "transformers", "jobrank"}, sorted(names)


def test_container_becomes_healthy(service: dict) -> None:
    deadline = time.monotonic() + 180
    while (status := health(service["name"])) != "healthy" and time.monotonic() < deadline:
        assert status in ("starting", "unhealthy"), status
        time.sleep(1)
    logs = docker("logs", "--tail", "20", service["name"]).stderr
    assert status == "healthy", f"health {status!r}; last logs:\n{logs}"


def test_service_runs_as_non_root(service: dict) -> None:
    assert docker("exec", service["name"], "id", "-u").stdout.strip() not in ("", "0")


def test_rank_answers_the_readme_example(service: dict) -> None:
    response = httpx.post(service["url"] + "/v1/rank", json=EXAMPLE, timeout=30)
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]) == len(EXAMPLE["candidates"])


def test_models_come_from_the_mounted_volume(service: dict) -> None:
    ready = httpx.get(service["url"] + "/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert "broken-model" in ready.text  # refused: only the mounted /models folder holds it


def slow_request(tag: str, count: int = 300) -> dict:
    """A request whose every job is new to the service and whose budget lets it encode them all (~1-2 s)."""
    candidates = []
    for i in range(count):
        job = dict(EXAMPLE["candidates"][i % len(EXAMPLE["candidates"])])
        job["job_id"] = f"{tag}-{i}"
        job["description"] = f"{job.get('description', '')} Ref {tag}-{i}."
        candidates.append(job)
    return {**EXAMPLE, "request_id": tag, "candidates": candidates, "budget_ms": 60_000}


def test_stop_drains_in_flight_requests(service: dict) -> None:
    answers: list[tuple[int | str, float]] = []

    def send(tag: str) -> None:
        try:
            response = httpx.post(service["url"] + "/v1/rank", json=slow_request(tag), timeout=60)
            answers.append((response.status_code, time.monotonic()))
        except httpx.HTTPError as exc:
            answers.append((type(exc).__name__, time.monotonic()))

    senders = [threading.Thread(target=send, args=(f"drain-{i}",)) for i in range(3)]
    for sender in senders:
        sender.start()
    time.sleep(0.5)  # the requests are in the service's hands
    stopped = time.monotonic()
    stop = docker("stop", "--time", str(GRACE_S + 20), service["name"], timeout=GRACE_S + 60)
    elapsed = time.monotonic() - stopped
    for sender in senders:
        sender.join(70)
    assert stop.returncode == 0
    assert elapsed < GRACE_S + 5, f"docker stop took {elapsed:.1f} s (drain is {GRACE_S} s)"
    assert docker("inspect", "--format", "{{.State.ExitCode}}", service["name"]).stdout.strip() == "0"
    assert [status for status, _ in answers] == [200] * 3, answers
    assert max(at for _, at in answers) > stopped, "every request finished before the stop: nothing was in flight"
