"""Time the debrief: how long until the first Debrief, and until every counterfactual is in.

    python -m drill.debrief.bench [--repeat 5] [--json]

Cases: the rollback-trap journal (historical) and a typical console trainee (standard difficulty:
diagnose, stop, fix, restart, resolve). Each is timed cold (empty cache), with the cache holding
the trainee-independent results (what `warm_cache` or any earlier debrief of the same scenario,
difficulty and seed leaves), and as the console would run it (that cache, a pool already started,
and the finished Session handed over instead of re-simulating the trainee's drill).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from drill.debrief.build import stream
from drill.debrief.cache import Cache
from drill.debrief.runner import Runner
from drill.debrief.warm import warm_cache
from drill.scenario import load
from drill.session import Session
from drill.session.script import parse_script

CASES = {
    "rollback-trap": ("historical", "09:40:00 rollback\n"),
    "console-trainee": ("standard", "09:30:40 diff-deploy\n09:31:20 inspect smars-8\n09:31:40 stop smars-8\n"
                                    "09:32:10 deploy smars-8\n09:35:20 start smars-8\n09:36:00 resolve\n"),
}


def _session(sc, difficulty: str, text: str, journal: Path) -> Session:
    s = Session(sc, difficulty, None, journal=journal)
    for line in parse_script(text):
        s.advance_to(line.at)
        if s.finished:
            break
        s.submit(line.command)
    if not s.finished:
        s.run_to_end()
    return s


def _time(journal: Path, cache: Cache, **kw) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    first = None
    d = None
    for d in stream(journal, cache=cache, **kw):
        if first is None:
            first = time.perf_counter() - t0
    assert d is not None and d.complete
    return first or 0.0, time.perf_counter() - t0, d.total


def bench(repeat: int = 5, workers: int = 2) -> dict:
    sc = load("knightmare")
    out: dict = {"repeat": repeat, "workers": workers, "cpus": os.cpu_count(),
                 "load_average_before": [round(x, 2) for x in os.getloadavg()], "cases": {}}
    with tempfile.TemporaryDirectory(prefix="drill-bench-") as tmp:
        root = Path(tmp)
        for name, (difficulty, text) in CASES.items():
            journal = root / f"{name}.jsonl"
            session = _session(sc, difficulty, text, journal)
            refs = root / f"refs-{name}"
            warm_cache(sc, difficulty, None, workers=workers, nice=0, cache=Cache(refs))
            results: dict = {}
            for mode in ("cold", "references cached", "console"):
                firsts, totals, jobs = [], [], 0
                for i in range(repeat):
                    cache_dir = root / f"cache-{name}-{mode}-{i}"
                    if mode != "cold":
                        shutil.copytree(refs, cache_dir)
                    cache = Cache(cache_dir)
                    if mode == "console":
                        with Runner(workers) as runner:
                            # The console starts its pool when the drill starts: not part of the wait.
                            for f in [runner.submit_warm() for _ in range(workers)]:
                                f.result()
                            first, total, jobs = _time(journal, cache, session=session, runner=runner)
                    else:
                        first, total, jobs = _time(journal, cache, workers=workers)
                    firsts.append(first)
                    totals.append(total)
                results[mode] = {"first_s": round(statistics.median(firsts), 3), "complete_s": round(statistics.median(totals), 3),
                                 "complete_runs_s": [round(t, 3) for t in totals], "jobs": jobs}
            out["cases"][name] = {"difficulty": difficulty, "commands": text.strip().splitlines(), **results}
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m drill.debrief.bench")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    r = bench(args.repeat, args.workers)
    if args.json:
        print(json.dumps(r, indent=2))
        return
    print(f"{r['cpus']} CPUs, {r['workers']} workers, median of {r['repeat']}; load average before {r['load_average_before']}, after {r['load_average_after']}")
    for name, c in r["cases"].items():
        print(f"{name} ({c['difficulty']}): {'; '.join(c['commands'])}")
        for mode in ("cold", "references cached", "console"):
            m = c[mode]
            print(f"  {mode:<18} first debrief {m['first_s']:6.2f} s   all counterfactuals {m['complete_s']:6.2f} s   ({m['jobs']} re-simulations planned)")


if __name__ == "__main__":
    main()
