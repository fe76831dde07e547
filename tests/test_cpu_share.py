"""Sizing llama.cpp's threads to the cores other work leaves free."""

from __future__ import annotations

import pytest

from autoj.backends import cpu_share
from autoj.backends.cpu_share import threads_for


@pytest.mark.parametrize(
    ("cores", "busy", "threads"),
    [
        (2, 0.0, 2),  # quiet machine: every core
        (2, 0.3, 2),  # a short blip elsewhere is not a busy core
        (2, 0.6, 1),  # one process spinning: leave its core alone
        (2, 1.0, 1),
        (2, 2.0, 1),  # every core taken: still one thread, never none
        (2, 9.5, 1),  # load far above the cores
        (16, 3.4, 13),
        (16, 3.5, 12),
        (1, 0.0, 1),
    ],
)
def test_threads_are_the_cores_left_free(cores: int, busy: float, threads: int) -> None:
    assert threads_for(cores, busy) == threads


def _fake_clock(
    monkeypatch: pytest.MonkeyPatch, machine: list[tuple[float, float]], own: list[float]
) -> None:
    machine_readings, own_readings = iter(machine), iter(own)
    monkeypatch.setattr(cpu_share, "_machine_times", lambda: next(machine_readings))
    monkeypatch.setattr(cpu_share, "_own_time", lambda: next(own_readings))
    monkeypatch.setattr(cpu_share.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(cpu_share.time, "sleep", lambda _s: None)


def test_this_process_own_work_is_not_counted_as_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1 s on 2 cores: 2 CPU-seconds, 0.5 idle; this process used 0.5, so others used 1 core
    _fake_clock(monkeypatch, [(100.0, 40.0), (102.0, 40.5)], [3.0, 3.5])
    assert cpu_share.busy_elsewhere() == pytest.approx(1.0)
    # this process alone kept both cores busy (its own spinning threads): nothing busy elsewhere
    _fake_clock(monkeypatch, [(100.0, 40.0), (102.0, 40.0)], [3.0, 5.0])
    assert cpu_share.busy_elsewhere() == pytest.approx(0.0)


def test_the_load_average_stands_in_without_proc_stat(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> tuple[float, float]:
        raise OSError("no /proc/stat")

    monkeypatch.setattr(cpu_share, "_machine_times", missing)
    monkeypatch.setattr(cpu_share.os, "getloadavg", lambda: (1.25, 0.5, 0.25))
    assert cpu_share.busy_elsewhere() == 1.25


def test_measure_sizes_threads_to_the_free_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_clock(monkeypatch, [(100.0, 40.0), (102.0, 41.0)], [3.0, 3.0])  # one core busy elsewhere
    monkeypatch.setattr(cpu_share, "usable_cores", lambda: 2)
    share = cpu_share.measure()
    assert (share.cores, share.threads) == (2, 1)
    assert share.busy_elsewhere == pytest.approx(1.0)
    assert share.describe() == "1 threads on 2 cores (1.0 busy elsewhere)"


def test_the_real_machine_reading_is_within_bounds() -> None:
    assert 0.0 <= cpu_share.busy_elsewhere(0.05) <= (cpu_share.os.cpu_count() or 1) + 0.01
    assert 1 <= cpu_share.measure(0.05).threads <= cpu_share.usable_cores()
