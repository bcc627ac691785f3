"""Console benchmark: the historical knightmare morning at 60x, headless, 120x36.

Measured in the app's own event loop:
- lag: how late a 10 ms `asyncio.sleep` probe wakes up (p50, p99, max), i.e. how long input
  could wait behind the console's work;
- updates/s: frames the console rendered (one coalesced snapshot each) per wall second, and the
  screen updates Textual composited;
- startup: from entering the bench (Textual not yet imported, in a fresh process) to the
  console's first frame on screen: the first screen update Textual composited for the console and
  handed to its driver (`startup_s`, with the CPU spent by then). `startup_settled_s` is the older
  figure: that frame, then a Pilot's `pause()`, which waits until the process looks idle (at most
  a second) and so also counts the drill's first 60x frames and the debrief's warm-up starting.
- compiled_from_source: the project's modules imported so far that had no bytecode cache (under
  PYTHONDONTWRITEBYTECODE an editable install compiles each one at every start; `pip install .`
  and `python -m compileall drill` write the caches).
Headless runs skip only the final write of escape codes to a terminal; compositing is done.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

PROBE_S = 0.010
TARGETS = {"lag_p99_ms": 30, "updates_per_s": 20, "startup_s": 0.7}  # issue 13: at most, at least, at most
TAB_CYCLE = ("tape", "positions", "inbox", "tape", "calls")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


class _DisplayCounter:
    """Counts the app's screen updates by wrapping its `_display` (where Textual has one), and
    notes when the console's first one went out: (wall since `t_enter`, process CPU)."""

    def __init__(self, app, t_enter: float) -> None:
        self.count = 0
        self.console_first: tuple[float, float] | None = None
        original = getattr(app, "_display", None)
        if original is None:  # (the bench would wait for a first frame it cannot see)
            raise RuntimeError("this Textual has no App._display: the console bench cannot time its first frame")

        def counting(screen, renderable, *args, **kwargs):
            self.count += 1
            shown = renderable is not None and not getattr(app, "_batch_count", 0)
            if self.console_first is None and shown and screen is app.console_screen:
                self.console_first = (time.perf_counter() - t_enter, time.process_time())
            return original(screen, renderable, *args, **kwargs)

        app._display = counting


def compiled_from_source() -> int:
    """How many of the project's imported modules have no bytecode cache on disk. Where none may
    be written (PYTHONDONTWRITEBYTECODE, as in this environment), each of them was compiled from
    its source at this start, and will be at every start."""
    import importlib.util
    import sys

    count = 0
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if (name == "drill" or name.startswith("drill.")) and path and path.endswith(".py"):
            count += not os.path.exists(importlib.util.cache_from_source(path))
    return count


async def _bench(seconds: float, size: tuple[int, int], journal: Path, t_enter: float) -> dict:
    from drill.tui.startup import starting_up

    with starting_up():  # as `drill play` starts
        from drill.tui.app import DrillApp

        app = DrillApp("knightmare", "historical", None, speed=60.0, journal=str(journal))
    displays = _DisplayCounter(app, t_enter)
    async with app.run_test(size=size) as pilot:
        while displays.console_first is None:
            await asyncio.sleep(0.001)
        # The CPU (this process since it began, every thread) is the steadier figure when the
        # machine is loaded, where the wall time measures the contention.
        startup, startup_cpu = displays.console_first
        from_source = compiled_from_source()
        await pilot.pause()
        settled = time.perf_counter() - t_enter
        console = app.console_screen
        assert console is not None  # its first screen update went out
        frames0, displays0, sim0 = console.frames, displays.count, console.snap.now
        cpu0, t0 = time.process_time(), time.perf_counter()
        lags = await _probe_while_touring_tabs(console, seconds)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        frames, shown = console.frames - frames0, displays.count - displays0
        snap = console.snap
        await pilot.press("ctrl+q")
        await pilot.press("y")
    return {
        "scenario": "knightmare",
        "difficulty": "historical",
        "speed": 60.0,
        "size": f"{size[0]}x{size[1]}",
        "wall_s": round(wall, 2),
        "sim_from": None,
        "sim_to": snap.clock,
        "sim_s_per_wall_s": _per_s((snap.now - sim0) / 1000, wall),
        **_lag_figures([x * 1000 for x in lags]),
        "updates_per_s": _per_s(frames, wall),
        "screen_updates_per_s": _per_s(shown, wall),
        "startup_s": round(startup, 3),
        "startup_cpu_s": round(startup_cpu, 3),
        "startup_settled_s": round(settled, 3),
        "compiled_from_source": from_source,
        "cpu_share": round(cpu / wall, 2) if wall else 0.0,
        "phase_at_end": snap.phase,
    }


