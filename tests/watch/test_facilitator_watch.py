"""From the facilitator's console, `w` follows the highlighted drill read-only; leaving the
watcher returns to the desk and ends the watcher's helper processes."""

from __future__ import annotations

import os
import time

from drill.gameday.facilitator import FacilitatorApp
from drill.hosting.hosted import Facilitation, HostedDrill
from drill.timefmt import parse_clock
from drill.tui.controller import Drill
from drill.tui.screens.watch import WatchScreen


async def until(pilot, condition, timeout: float = 90.0) -> None:
    """Wait on the wall clock, generously: the machine is shared and slow."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


async def test_the_facilitator_watches_the_highlighted_drill(tmp_path):
    drill = Drill("knightmare", "standard", 4, tmp_path / "red.jsonl", paused=True)
    hosted = HostedDrill(drill, Facilitation.fresh(), "red", shown=lambda: None, after_command=lambda: None,
                         frames=lambda: 0)
    await hosted.open()
    try:
        drill.advance_to(parse_clock("09:35:00"))
        drill.submit("diff-deploy")
        app = FacilitatorApp(poll_s=0.2)
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: app._highlighted_drill() == hosted.facilitation.drill_id)
            app.set_focus(None)
            await pilot.press("w")
            await until(pilot, lambda: isinstance(app.screen, WatchScreen))
            screen = app.screen
            # From the journal's edge, then on at 1x on the wall clock (a loaded machine: a minute's slack).
            assert parse_clock("09:35:00") <= screen.snap.now < parse_clock("09:36:00")
            assert [a.command for a in screen.snap.actions] == ["diff-deploy"]
            # The drill goes on; the watcher (its own clock paused) takes the command in.
            await pilot.press("space")  # pause the watcher's clock: it starts at 1x
            drill.advance_to(parse_clock("09:36:00"))
            drill.submit("logs smars-1")
            await until(pilot, lambda: [m.command for m in screen.recording.marks][-1:] == ["logs smars-1"])
            group = screen.recording.source._proc.pid
            await pilot.press("q")
            await until(pilot, lambda: app.screen is app.desk)

            def ended() -> bool:
                try:
                    os.killpg(group, 0)
                except ProcessLookupError:
                    return True
                return False

            await until(pilot, ended)
    finally:
        await hosted.close()
