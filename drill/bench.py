"""`drill bench`: the full historical Knightmare headless, against bare SimPy scheduling one timeout
per execution the drill reported. Both run in this process, alternately, and the medians are
compared, so a noisy machine moves both sides alike; the CPU-time ratio is given too (on a
machine loaded by other work it is the steadier of the two)."""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time

import simpy

from drill.scenario import load
from drill.session.headless import run_script
from drill.session.script import read_script


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def simpy_baseline(n: int) -> float:
    """Seconds for bare SimPy to schedule and process n timeouts, one after another."""
    env = simpy.Environment()

    def proc():
        for _ in range(n):
            yield env.timeout(1)

    env.process(proc())
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0


def bench_engine(repeat: int = 3) -> dict:
    load_before = os.getloadavg()[0]
    scenario = load("knightmare")
    script = read_script(scenario.directory / "historical.actions")
    drill_times, base_times, drill_cpu, base_cpu, outcome = [], [], [], [], None
    peak = 0.0
    for _ in range(repeat):
        # Alternately, so that a machine whose load changes during the bench moves both sides;
        # CPU time too, which other processes on a loaded machine move far less than wall time.
        t0, c0 = time.perf_counter(), time.process_time()
        outcome = run_script(scenario, "historical", None, script)
        drill_times.append(time.perf_counter() - t0)
        drill_cpu.append(time.process_time() - c0)
        peak = max(peak, _peak_rss_mb())  # before any baseline: the drill's to beat, not to carry
        t0, c0 = time.perf_counter(), time.process_time()
        base_times.append(simpy_baseline(outcome.executions))
        base_cpu.append(time.process_time() - c0)
    assert outcome is not None
    drill_s, base_s = statistics.median(drill_times), statistics.median(base_times)
    return {
        "scenario": "knightmare",
        "difficulty": "historical",
        "repeat": repeat,
        "drill_s": round(drill_s, 3),
        "simpy_baseline_s": round(base_s, 3),
        "ratio": round(drill_s / base_s, 3),
        "drill_cpu_s": round(statistics.median(drill_cpu), 3),
        "simpy_baseline_cpu_s": round(statistics.median(base_cpu), 3),
        "ratio_cpu": round(statistics.median(drill_cpu) / statistics.median(base_cpu), 3),
        "executions": outcome.executions,
        "sim_minutes": round((scenario.spec.clock.end - scenario.spec.clock.world_start) / 60_000, 1),
        "peak_rss_mb": round(peak, 1),
        # The machine's load (1-minute average) as the bench began and ended: on a shared machine
        # the ratio is measured in one run, but a load far above the cores makes every figure noisy.
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }
