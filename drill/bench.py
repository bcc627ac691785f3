"""`drill bench`: the full historical Knightmare headless, against bare SimPy scheduling one timeout
per execution the drill reported. Both run in this process, alternately, and the medians are
compared, so a noisy machine moves both sides alike."""

from __future__ import annotations

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
    scenario = load("knightmare")
    script = read_script(scenario.directory / "historical.actions")
    drill_times, outcome = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        outcome = run_script(scenario, "historical", None, script)
        drill_times.append(time.perf_counter() - t0)
    peak = _peak_rss_mb()  # before the baseline, which is the drill's to beat, not to carry
    assert outcome is not None
    base_times = [simpy_baseline(outcome.executions) for _ in range(repeat)]
    drill_s, base_s = statistics.median(drill_times), statistics.median(base_times)
    return {
        "scenario": "knightmare",
        "difficulty": "historical",
        "repeat": repeat,
        "drill_s": round(drill_s, 3),
        "simpy_baseline_s": round(base_s, 3),
        "ratio": round(drill_s / base_s, 3),
        "executions": outcome.executions,
        "sim_minutes": round((scenario.spec.clock.end - scenario.spec.clock.world_start) / 60_000, 1),
        "peak_rss_mb": round(peak, 1),
    }
