"""The console a trainee reads (issue 17): keys in a burst, panels that keep up, refusals that
explain themselves, help that says only what is true, and participant text shown literally.

Driven through Pilot with a FakeWall, like test_console.py: the sim moves only when a test says.
"""

from __future__ import annotations

from textual import events

from drill.tui.screens.console import ConsoleScreen
from drill.tui.widgets.command_line import CommandLine
from drill.tui.widgets.status_line import Feedback

from .conftest import type_text
from .test_console import command, journal_records


def burst(app, keys: list[str]) -> None:
    """Post keys the way the terminal driver does when they arrive in one read: all queued at
    once, none handled before the next is posted."""
    for key in keys:
        character = key if len(key) == 1 else {"space": " ", "enter": "\r", "backspace": "\x7f"}.get(key)
        app.post_message(events.Key(key, character))


async def test_a_backspace_in_a_burst_edits_where_it_was_typed(make_app, tmp_path):
    """`inspect smars-2`, then Backspace, 3, Enter in one burst runs `inspect smars-3`: the
    Backspace deletes the 2, not the 3 typed after it."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon")
        await type_text(pilot, "inspect smars-2")
        await pilot.pause()
        burst(app, ["backspace", "3", "enter"])
        await pilot.pause()
        await pilot.pause()
        commands = [r["command"] for r in journal_records(tmp_path / "journal.jsonl") if r["type"] == "command"]
        assert commands == ["inspect smars-3"]
        # Arrows and Home move the cursor in order with the typing too.
        burst(app, [*"stop smars-1", "home", "x", "end", "left", "backspace", "y"])
        await pilot.pause()
        await pilot.pause()
        assert app.console_screen.query_one(CommandLine).value == "xstop smarsy1"
        assert isinstance(app.screen, ConsoleScreen)


async def test_a_duplicate_deploy_is_refused_with_a_message(make_app):
    """Five `deploy smars-1` in a row: the first runs, the other four are refused on the status
    line and in the action log, each saying it is already running."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        console = app.console_screen
        for _ in range(5):
            await command(pilot, "deploy smars-1")
        feedback = console.query_one(Feedback)
        assert feedback.kind == "refused" and "already running" in feedback.message
        statuses = [a.status for a in console.snap.actions]
        assert statuses == ["running"] + ["refused"] * 4
