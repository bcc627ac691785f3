"""`drill bench --watch`: seeking in a watched knightmare morning.

The historical drill is played headless into a journal, then watched through a `Rewinder`: once
its checkpoints are built, it seeks to random instants of the trainee's clock (forwards and
backwards, seeded) and times each seek, end to end as the console sees it (the request, the
resumed checkpoint's fork, the minutes re-simulated, the snapshot sent back). In the same run,
re-simulating a fresh drill from its start to a few of the same instants gives what a seek would
cost without checkpoints, so a loaded machine moves both sides alike.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from drill.scenario import load
from drill.session.headless import run_script
from drill.session.replay import Player
from drill.session.rewind import Rewinder
from drill.session.script import read_script

BUILD_TIMEOUT_S = 120.0


def _family_pss_mb(group: int) -> float:
    """Proportional set size of every process in the watcher's process group: memory shared
    between forks (copy-on-write) is counted once in all, not once per process."""
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != group:
                continue
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
        except (OSError, ValueError):
            continue  # gone meanwhile, or not readable
    return total_kb / 1024


def _wait_for_checkpoints(directory: Path, expected: int) -> float:
    t0 = time.perf_counter()
    while len(list(directory.glob("*.sock"))) < expected:
        if time.perf_counter() - t0 > BUILD_TIMEOUT_S:
            break
        time.sleep(0.05)
    return time.perf_counter() - t0


def bench_watch(seeks: int = 30, baseline: int = 5, seed: int = 1) -> dict:
    scenario = load("knightmare")
    script = read_script(scenario.directory / "historical.actions")
    with tempfile.TemporaryDirectory(prefix="drill-bench-watch-") as tmp:
        journal = Path(tmp) / "historical.jsonl"
        run_script(scenario, "historical", None, script, journal)
        t0 = time.perf_counter()
        rewinder = Rewinder(journal)
        try:
            startup_s = time.perf_counter() - t0
            start, limit = rewinder.info.start, rewinder.info.limit
            every = rewinder.info.every_ms
            expected = len(range(start, limit, every))
            built_s = _wait_for_checkpoints(Path(rewinder._dir), expected)
            rng = random.Random(seed)
            targets = [start + rng.randrange(0, (limit - start) // 1000) * 1000 for _ in range(seeks)]
            times = []
            for at in targets:
                t = time.perf_counter()
                frame = rewinder.seek(at)
                times.append(time.perf_counter() - t)
                assert frame.snap.now == at, (frame.snap.now, at)
            pss = _family_pss_mb(rewinder._proc.pid)
            processes = len(list(Path(rewinder._dir).glob("*.sock")))
        finally:
            rewinder.close()
        resim = []
        for at in targets[:baseline]:
            t = time.perf_counter()
            player = Player(journal)
            player.advance_to(at)
            player.snapshot()
            resim.append(time.perf_counter() - t)
            player.close()
    ordered = sorted(times)
    seek_median = statistics.median(times)
    return {
        "scenario": "knightmare",
        "difficulty": "historical",
        "span": f"{start // 3_600_000:02d}:{start // 60_000 % 60:02d}-{limit // 3_600_000:02d}:{limit // 60_000 % 60:02d}",
        "checkpoint_every_s": every // 1000,
        "seeks": seeks,
        "seek_median_s": round(seek_median, 3),
        "seek_p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
        "seek_max_s": round(ordered[-1], 3),
        "resim_from_start_median_s": round(statistics.median(resim), 3),
        "ratio": round(seek_median / statistics.median(resim), 3),
        "startup_s": round(startup_s, 3),
        "checkpoints_built_s": round(built_s, 3),
        "checkpoints": processes,
        "family_pss_mb": round(pss, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "ok": ordered[-1] < 1.0,
    }
