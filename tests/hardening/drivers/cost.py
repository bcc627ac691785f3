"""Measure what one scenario costs: the CPU seconds of a whole headless drill (no commands) and,
optionally, of console snapshots taken every simulated second over part of it.

    python tests/hardening/drivers/cost.py SCENARIO_DIR DIFFICULTY [--snapshots N] [--budget S]

Prints one JSON line: {"cpu_s": ..., "snapshot_ms": ..., "ended_at": ...}. With --budget, the
drill stops after that many CPU seconds (and says so: "over_budget": true)."""

from __future__ import annotations

import argparse
import json
import resource
import time


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("difficulty")
    ap.add_argument("--snapshots", type=int, default=0, help="snapshots to time (one per simulated second)")
    ap.add_argument("--budget", type=float, default=0.0, help="stop after this many CPU seconds")
    args = ap.parse_args()
    from drill.scenario import load
    from drill.session.session import Session

    sc = load(args.scenario)
    t0 = cpu()
    s = Session(sc, args.difficulty)
    over = False
    while not s.finished:
        s.advance(60_000)
        if args.budget and cpu() - t0 > args.budget:
            over = True
            break
    spent = cpu() - t0
    snap_ms = None
    if args.snapshots:
        w0 = time.perf_counter()
        for _ in range(args.snapshots):
            s.snapshot()
        snap_ms = (time.perf_counter() - w0) * 1000 / args.snapshots
    print(json.dumps({"cpu_s": round(spent, 2), "snapshot_ms": None if snap_ms is None else round(snap_ms, 2),
                      "ended_at": s.clock, "over_budget": over}))


if __name__ == "__main__":
    main()
