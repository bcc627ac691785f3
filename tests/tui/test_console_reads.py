"""The console a trainee reads (issue 17): keys in a burst, panels that keep up, refusals that
explain themselves, help that says only what is true, and participant text shown literally.

Driven through Pilot with a FakeWall, like test_console.py: the sim moves only when a test says.
"""

from __future__ import annotations

from textual import events

from drill.tui import format as fmt
from drill.tui.screens.console import ConsoleScreen
from drill.tui.widgets.chart import Chart
from drill.tui.widgets.chart import headline as chart_headline
from drill.tui.widgets.command_line import CommandLine
from drill.tui.widgets.status_header import StatusHeader
from drill.tui.widgets.status_line import Feedback, JournalLabel
from drill.tui.widgets.tape import TapeLog, TapeView

from .conftest import type_text
from .test_console import command, journal_records, run_frames


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


async def test_the_tape_follows_the_clock_whatever_tabs_were_shown(make_app, wall):
    """A simulated minute at 30x, switching through every tab (and back to the tape, which then
    has focus): the tape's last row is always within 2 s of the clock."""
    app = make_app(speed=30.0, paused=False, start_at="09:31:00")
    async with app.run_test(size=(80, 24)) as pilot:
        console = app.console_screen
        keys = [p.key for p in console.panels] + ["2"]
        for key in keys * 2:
            await pilot.press(key)
            await pilot.pause()
            run_frames(console, wall, 1.0, step=0.1)  # 30 simulated seconds per key... and frames
            await pilot.pause()
        assert console.snap.now - console.snap.start > 0
        tape = console.query_one(TapeView)
        assert console.query_one("#tabs").active == "tape" and tape.query_one(TapeLog).has_focus
        run_frames(console, wall, 1.0, step=0.1)
        await pilot.pause()
        assert tape.last_row is not None and console.snap.now - tape.last_row.at <= 2_000
        assert tape.at_newest, "the newest row is on screen"
        # Scrolling back holds the view; End follows again.
        await pilot.press("pageup")
        run_frames(console, wall, 0.5)
        await pilot.pause()
        assert not tape.at_newest
        await pilot.press("end")
        run_frames(console, wall, 0.5)
        await pilot.pause()
        assert tape.at_newest


async def test_the_chart_and_the_header_read_the_same_figure_at_every_frame(make_app, wall):
    """At every frame of a running drill the chart's title and the header show one figure (the
    loss, or the risk monitor's exposure where the loss is hidden), and it moves."""
    for difficulty in ("standard", "historical"):
        app = make_app(difficulty=difficulty, speed=30.0, paused=False, start_at="09:31:00")
        async with app.run_test(size=(120, 36)) as pilot:
            console = app.console_screen
            header = console.query_one(StatusHeader)
            chart = console.query_one("#chart-side", Chart)
            label = "Loss " if difficulty == "standard" else "Exposure "
            seen = set()
            for _ in range(60):
                wall.advance(1 / 30)
                console.frame()
                await pilot.pause()
                figure = chart.render().plain.split("\n")[0].rsplit(": ", 1)[1]
                assert f"{label}{figure}" in header.render().plain, (header.render().plain, figure)
                seen.add(figure)
            assert figure == fmt.usd(chart_headline(console._money))
            assert len(seen) > 1, "the figure moved during the run"


MARKUP = ["[/x]", "[@click=app.quit]", "[reverse]", "\x1b[31mred\x1b[0m"]


async def test_participant_text_is_shown_literally_and_the_console_keeps_running(make_app, tmp_path):
    """Markup and escape sequences as a command argument, a pasted line and the journal path:
    shown as typed (control characters as \\x1b), never interpreted, and the console runs on."""
    journal = tmp_path / "[/x] [@click=app.quit] [reverse]\x1b[2J.jsonl"
    app = make_app(journal=str(journal))
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.console_screen
        label = console.query_one(JournalLabel).render().plain
        assert "[/x] [@click=app.quit] [reverse]\\x1b[2J.jsonl" in label and "\x1b" not in label
        feedback = console.query_one(Feedback)
        for text in MARKUP:
            await pilot.press("colon")
            await pilot.pause()
            app.post_message(events.Paste(f"inspect {text}"))  # escape sequences arrive by paste
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert feedback.kind == "error" and "unknown server" in feedback.message
            assert "\x1b" not in feedback.message and "\x1b" not in str(feedback.render())
            if text.startswith("["):
                await command(pilot, text)  # as the verb: an unknown command, named as typed
                assert feedback.kind == "error" and f"unknown command '{text}'" in str(feedback.render())
            assert console.query_one(CommandLine).value == ""
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is console and app.is_running
    assert journal.exists()


