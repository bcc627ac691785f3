"""The served picker: a Team field; given a drill, only that scenario, difficulty and seed."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from drill.hosting.channel import running_drills
from drill.hosting.hosted import Facilitation
from drill.tui.app import DrillApp
from drill.tui.screens.briefing import BriefingScreen
from drill.tui.screens.console import ConsoleScreen
from drill.tui.screens.picker import PickerScreen


async def _until(pilot, condition, timeout=20.0):
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


async def test_a_served_tab_with_a_fixed_drill_asks_only_for_the_team(tmp_path):
    app = DrillApp("knightmare", "historical", 9, 1.0, None, True, served=True, blink=False,
                   facilitation=Facilitation.fresh(), counterfactuals=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, PickerScreen))
        picker = app.screen
        assert [o.id for o in picker.query_one("#scenarios", OptionList).options] == ["knightmare"]
        assert [o.id for o in picker.query_one("#difficulties", OptionList).options] == ["historical"]
        seed = picker.query_one("#seed", Input)
        assert seed.value == "9" and seed.disabled
        assert app.focused is picker.query_one("#team", Input)
        await pilot.press(*"Night  Shift", "enter")
        await _until(pilot, lambda: isinstance(app.screen, BriefingScreen))
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.hosted is not None)
        assert app.team == "Night Shift"
        assert (app.drill.session.difficulty, app.drill.session.seed) == ("historical", 9)
        [entry] = running_drills()
        assert entry["team"] == "Night Shift" and entry["difficulty"] == "historical" and entry["seed"] == 9
        assert app.drill.journal_path.parent.name == "journals"  # in the data directory
        await pilot.press("ctrl+q", "y")


async def test_a_served_tab_without_a_fixed_drill_offers_every_scenario():
    app = DrillApp(served=True, blink=False, counterfactuals=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, PickerScreen))
        picker = app.screen
        assert len(picker.query_one("#scenarios", OptionList).options) > 1
        await pilot.press(*"blue", "enter")  # Enter on the team goes on to the scenarios
        assert app.focused is picker.query_one("#scenarios", OptionList)
        picker.action_start()
        await _until(pilot, lambda: isinstance(app.screen, BriefingScreen))
        assert app.team == "blue"


async def test_the_terminal_picker_has_no_team_field():
    app = DrillApp(blink=False, counterfactuals=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, PickerScreen))
        assert not app.screen.query("#team")
