"""The cores a CPU backend may use now: those this process may run on, less those other work keeps busy.

llama.cpp's threads spin-wait for each other at every step of a decode: one thread more than there
are idle cores makes each step wait for a descheduled thread (about 10x slower on a shared 2-core
machine). So the backend sizes its threads to the cores free when the model loads. The sequences
decoded together stay as they are (benchmarks/cpu_throughput.py --also-parallel 2 compares).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class CpuShare:
    """What was seen when sizing: cores this process may use, cores others kept busy, the choice."""

    cores: int
    busy_elsewhere: float
    threads: int

    def describe(self) -> str:
        return f"{self.threads} threads on {self.cores} cores ({self.busy_elsewhere:.1f} busy elsewhere)"


def threads_for(cores: int, busy_elsewhere: float) -> int:
    """Threads that find an idle core each: the cores less those busy elsewhere (rounded), 1 at least."""
    return max(1, min(cores, cores - int(busy_elsewhere + 0.5)))


def usable_cores() -> int:
    """The cores this process may be scheduled on (its affinity mask, else the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _machine_times() -> tuple[float, float]:
    """Seconds of CPU time, all cores together, since boot: (total, idle), from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) / ticks, idle / ticks


def _own_time() -> float:
    """CPU seconds this process has used (all its threads)."""
    times = os.times()
    return times.user + times.system


def busy_elsewhere(sample_s: float = 0.1) -> float:
    """How many cores processes other than this one keep busy now, over a short sample.

    The load average lags by a minute and counts this process's own recent work (a judge run
    just before); the machine's CPU time over 0.1 s, less this process's, says what others use now.
    Where /proc/stat is missing, the 1-minute load average stands in.
    """
    try:
        total_1, idle_1 = _machine_times()
        own_1 = _own_time()
        time.sleep(sample_s)
        total_2, idle_2 = _machine_times()
        own_2 = _own_time()
    except (OSError, ValueError, IndexError):
        return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    elapsed = total_2 - total_1
    if elapsed <= 0:
        return 0.0
    cores = os.cpu_count() or 1
    busy = (elapsed - (idle_2 - idle_1)) - (own_2 - own_1)
    return max(0.0, cores * busy / elapsed)


def measure(sample_s: float = 0.1) -> CpuShare:
    """The share of the CPU free now, and the threads it calls for."""
    cores = usable_cores()
    busy = busy_elsewhere(sample_s)
    return CpuShare(cores=cores, busy_elsewhere=busy, threads=threads_for(cores, busy))