async def test_help_is_built_from_the_panels_and_says_only_what_is_true(make_app):
    """Help lists the tabs the console has, with the keys that switch to them, the keys that
    work, and as unavailable only the trainee's commands this difficulty lacks (not the
    facilitator's pause, resume and speed, which space, + and - do anyway)."""
    for scenario, difficulty, last in (("knightmare", "historical", "8"), ("slow-clap", "standard", "9")):
        app = make_app(scenario, difficulty)
        async with app.run_test(size=(80, 24)) as pilot:
            console = app.console_screen
            tabs = [str(t.label).split()[0] for t in console.query("#tabs Tab")]
            assert tabs == [p.title for p in console.panels]
            await pilot.press("question_mark")
            await pilot.pause()
            md = app.screen._markdown
            keys, panels, commands = md.split("## Keys")[1].split("## Panels")[0], md.split("## Panels")[1].split("## Commands")[0], md.split("## Commands")[1]
            assert f"`1 … {last}`" in keys and f"switch tabs ({', '.join(t.lower() for t in tabs)})" in keys
            for panel in console.panels:
                assert f"| {panel.title} | `{panel.key}` | {panel.help} |" in panels
            assert ("Canary" in panels) == (last == "9")
            for key, does in console.active_keys():
                assert f"| `{key}` | {does} |" in keys
            assert "`space`" in keys and "`+`" in keys and "`-`" in keys
            unavailable = commands.split("Not available in this difficulty:")[1] if "Not available" in commands else ""
            for verb in ("pause", "resume", "speed", "inject", "push-hint"):
                assert f"`{verb}`" not in unavailable and f"`{verb}" not in commands
            if difficulty == "historical":
                assert "`kill-switch`" in unavailable
            await pilot.press("escape")
            # Each panel's key shows its tab (the side panels are in the tabs at 80 columns).
            for panel in console.panels:
                await pilot.press(panel.key)
                await pilot.pause()
                assert console.query_one("#tabs").active == panel.id
                await pilot.press("escape")


async def test_the_picker_opens_on_the_flagship_and_says_what_its_keys_do(tmp_path):
    from textual.widgets import Button, Input, OptionList

    from drill.tui.app import DrillApp
    from drill.tui.screens.briefing import BriefingScreen
    from drill.tui.screens.picker import FLAGSHIP, PickerScreen

    from .conftest import FakeWall

    app = DrillApp(None, None, None, 10.0, str(tmp_path / "j.jsonl"), paused=True, wall=FakeWall(), blink=False,
                   counterfactuals=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        scenarios = picker.query_one("#scenarios", OptionList)
        assert scenarios.highlighted == 0 and scenarios.get_option_at_index(0).id == FLAGSHIP == "knightmare"
        seed = picker.query_one("#seed", Input)
        spec = picker._scenarios[FLAGSHIP].spec
        assert seed.placeholder == f"blank: seed #{spec.seed}"
        ctrl_s = next(b for b in picker.BINDINGS if b.key == "ctrl+s")
        assert ctrl_s.description == "Briefing" and str(picker.query_one("#start", Button).label) == "Briefing"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)  # where the label said it goes


def test_a_solo_drill_prints_nothing_about_facilitators(monkeypatch, capsys, tmp_path):
    import drill.tui as tui

    monkeypatch.setattr(tui, "play", lambda app: 0)  # the console itself is not the point here
    assert tui.run_console("knightmare", "standard", 7, 1.0, str(tmp_path / "j.jsonl")) == 0
    solo = capsys.readouterr()
    assert "facilitat" not in solo.err + solo.out and "token" not in solo.err + solo.out
    assert tui.run_console("knightmare", "standard", 7, 1.0, str(tmp_path / "k.jsonl"), team="red") == 0
    assert "facilitator channel" in capsys.readouterr().err  # a team's drill still offers one


def test_a_journal_path_with_escape_sequences_is_printed_as_text(monkeypatch, capsys, tmp_path):
    import drill.tui as tui

    class Ended:
        drill = type("D", (), {"journal_path": tmp_path / "\x1b[2J[/x].jsonl"})()
        result_id, result_error, hosted = None, None, None

    monkeypatch.setattr(tui, "play", lambda app: 0)
    monkeypatch.setattr("drill.tui.app.DrillApp", lambda *a, **k: Ended())
    assert tui.run_console("knightmare", "standard", 7, 1.0, str(tmp_path / "j.jsonl")) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[2J[/x].jsonl" in out


async def test_in_ranked_play_help_says_the_clock_keys_are_the_facilitators(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        console = app.console_screen
        console.drill.clock.ranked = True
        await pilot.press("question_mark")
        await pilot.pause()
        keys = app.screen._markdown.split("## Panels")[0]
        refusal = console.drill.clock.trainee_refusal("pause")
        assert f"| `space` | not now: {refusal} |" in keys and f"| `+` | not now: {refusal} |" in keys
        assert "pause / resume the clock" not in keys
