"""Snapshot tests of every screen at 80x24 and 120x36 (pytest-textual-snapshot).

Deterministic by construction: seeded drills, the clock paused (and a wall clock that does not
move), the drill fast-forwarded to a fixed sim time, cursors not blinking, and a journal path
relative to the test's own directory so no temporary or dated path reaches the screen.
Regenerate with `pytest tests/tui --snapshot-update` and look at the SVGs before committing.
"""

from __future__ import annotations

import pytest

from drill.tui.app import DrillApp

from .conftest import FakeWall

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def stale_server(console) -> str:
    releases = [r.release for r in console.snap.fleet]
    return next(r.name for r in console.snap.fleet if releases.count(r.release) == 1)


SEED = 20120801  # pinned, so a change of the scenario's default seed does not redraw every snapshot


def console_app(difficulty: str = "standard", start_at: str = "09:40:00") -> DrillApp:
    return DrillApp("knightmare", difficulty, SEED, 10.0, "journal.jsonl", paused=True, counterfactuals=False,
                    start_at=start_at, wall=FakeWall(), blink=False)


class TestPicker:
    @pytest.mark.parametrize("size", SIZES)
    def test_picker(self, snap_compare, here, size):
        """The picker: knightmare highlighted, its default difficulty described, seed empty."""
        app = DrillApp(None, None, None, 10.0, "journal.jsonl", paused=True, wall=FakeWall(), blink=False,
                       counterfactuals=False)
        assert snap_compare(app, terminal_size=size)

    @pytest.mark.parametrize("size", SIZES)
    def test_briefing(self, snap_compare, here, size):
        """The briefing after picking knightmare, standard, seed 7: its Markdown, keys below."""
        async def run_before(pilot):
            await pilot.pause()
            picker = pilot.app.screen
            ids = [o.id for o in picker.query_one("#scenarios").options]
            await pilot.press(*["down"] * ids.index("knightmare"), "enter")
            diffs = [o.id for o in picker.query_one("#difficulties").options]
            moves = diffs.index("standard") - diffs.index(picker._scenarios["knightmare"].spec.default_difficulty)
            await pilot.press(*(["down"] * moves if moves > 0 else ["up"] * -moves), "enter", "7", "enter")
            await pilot.pause()

        app = DrillApp(None, None, None, 10.0, "journal.jsonl", paused=True, wall=FakeWall(), blink=False,
                       counterfactuals=False)
        assert snap_compare(app, terminal_size=size, run_before=run_before)


class TestConsole:
    @pytest.mark.parametrize("size", SIZES)
    def test_console_standard(self, snap_compare, here, size):
        """Standard at 09:40 after `inspect` of the stale server ran: fleet, header with the loss, action log."""
        async def run_before(pilot):
            await pilot.pause()
            console = pilot.app.console_screen
            console.submit_command(f"inspect {stale_server(console)}")
            console.step(20_000)
            await pilot.pause()

        assert snap_compare(console_app(), terminal_size=size, run_before=run_before)

    def test_console_historical_inbox(self, snap_compare, here):
        """Historical at 09:50: the loss hidden (exposure, as-of and lag instead), the inbox open."""
        async def run_before(pilot):
            await pilot.pause()
            await pilot.press("3")
            await pilot.pause()

        assert snap_compare(console_app("historical", "09:50:00"), terminal_size=(120, 36), run_before=run_before)

    def test_console_narrow_chart(self, snap_compare, here):
        """At 80x24 the chart is a tab; historical shows the risk monitor's exposure, lagged."""
        async def run_before(pilot):
            await pilot.pause()
            await pilot.press("7")
            await pilot.pause()

        assert snap_compare(console_app("historical", "09:50:00"), terminal_size=(80, 24), run_before=run_before)


OTHER_SCENARIOS = ["fat-finger", "sell-program", "slow-clap"]  # knightmare: TestConsole above


class TestEveryScenario:
    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("scenario", OTHER_SCENARIOS)
    def test_console(self, snap_compare, here, size, scenario):
        """Each bundled scenario's console, default difficulty and seed, six minutes after its
        open with `inspect` of its first server done: nothing a trainee needs is cut at 80x24
        (loss, collateral, capital, clock, speed, phase, the status line's message)."""
        from drill.scenario import load
        from drill.timefmt import fmt_clock

        spec = load(scenario).spec

        async def run_before(pilot):
            await pilot.pause()
            console = pilot.app.console_screen
            console.submit_command(f"inspect {console.fixed.servers[0]}")
            console.step(30_000)
            await pilot.pause()

        app = DrillApp(scenario, None, None, 10.0, "journal.jsonl", paused=True, counterfactuals=False,
                       start_at=fmt_clock(spec.clock.open + 360_000), wall=FakeWall(), blink=False)
        assert snap_compare(app, terminal_size=size, run_before=run_before)


class TestDebrief:
    @pytest.mark.parametrize("size", SIZES)
    def test_debrief(self, snap_compare, here, size):
        """Standard: inspect then stop the stale server from 09:33, resolve two minutes on: score card, chart and timeline."""
        async def run_before(pilot):
            await pilot.pause()
            console = pilot.app.console_screen
            stale = stale_server(console)
            console.submit_command(f"inspect {stale}")
            console.step(20_000)
            console.submit_command(f"stop {stale}")
            console.step(100_000)
            console.submit_command("resolve")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.pause()

        assert snap_compare(console_app(start_at="09:33:00"), terminal_size=size, run_before=run_before)
