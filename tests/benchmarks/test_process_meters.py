"""The benchmarks' process meters: CPU used by the service (from /proc) and by this process, peak RSS."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from benchmarks.process_meters import CpuMeter, RssSampler, ServerUsage

BUSY = "import time\nend = time.process_time() + 30\nwhile time.process_time() < end: pass"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_busy_process_shows_its_cpu_and_an_idle_one_none():
    busy = subprocess.Popen([sys.executable, "-c", BUSY])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.3)  # both started
        busy_meter, idle_meter, usage = CpuMeter(busy.pid), CpuMeter(idle.pid), ServerUsage(busy.pid)
        usage.start()
        time.sleep(1.0)
        sample = usage.sample()
        assert sample is not None and sample["cpu_percent"] > 10 and sample["rss_mb"] > 1
        assert busy_meter.cores()["server"] > 0.1
        assert idle_meter.cores()["server"] < 0.05
        own = CpuMeter(idle.pid)
        end = time.process_time() + 0.3
        while time.process_time() < end:  # this process spins: the client's share
            pass
        assert own.cores()["client"] > 0.1
    finally:
        busy.kill()
        idle.kill()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_rss_sampler_keeps_the_peak_of_a_growing_process():
    grower = subprocess.Popen([sys.executable, "-c", "import time; a = bytearray(200 << 20); time.sleep(30)"])
    sampler = RssSampler(grower.pid)
    sampler.start()
    try:
        deadline = time.time() + 20
        while sampler.peak_mb < 200 and time.time() < deadline:
            time.sleep(0.2)
        assert sampler.peak_mb >= 200
    finally:
        sampler.stop.set()
        grower.kill()
