"""What a running console renders per frame: what changed, and no more (issue 11, part 6: twenty
served drills at 1x on two cores)."""

from __future__ import annotations

from drill.tui.screens.console import RENDER_AFTER_SIM_MS
from drill.tui.widgets.fleet import FleetTable
from drill.tui.widgets.tape import TapeLog, TapeView


def run_frames(console, wall, seconds: float, step: float = 1 / 30) -> None:
    for _ in range(round(seconds / step)):
        wall.advance(step)
        console.frame()


async def test_the_tape_grows_without_laying_out_the_screen(make_app, monkeypatch):
    """Once the tape has its scrollbar, new rows repaint the tape and move its scrollbar; they do
    not ask for a layout (which reflowed and repainted the whole screen once a second at 1x)."""
    app = make_app(speed=1.0, start_at="09:31:00")
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.console_screen
        console.query_one("#tabs").active = "tape"
        await pilot.pause()
        log = console.query_one(TapeLog)
        assert log.show_vertical_scrollbar, "the morning's rows overflow the tape"
        layouts = []
        refresh = TapeLog.refresh

        def counting(self, *regions, layout=False, **kwargs):
            layouts.append(layout)
            return refresh(self, *regions, layout=layout, **kwargs)

        monkeypatch.setattr(TapeLog, "refresh", counting)
        lines = log.line_count
        for _ in range(5):
            console.step(2_000)
            await pilot.pause()
        assert log.line_count > lines, "rows arrived"
        assert layouts and not any(layouts), "rows were drawn, without a layout"
        assert log.vertical_scrollbar.window_virtual_size == log.virtual_size.height, "its scrollbar knows its length"
        assert console.query_one(TapeView).at_newest, "the newest row is on screen"


async def test_at_1x_the_console_renders_what_the_clock_can_show(make_app, wall):
    """At 1x a render every RENDER_AFTER_SIM_MS of sim time (not every timer frame), the heavy
    panels once a sim second; what is owed when the clock stops is still shown. At 30x every
    timer frame renders, as before."""
    app = make_app(speed=1.0, paused=False, start_at="09:31:00")
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.console_screen
        fleet = console.query_one(FleetTable)
        fleet_shows = []
        show = fleet.show
        fleet.show = lambda rows: fleet_shows.append(console.snap.now) or show(rows)
        frames = console.frames
        run_frames(console, wall, 3.0)  # 90 timer frames
        rendered = console.frames - frames
        assert 3_000 // RENDER_AFTER_SIM_MS - 2 <= rendered <= 3_000 // RENDER_AFTER_SIM_MS + 1, rendered
        assert 2 <= len(fleet_shows) <= 4, fleet_shows
        assert len({at // 1000 for at in fleet_shows}) == len(fleet_shows), "one redraw per sim second"

        wall.advance(0.05)  # 50 sim ms: less than a render's worth...
        console.frame()
        await pilot.press("space")  # ...and the clock stops: the pause shows where it stopped
        assert console.snap.now == console.drill.snapshot().now

        await pilot.press("space")
        console.drill.clock.set_speed(30.0)
        frames = console.frames
        run_frames(console, wall, 1.0)
        assert console.frames - frames == 30, "at 30x every timer frame renders"
