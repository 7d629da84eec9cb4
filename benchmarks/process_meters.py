"""What a benchmark measures about the service while load runs: its CPU and RSS (a process tree or a container),
the load generator's own CPU beside it, and the peak RSS over a run."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path

DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").is_file() else "docker"


class ServerUsage:
    """RSS and CPU of the service: /proc of a PID and its child processes, or `docker stats` of a container."""

    def __init__(self, pid: int | None = None, container: str | None = None) -> None:
        if container and pid is None:
            found = subprocess.run(
                [DOCKER, "inspect", "-f", "{{.State.Pid}}", container], capture_output=True, text=True
            )
            host_pid = int(found.stdout.strip() or 0)
            pid = host_pid if host_pid and Path(f"/proc/{host_pid}/stat").is_file() else None
        self.pid, self.container = pid, container
        self._last: tuple[float, float] | None = None

    def _tree(self) -> list[int]:
        assert self.pid is not None
        pids = [self.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.pid:
                    pids.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        return pids

    def _proc(self) -> tuple[float, float]:
        """(CPU seconds used so far, RSS bytes now) over the process tree."""
        ticks, rss = 0.0, 0.0
        for pid in self._tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime + stime
                rss += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, ValueError, IndexError):
                continue
        return ticks / os.sysconf("SC_CLK_TCK"), rss

    def start(self) -> None:
        if self.pid is not None:
            self._last = (time.monotonic(), self._proc()[0])

    def sample(self) -> dict | None:
        """Since start(): CPU as % of one core, and RSS now (MB)."""
        if self.pid is not None and self._last is not None:
            (began, cpu_began), cpu_now_rss = self._last, self._proc()
            elapsed = max(1e-9, time.monotonic() - began)
            return {
                "cpu_percent": round(100 * (cpu_now_rss[0] - cpu_began) / elapsed, 1),
                "rss_mb": round(cpu_now_rss[1] / 2**20, 1),
            }
        if self.container:
            stats = subprocess.run(
                [DOCKER, "stats", "--no-stream", "--format", "{{json .}}", self.container],
                capture_output=True,
                text=True,
            )
            if stats.returncode == 0 and stats.stdout.strip():
                row = json.loads(stats.stdout)
                return {
                    "cpu_percent": float(row["CPUPerc"].rstrip("%")),
                    "mem_usage": row["MemUsage"],
                    "source": "docker stats",
                }
        return None


class CpuMeter:
    """CPU the service and this process (the load generator) used over a phase, in cores (CPU s / wall s):
    tells whether a phase's goodput was limited by the service's own work or by the cores it got."""

    def __init__(self, server_pid: int):
        self.server = ServerUsage(server_pid)
        self.server.start()
        times = os.times()
        self.at = (time.monotonic(), times.user + times.system)

    def cores(self) -> dict[str, float]:
        server = self.server.sample()
        times = os.times()
        elapsed = max(time.monotonic() - self.at[0], 1e-9)
        return {
            "server": round(server["cpu_percent"] / 100, 2) if server else float("nan"),
            "client": round((times.user + times.system - self.at[1]) / elapsed, 2),
        }


class RssSampler(threading.Thread):
    """Peak VmRSS (MB) of a process, sampled every 0.5 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_mb, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            try:
                for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)
            except OSError:
                return
