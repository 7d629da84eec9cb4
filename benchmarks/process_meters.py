"""What a benchmark measures about a process while load runs: its CPU (and the load generator's) and its peak RSS."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


def cpu_seconds(pid: int | None = None) -> float:
    """CPU seconds (user + system, every thread) used so far by process ``pid``; None: this process."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU the service and this process (the load generator) used over a phase, in cores (CPU s / wall s):
    tells whether a phase's goodput was limited by the service's own work or by the cores it got."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.at = (time.perf_counter(), cpu_seconds(server_pid), cpu_seconds())

    def cores(self) -> dict[str, float]:
        wall, server, client = time.perf_counter(), cpu_seconds(self.server_pid), cpu_seconds()
        elapsed = max(wall - self.at[0], 1e-9)
        return {
            "server": round((server - self.at[1]) / elapsed, 2),
            "client": round((client - self.at[2]) / elapsed, 2),
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
