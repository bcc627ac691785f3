"""How long the console's debrief keeps a trainee waiting: a Pilot-driven drill.

The ten-command knightmare trainee of `drill.debrief.bench.RATIO_CASES` plays through the real
console (headless, the clock at 60x, each command typed at its time), with counterfactuals on, as a
trainee would have them: the cache warmer starts with the drill, and the debrief screen starts the
what-ifs when the drill ends. Measured: from the moment the debrief screen is up (the drill's end)
to the moment its last what-if is in. The data directory (and so the debrief cache) is a fresh
temporary one unless `data_dir` is given.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from drill.debrief.bench import _makespan
from drill.debrief.runner import DEFAULT_WORKERS

POLL_S = 0.01


def _lines(case: str) -> tuple:
    from drill.debrief.bench import RATIO_CASES
    from drill.session.script import parse_script

    scenario, difficulty, text = RATIO_CASES[case]
    return scenario, difficulty, parse_script(text)


async def _drive(case: str, journal: Path, speed: float, size: tuple[int, int]) -> dict:
    from drill.tui.app import DrillApp
    from drill.tui.screens.debrief import DebriefScreen

    scenario, difficulty, lines = _lines(case)
    app = DrillApp(scenario, difficulty, None, speed, str(journal), False, counterfactuals=True, blink=False)
    async with app.run_test(size=size) as pilot:
        while app.console_screen is None or app.console_screen.frames < 1:
            await asyncio.sleep(POLL_S)
        t_start = time.perf_counter()
        await _type_commands_at_their_times(app, pilot, lines)
        while not isinstance(app.screen, DebriefScreen):
            await asyncio.sleep(POLL_S)
        t_end, ended_wall = time.perf_counter(), time.time()  # the drill has ended: the debrief screen is up
        screen = app.screen
        while not (screen.debrief is not None and screen.debrief.complete) and screen.error is None:
            await asyncio.sleep(POLL_S)
        t_last = time.perf_counter()
        d = screen.debrief
        after = _computed_since(ended_wall)
        return {
            "case": case,
            "speed": speed,
            "drill_wall_s": round(t_end - t_start, 2),
            "end_to_last_whatif_s": round(t_last - t_end, 3),
            "error": screen.error,
            "resimulations": d.total if d else 0,
            "computed_after_end": len(after),
            "cpu_after_end_s": round(sum(after), 3),
            "idle_makespan_s": round(_makespan(after, DEFAULT_WORKERS), 3),
            "warnings": list(d.warnings) if d else [],
        }


async def _type_commands_at_their_times(app, pilot, lines) -> None:
    """Type each command at the console's prompt once the drill's clock reaches its time; stop
    if the drill ends first."""
    from drill.tui.screens.debrief import DebriefScreen

    console = app.console_screen
    for line in lines:
        while console.snap.now < line.at and not isinstance(app.screen, DebriefScreen):
            await asyncio.sleep(POLL_S)
        if isinstance(app.screen, DebriefScreen):
            return
        await pilot.press("colon")
        await pilot.press(*("space" if ch == " " else ch for ch in line.command.text))
        await pilot.press("enter")


def _computed_since(wall: float) -> list[float]:
    """CPU seconds of each re-simulation the debrief cache received after `wall` (time.time())."""
    from drill.debrief.cache import Cache

    root = Cache().root
    found = []
    for p in root.glob("*.json") if root.is_dir() else ():
        if p.stat().st_mtime >= wall:
            found.append(float(json.loads(p.read_text()).get("cpu_s", 0.0)))
    return found


def bench_console_debrief(
    case: str = "ten-commands",
    speed: float = 60.0,
    size: tuple[int, int] = (120, 36),
    data_dir: str | Path | None = None,
) -> dict:
    before = os.environ.get("DRILL_DATA_DIR")
    with tempfile.TemporaryDirectory(prefix="drill-console-debrief-") as tmp:
        os.environ["DRILL_DATA_DIR"] = str(data_dir or Path(tmp) / "data")
        try:
            result = asyncio.run(_drive(case, Path(tmp) / "drill.jsonl", speed, size))
        finally:
            if before is None:
                os.environ.pop("DRILL_DATA_DIR", None)
            else:
                os.environ["DRILL_DATA_DIR"] = before
    result["cpus"] = os.cpu_count()
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return result


def console_lines(r: dict) -> list[str]:
    return [
        f"console ({r['case']}, clock at {r['speed']:g}x, fresh cache): the drill took {r['drill_wall_s']} s; "
        f"drill end to the last what-if {r['end_to_last_whatif_s']:.2f} s ({r['resimulations']} re-simulations, "
        f"{r['computed_after_end']} computed after the end: {r['cpu_after_end_s']:.2f} CPU s, "
        f"{r['idle_makespan_s']:.2f} s on {DEFAULT_WORKERS} idle cores"
        + (f"; failed: {r['error']}" if r["error"] else "")
        + f"); load average {r['load_average']}"
    ]
