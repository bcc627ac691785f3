"""Functional tests of the console, driven through Textual's Pilot.

Time never comes from the real clock here: the app measures elapsed time with a FakeWall, so the
sim moves only when a test advances the wall (and a frame runs) or steps the drill explicitly.
"""

from __future__ import annotations

import io
import json

from rich.console import Console

from drill.tui.screens.confirm import ConfirmScreen
from drill.tui.screens.console import ConsoleScreen
from drill.tui.screens.debrief import DebriefScreen
from drill.tui.screens.help import HelpScreen
from drill.tui.screens.text_view import TextScreen
from drill.tui.widgets.action_log import ActionLog
from drill.tui.widgets.command_line import CommandLine
from drill.tui.widgets.message_list import MessageList
from drill.tui.widgets.status_header import StatusHeader
from drill.tui.widgets.status_line import Feedback, JournalLabel

from .conftest import type_text


def stale_server(console: ConsoleScreen) -> str:
    """The server the deploy missed: the one whose release differs from the rest (the seed
    decides which, so the tests ask the fleet rather than assume)."""
    releases = [r.release for r in console.snap.fleet]
    odd = [r.name for r in console.snap.fleet if releases.count(r.release) == 1]
    assert len(odd) == 1, releases
    return odd[0]


def rich_text(renderable) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def journal_records(path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def action_log(console: ConsoleScreen) -> ActionLog:
    return console.query_one("#actions-side" if console.wide else "#actions-tab", ActionLog)


def prompts(log) -> list[str]:
    return [str(o.prompt) for o in log.options]


def run_frames(console: ConsoleScreen, wall, seconds: float, step: float = 0.1) -> None:
    """What the console's timer does, with a wall clock that moves `step` seconds a frame."""
    for _ in range(round(seconds / step)):
        wall.advance(step)
        console.frame()


async def command(pilot, text: str) -> None:
    await pilot.press("colon")
    await type_text(pilot, text)
    await pilot.press("enter")
    await pilot.pause()


async def test_command_result_appears_in_action_log(make_app):
    """A typed command shows up running, then done with its result, in the action log."""
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.console_screen
        stale = stale_server(console)
        await command(pilot, f"inspect {stale}")
        log = action_log(console)
        assert f"inspect {stale}" in prompts(log)[0]
        assert "▱" in prompts(log)[0]  # a progress bar while it runs
        console.step(20_000)
        await pilot.pause()
        shown = prompts(log)[0]
        assert "done" in shown and f"{stale}: running" in shown
        assert "more lines" in shown  # a long result is only previewed here
        assert f"inspect {stale}" in console.query_one(Feedback).message


async def test_long_result_opens_in_a_scrollable_view(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        console = app.console_screen
        await command(pilot, "diff-deploy")
        console.step(40_000)
        await pilot.press("escape", "r")
        await pilot.pause()
        assert isinstance(app.screen, TextScreen)
        body = str(app.screen.query_one(".text--body").render())
        assert f"DIFF {stale_server(console)}" in body and "1 server(s) differ" in body
        await pilot.press("escape")
        assert app.screen is console


async def test_unknown_command_is_refused_inline(make_app, tmp_path):
    """Malformed commands and unknown names are errors on the status line; nothing is journaled."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        console = app.console_screen
        await command(pilot, "frobnicate smars-1")
        feedback = console.query_one(Feedback)
        assert feedback.kind == "error" and "unknown command 'frobnicate'" in feedback.message
        await command(pilot, "stop smars-99")
        assert feedback.kind == "error" and "unknown server 'smars-99'" in feedback.message
        assert console.snap.actions == ()
        assert [r["type"] for r in journal_records(tmp_path / "journal.jsonl")] == ["header"]
        assert isinstance(app.screen, ConsoleScreen)


async def test_control_missing_in_difficulty_is_refused(make_app):
    """Historical has no kill switch: the refusal is shown inline and logged as refused."""
    app = make_app(difficulty="historical")
    async with app.run_test(size=(80, 24)) as pilot:
        console = app.console_screen
        await command(pilot, "kill-switch")
        feedback = console.query_one(Feedback)
        assert feedback.kind == "refused"
        assert console.snap.actions[0].status == "refused"
        assert "refused" in prompts(action_log(console))[0]


async def test_pause_and_resume(make_app, wall):
    app = make_app(speed=10.0, paused=True)
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.console_screen
        start = console.snap.now
        run_frames(console, wall, 3.0)
        assert console.snap.now == start  # paused: wall time passes, the sim does not
        assert "PAUSED" in console.query_one(StatusHeader).render().plain

        await pilot.press("space")  # resume
        run_frames(console, wall, 1.0)
        assert console.snap.now == start + 10_000  # 1 s of wall at 10x
        assert "▶ 10x" in console.query_one(StatusHeader).render().plain

        await pilot.press("space")  # pause again
        at = console.snap.now
        run_frames(console, wall, 5.0)
        assert console.snap.now == at

        # A frame that comes late is not caught up: at most a quarter second of wall per chunk.
        await pilot.press("space")
        wall.advance(2.0)
        console.frame()
        assert console.snap.now == at + 2_500


async def test_space_types_in_the_command_line_without_pausing(make_app, wall):
    app = make_app(paused=False)
    async with app.run_test(size=(80, 24)) as pilot:
        console = app.console_screen
        await pilot.press("colon")
        await type_text(pilot, "stop ")
        assert console.query_one(CommandLine).value == "stop "
        assert console.drill.clock.paused is False


async def test_speed_keys_step_through_the_ladder(make_app, wall):
    app = make_app(speed=10.0, paused=False)
    async with app.run_test(size=(80, 24)) as pilot:
        console = app.console_screen
        clock = console.drill.clock
        await pilot.press("plus")
        assert clock.speed == 30
        await pilot.press("plus", "plus")
        assert clock.speed == 60  # the top of the ladder holds
        await pilot.press("minus", "minus", "minus", "minus", "minus", "minus")
        assert clock.speed == 1
        await pilot.press("plus")
        assert clock.speed == 2
        assert "▶ 2x" in console.query_one(StatusHeader).render().plain
        start = console.snap.now
        run_frames(console, wall, 2.0)
        assert console.snap.now == start + 4_000


async def test_containment_and_debrief(make_app, tmp_path):
    """Stop the stale server, let the stop complete, resolve: the debrief shows the grade."""
    app = make_app(start_at="09:31:00")
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.console_screen
        stale = stale_server(console)
        await command(pilot, f"stop {stale}")
        console.step(30_000)
        assert console.snap.phase in ("contained", "recovered")
        await command(pilot, "resolve")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        outcome = app.screen.outcome
        assert outcome.contained and outcome.ended_by == "resolve"
        text = rich_text(app.screen.query_one("#debrief-card").content)
        assert f" {outcome.grade} " in text and "Grade" in text
        assert outcome.contained_at in text
        timeline = [str(o.prompt) for o in app.screen.query_one("#timeline").options]
        assert any(f"stop {stale}" in p for p in timeline) and any("incident" in p for p in timeline)
        end = journal_records(tmp_path / "journal.jsonl")[-1]
        assert end["type"] == "end" and end["reason"] == "resolve"


async def test_scenario_end_moves_to_debrief(make_app):
    app = make_app(difficulty="historical", start_at="10:14:00")
    async with app.run_test(size=(80, 24)) as pilot:
        app.console_screen.step(120_000)
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        assert app.screen.outcome.ended_by == "end"
        assert app.screen.outcome.bankrupt  # nobody acted: Knight's morning


async def test_quit_asks_first_and_journals_the_end(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen) and app.drill_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
    assert app.drill.finished
    end = journal_records(tmp_path / "journal.jsonl")[-1]
    assert end["type"] == "end" and end["reason"] == "abandoned"


async def test_tab_completion_and_history(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        console = app.console_screen
        line = console.query_one(CommandLine)
        await pilot.press("colon", "s", "t", "o", "tab")
        assert line.value == "stop"  # stop and stop-all agree this far
        await pilot.press("space", "tab")
        assert line.value == "stop smars-"
        assert "smars-1" in console.query_one(Feedback).message  # the candidates are listed
        await pilot.press("8", "enter")
        await pilot.pause()
        assert console.snap.actions[-1].command == "stop smars-8"
        await type_text(pilot, "logs smars-8")
        await pilot.press("enter")
        await type_text(pilot, "draft")
        await pilot.press("up")
        assert line.value == "logs smars-8"
        await pilot.press("up")
        assert line.value == "stop smars-8"
        await pilot.press("down", "down")
        assert line.value == "draft"


async def test_suggestion_is_accepted_with_right_arrow(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        line = app.console_screen.query_one(CommandLine)
        await pilot.press("colon")
        await type_text(pilot, "disable-flag r")
        await pilot.pause()
        await pilot.press("right")
        assert line.value == "disable-flag RLP"


async def test_palette_offers_filled_in_commands(make_app):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.console_screen
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "stop smars-3")
        # The palette searches in a worker: wait until its list holds our command.
        from textual.command import CommandList

        hits = app.screen.query_one(CommandList)
        for _ in range(200):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if any("stop smars-3" in str(o.prompt) for o in hits.options):
                break
        assert str(hits.options[0].prompt).startswith("stop smars-3")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen)
        assert [a.command for a in console.snap.actions] == ["stop smars-3"]


async def test_reading_a_message_marks_it_read(make_app):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.console_screen
        inbox = console.query_one("#inbox-list", MessageList)
        before = inbox.unread
        assert before > 0
        assert str(before) in str(console.query_one("#tabs").get_tab("inbox").label)
        await pilot.press("3")  # the inbox tab, its list focused
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextScreen)
        newest = console.snap.inbox[-1]
        assert newest.body in str(app.screen.query_one(".text--body").render())
        await pilot.press("escape")
        await pilot.pause()
        assert inbox.unread == before - 1
        assert str(before - 1) in str(console.query_one("#tabs").get_tab("inbox").label)


async def test_alert_can_be_acknowledged_from_its_view(make_app):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.console_screen
        alert = console.snap.alerts[-1]  # newest first in the list
        await pilot.press("4")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextScreen)
        await pilot.press("a")
        await pilot.pause()
        assert console.snap.actions[-1].command == f"ack {alert.id}"


async def test_help_lists_this_difficultys_commands(make_app):
    app = make_app(difficulty="historical")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        md = app.screen._markdown
        commands = md.split("## Commands")[1]
        assert "`stop SERVER`" in commands
        assert "Not available in this difficulty:" in commands and "`kill-switch`" in commands.split("Not available")[1]
        await pilot.press("escape")
        assert isinstance(app.screen, ConsoleScreen)


async def test_help_lists_every_panel_of_the_one_list(make_app):
    """The help screen, the key bindings and the tabs all come from `PANELS`: with a canary
    dashboard every panel is there, its key and title in help, its key switching to its tab."""
    from drill.tui.panels import PANELS

    app = make_app("slow-clap", "standard")
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.console_screen
        assert console.panels == PANELS
        bound = {b.key: b.action for b in console.BINDINGS}
        assert all(bound[p.key] == f"show_tab('{p.id}')" for p in PANELS)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys, panels = app.screen._markdown.split("## Panels")[0], app.screen._markdown.split("## Panels")[1]
        tabs = ", ".join(p.title.lower() for p in PANELS)
        assert f"| `1 … {len(PANELS)}` | switch tabs ({tabs}) |" in keys
        for p in PANELS:
            assert f"| {p.title} | `{p.key}` | {p.help} |" in panels
        await pilot.press("escape")
        for p in PANELS:
            if not p.side:  # on a wide screen the side panels sit beside the tabs
                await pilot.press(p.key)
                await pilot.pause()
                assert console.query_one("#tabs").active == p.id


async def test_help_leaves_out_a_panel_the_difficulty_lacks(make_app):
    from drill.tui.panels import PANELS, CanaryPanel

    app = make_app(difficulty="historical")  # knightmare has no canary dashboard
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        md = app.screen._markdown
        shown = [p for p in PANELS if not isinstance(p, CanaryPanel)]
        assert f"| `1 … {len(shown)}` |" in md and "| Canary |" not in md
        assert all(f"| {p.title} | `{p.key}` |" in md for p in shown)


async def test_journal_path_is_shown(make_app, tmp_path, data_dir):
    app = make_app(journal="")  # no journal given: the default under the data dir
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        shown = app.console_screen.query_one(JournalLabel).path
        assert shown.startswith(str(data_dir / "journals")) and shown.endswith(".jsonl")
        assert "journal" in app.console_screen.query_one(JournalLabel).render().plain
    assert journal_records(shown)[0]["type"] == "header"


async def test_resizing_never_crashes(make_app):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.console_screen
        assert console.wide
        for size in [(80, 24), (40, 12), (20, 6), (200, 60), (109, 30), (110, 30), (80, 24)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            console.step(1_000)
            await pilot.pause()
            assert console.wide == (size[0] >= 110)
        assert not console.wide
        assert console.query_one("#tabs").active in ("actions", "tape")


async def test_picker_briefing_console(tmp_path):
    from drill.tui.app import DrillApp
    from drill.tui.screens.briefing import BriefingScreen
    from drill.tui.screens.picker import PickerScreen

    app = DrillApp(None, None, None, 5.0, str(tmp_path / "j.jsonl"), paused=True, blink=False, counterfactuals=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        ids = [o.id for o in app.screen.query_one("#scenarios").options]
        await pilot.press(*["down"] * ids.index("knightmare"))
        await pilot.press("enter")  # scenario chosen: on to the difficulty
        diffs = [o.id for o in app.screen.query_one("#difficulties").options]
        default = diffs.index(app.screen._scenarios["knightmare"].spec.default_difficulty)
        moves = diffs.index("standard") - default
        await pilot.press(*(["down"] * moves if moves > 0 else ["up"] * -moves))
        await pilot.press("enter")  # standard; on to the seed
        await type_text(pilot, "42")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)
        assert "Knightmare" in str(app.screen.query_one(".briefing--title").render())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen)
        assert app.drill.session.difficulty == "standard" and app.drill.session.seed == 42
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, ConsoleScreen)


async def test_every_bundled_scenario_plays_to_its_debrief(tmp_path):
    """Other scenarios bring other fleets, flags, clocks and zones: none may trip the console."""
    from drill.scenario import bundled_ids, load
    from drill.tui.app import DrillApp

    for sid in bundled_ids():
        spec = load(sid).spec
        app = DrillApp(sid, None, None, 10.0, str(tmp_path / f"{sid}.jsonl"), paused=True, blink=False,
                       counterfactuals=False)
        async with app.run_test(size=(80, 24)) as pilot:
            console = app.console_screen
            assert spec.fleet.servers[0] in [r.name for r in console.snap.fleet]
            console.submit_command(console.completer.commands()[0][0])
            console.step(spec.clock.end - console.snap.now)
            await pilot.pause()
            await pilot.pause()
            assert isinstance(app.screen, DebriefScreen), sid
            assert app.screen.outcome.ended_by in ("end", "bankruptcy")
