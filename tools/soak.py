"""Soak a headless drill for hours of simulated time and report memory and speed per simulated hour.

    python tools/soak.py [--scenario knightmare] [--difficulty historical] [--hours 4]
                         [--snapshot-every-s 10] [--command-every-min 5] [--tracemalloc] [--json]

The scenario is the bundled one with its clock's end moved to HOURS after the trainee's start (and
every flow that ran to the old end running to the new one), so the order flow and whatever fault
the scenario carries keep going all along. No containment: the worst case for the engine. Every
COMMAND_EVERY_MIN simulated minutes a diagnostic command is submitted (the action log grows, as
in a long session); every SNAPSHOT_EVERY_S simulated seconds a snapshot is taken (what the
console renders). For each simulated hour it prints the CPU and wall time it took (CPU is the
figure to compare: other processes on the machine move the wall time), the process's current
and peak RSS, and (with --tracemalloc) the Python heap traced. tests/hardening/test_soak.py runs it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drill.commands import VERBS  # noqa: E402
from drill.scenario import load  # noqa: E402
from drill.session import Session  # noqa: E402

HOUR = 3_600_000


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """This process's own high-water mark. Not getrusage's ru_maxrss: Linux carries that across
    exec, so a soak started by a large parent (a long test run) would report the parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def long_scenario(sid: str, hours: float):
    sc = load(sid)
    spec = sc.spec
    new_end = spec.clock.start + int(hours * HOUR)
    old_end = spec.clock.end
    clock = spec.clock.model_copy(update={"end": new_end})
    flows = [f.model_copy(update={"end": new_end}) if f.end == old_end else f for f in spec.flows]
    return dataclasses.replace(sc, spec=spec.model_copy(update={"clock": clock, "flows": flows}))


def soak(sid: str, difficulty: str | None, hours: float, snapshot_every_s: float, command_every_min: float,
         trace: bool) -> dict:
    if trace:
        tracemalloc.start()
    sc = long_scenario(sid, hours)
    spec = sc.spec
    session = Session(sc, difficulty)
    servers = list(spec.fleet.servers)
    diag = [v for v in ("inspect", "logs", "diff-deploy", "hint") if v in VERBS]
    step = int(snapshot_every_s * 1000) if snapshot_every_s else 60_000
    cmd_every = int(command_every_min * 60_000) if command_every_min else 0
    next_cmd = session.now + cmd_every if cmd_every else None
    rows = []
    n_cmd = 0
    t_start = session.now
    for h in range(1, int(hours) + 1):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        stop = t_start + h * HOUR
        while session.now < stop and not session.finished:
            target = min(stop, session.now + step)
            if next_cmd is not None and next_cmd <= target:
                session.advance_to(next_cmd)
                verb = diag[n_cmd % len(diag)]
                arg = servers[n_cmd % len(servers)] if VERBS[verb].args and VERBS[verb].args[0].kind == "server" else None
                session.submit(f"{verb} {arg}" if arg else verb)
                n_cmd += 1
                next_cmd += cmd_every
            session.advance_to(target)
            if snapshot_every_s:
                session.snapshot()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        row = {"hour": h, "sim_clock": session.clock, "cpu_s": round(cpu, 3), "wall_s": round(wall, 3), "rss_mb": round(rss_mb(), 1),
               "peak_rss_mb": round(peak_rss_mb(), 1), "commands": n_cmd,
               "parents": int(session.world.book.n), "active_parents": int(len(session.world.book.active))}
        if trace:
            cur, peak = tracemalloc.get_traced_memory()
            row["traced_mb"] = round(cur / 2**20, 2)
            row["traced_peak_mb"] = round(peak / 2**20, 2)
        rows.append(row)
    outcome = session.outcome()
    session.close()
    return {"scenario": sid, "difficulty": session.difficulty, "hours": hours, "snapshot_every_s": snapshot_every_s,
            "command_every_min": command_every_min, "tracemalloc": trace, "hours_detail": rows,
            "loss_usd": outcome.loss_usd, "python": sys.version.split()[0]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="knightmare")
    p.add_argument("--difficulty")
    p.add_argument("--hours", type=float, default=4)
    p.add_argument("--snapshot-every-s", type=float, default=10)
    p.add_argument("--command-every-min", type=float, default=5)
    p.add_argument("--tracemalloc", action="store_true")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    result = soak(a.scenario, a.difficulty, a.hours, a.snapshot_every_s, a.command_every_min, a.tracemalloc)
    if a.json:
        print(json.dumps(result, indent=2))
    else:
        for r in result["hours_detail"]:
            print(" ".join(f"{k}={v}" for k, v in r.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
