"""Joining a live drill: a name, then a role, by keys; a name that cannot be used is said there."""

from __future__ import annotations

from textual.app import App

from drill.session.crew import CrewMember
from drill.tui.screens.crew import JoinScreen

ROLES = ("commander", "operator", "communications")


class Host(App):
    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[CrewMember | None] = []

    def on_mount(self) -> None:
        self.push_screen(JoinScreen("Knightmare", ROLES, {"stop-all": ["commander"]}), self.chosen.append)


async def test_a_name_then_a_role_joins_as_that_member():
    app = Host()
    async with app.run_test() as pilot:
        await pilot.press("A", "n", "n", "enter", "down", "enter")
        await pilot.pause()
    assert app.chosen == [CrewMember("Ann", "operator")]


async def test_keys_that_reach_the_name_field_still_choose_the_role():
    app = Host()
    async with app.run_test() as pilot:
        screen = app.screen
        await pilot.press("B", "o", "enter")
        screen.query_one("#crew-name").focus()  # as if the next keys arrived before the focus moved
        await pilot.press("down", "down", "enter")
        await pilot.pause()
    assert app.chosen == [CrewMember("Bo", "communications")]


async def test_an_empty_name_is_refused_there_and_nothing_is_joined():
    app = Host()
    async with app.run_test() as pilot:
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert "1 to 24 printable" in str(app.screen.query_one("#crew-error").render())
        assert app.chosen == []