async def _probe_while_touring_tabs(console, seconds: float) -> list[float]:
    """How late the event loop wakes a short sleep, probed for `seconds` while the console shows
    each tab of TAB_CYCLE in turn; stops early when the drill ends."""
    lags: list[float] = []
    t0 = time.perf_counter()
    end = t0 + seconds
    next_tab = t0 + seconds / len(TAB_CYCLE)
    tab_i = 0
    while (now := time.perf_counter()) < end and not console.ended:
        if now >= next_tab:
            console.action_show_tab(TAB_CYCLE[tab_i % len(TAB_CYCLE)])
            tab_i += 1
            next_tab += seconds / len(TAB_CYCLE)
        t = time.perf_counter()
        await asyncio.sleep(PROBE_S)
        lags.append(max(0.0, time.perf_counter() - t - PROBE_S))
    return lags


def _per_s(count: float, wall: float) -> float:
    return round(count / wall, 1) if wall else 0.0


def _lag_figures(lag_ms: list[float]) -> dict:
    return {
        "lag_p50_ms": round(_pct(lag_ms, 50), 2),
        "lag_p99_ms": round(_pct(lag_ms, 99), 2),
        "lag_max_ms": round(max(lag_ms, default=0.0), 2),
        "lag_mean_ms": round(statistics.fmean(lag_ms), 2) if lag_ms else 0.0,
        "probes": len(lag_ms),
    }


def run_bench(seconds: float = 25.0, size: tuple[int, int] = (120, 36)) -> dict:
    t_enter = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="drill-bench-") as tmp:
        old = os.environ.get("DRILL_DATA_DIR")
        os.environ["DRILL_DATA_DIR"] = tmp
        try:
            result = asyncio.run(_bench(seconds, size, Path(tmp) / "bench.jsonl", t_enter))
        finally:
            if old is None:
                os.environ.pop("DRILL_DATA_DIR", None)
            else:
                os.environ["DRILL_DATA_DIR"] = old
    result["sim_from"] = "09:20:00"
    result["targets"] = dict(TARGETS)
    result["ok"] = (
        result["lag_p99_ms"] <= TARGETS["lag_p99_ms"]
        and result["updates_per_s"] >= TARGETS["updates_per_s"]
        and result["startup_s"] <= TARGETS["startup_s"]
    )
    return result


def report(result: dict, json_out: bool) -> str:
    if json_out:
        return json.dumps(result, indent=2)
    lines = [
        f"console bench: {result['scenario']} {result['difficulty']} at {result['speed']:g}x, "
        f"{result['size']}, {result['wall_s']}s wall ({result['sim_from']} -> {result['sim_to']})",
        f"  event-loop lag   p50 {result['lag_p50_ms']} ms  p99 {result['lag_p99_ms']} ms  "
        f"max {result['lag_max_ms']} ms   (target p99 <= {TARGETS['lag_p99_ms']} ms)",
        f"  updates          {result['updates_per_s']}/s console frames, "
        f"{result['screen_updates_per_s']}/s screen updates   (target >= {TARGETS['updates_per_s']}/s)",
        f"  startup          {result['startup_s']} s to the first frame, {result['startup_cpu_s']} CPU s since the "
        f"process began   (target <= {TARGETS['startup_s']} s)",
        f"                   {result['startup_settled_s']} s until the process looked idle after it (a Pilot's pause); "
        f"{result['compiled_from_source']} of the project's modules compiled from source",
        f"  sim pace         {result['sim_s_per_wall_s']} sim s per wall s; CPU {result['cpu_share']:.0%} of one core",
        f"  {'all targets met' if result['ok'] else 'TARGETS MISSED'}",
    ]
    return "\n".join(lines)
