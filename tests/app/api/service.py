"""A real uvicorn process serving the app on a free port, for the service tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[3]
SHIPPED = REPO / "artifacts" / "jobrank-ranker"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``uvicorn app.main:app`` (or ``python -m app`` with ``entry_point``) from a private artifacts folder."""

    def __init__(self, artifacts: Path, log: Path, entry_point: bool = False, **env: str):
        self.artifacts = artifacts
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "JOBRANK_ARTIFACTS": str(artifacts), "JOBRANK_LOG_LEVEL": "info", **env}
        if entry_point:
            environ |= {"JOBRANK_HOST": "127.0.0.1", "JOBRANK_PORT": str(self.port)}
            command = [sys.executable, "-m", "app"]
        else:
            command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(self.port)]
        self.log = log
        self.process = subprocess.Popen(
            command, cwd=REPO, env=environ, stdout=subprocess.DEVNULL, stderr=open(log, "wb")
        )
        self.client = httpx.Client(base_url=self.url, timeout=30)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {log.read_text()[-2000:]}")
            try:
                if self.client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"service not ready in 90 s: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
