"""The canary dashboard: where the difficulty has one, the Canary tab compares releases."""

from __future__ import annotations

from drill.timefmt import parse_clock
from drill.tui.screens.console import ConsoleScreen
from drill.tui.widgets.releases import ReleasesView
from drill.tui.widgets.status_line import Feedback

from .conftest import type_text
from .test_console import rich_text


async def test_the_canary_tab_shows_erroneous_fills_on_the_new_release_only(make_app):
    app = make_app("slow-clap", "standard", start_at="09:30:10")
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.screen
        assert isinstance(console, ConsoleScreen)
        await pilot.press("colon")
        await type_text(pilot, "rollout 10")
        await pilot.press("enter")
        console.step(parse_clock("09:34:00") - console.drill.session.now)
        await pilot.press("escape", "9")
        await pilot.pause()
        text = rich_text(console.query_one(ReleasesView).content)
        v41 = next(line for line in text.splitlines() if line.strip().startswith("v41"))
        v42 = next(line for line in text.splitlines() if line.strip().startswith("v42"))
        assert "new" in v42 and v41.split()[1] == "9" and v42.split()[2] == "1"
        assert float(v41.split()[-2]) == 0.0 and float(v42.split()[-2]) > 0.0  # bad fills/s


async def test_no_canary_tab_where_the_difficulty_has_no_dashboard(make_app):
    app = make_app("knightmare", "standard")
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.screen
        assert not console.query(ReleasesView)
        await pilot.press("9")
        await pilot.pause()
        assert "No canary dashboard" in str(console.query_one(Feedback).render())


async def test_keys_typed_right_behind_enter_start_the_next_command(make_app):
    """A burst (a paste, a browser) `:inspect smars-1⏎:resolve`: the second command survives."""
    from drill.tui.widgets.command_line import CommandLine

    app = make_app("knightmare", "standard")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("colon", *"inspect", "space", *"smars-1", "enter", *"logs")
        await pilot.pause()
        assert app.screen.query_one(CommandLine).value == "logs"
        assert any(a.command == "inspect smars-1" for a in app.screen.snap.actions)
