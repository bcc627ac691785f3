"""Teams with join codes: the facilitator creates them, the file keeps no code, and a served tab
plays under the team whose code it typed (a wrong code is turned back at the picker)."""

from __future__ import annotations

import re

import pytest

from drill.gameday import teams
from drill.gameday.facilitator import FacilitatorApp
from drill.gameday.webclient import ENTER, TabClient
from textual.widgets import Input

from .conftest import wait_registered
from .test_facilitator import text_of, until


def test_codes_open_their_team_and_are_not_stored(data_dir):
    red = teams.create("red")
    blue = teams.create("  blue   team ")
    known = teams.load()
    assert [t.name for t in known] == ["red", "blue team"]
    assert teams.team_for(red, known) == "red"
    assert teams.team_for(red.lower().replace("-", " "), known) == "red"  # as people type it
    assert teams.team_for(blue, known) == "blue team"
    assert teams.team_for("ABCD-EFGH", known) is None and teams.team_for("", known) is None
    raw = teams.teams_path().read_text()
    assert red not in raw and teams.normalise(red) not in raw
    again = teams.create("red")  # a new code for the same team: the old one stops working
    known = teams.load()
    assert len(known) == 2 and teams.team_for(again, known) == "red" and teams.team_for(red, known) is None
    for bad in ("", "x" * 61, "bell\x07"):
        with pytest.raises(teams.TeamError):
            teams.create(bad)
    teams.teams_path().write_text("[not, json")
    assert teams.load() == []


async def test_the_facilitator_creates_a_team_and_sees_its_code_once(data_dir):
    app = FacilitatorApp(poll_s=0.5)
    async with app.run_test(size=(160, 44)) as pilot:
        assert "none" in text_of(app, "#teams")
        app.query_one("#new-team", Input).focus()
        await pilot.press(*"[/x] red", "enter")
        await until(pilot, lambda: "join code" in text_of(app, "#feedback"))
        code = re.search(r"join code (\S+)", text_of(app, "#feedback")).group(1)
        assert teams.team_for(code, teams.load()) == "[/x] red"
        assert text_of(app, "#teams").strip() == "[/x] red"


@pytest.mark.slow
async def test_a_served_tab_plays_under_the_team_of_its_join_code(serve, data_dir):
    code = teams.create("red")
    s = serve("knightmare")
    c = TabClient(s.url)
    await c.connect()
    try:
        await c.wait_for("Team", timeout=60)
        await c.type("red")  # a name is not a code
        await c.send(ENTER)
        await c.wait_for("Not a join code", timeout=60)
        m = c.mark()
        await c.type(code.lower())
        await c.send(ENTER)
        await c.wait_for("Esc back", since=m, timeout=60)
        await c.send(ENTER)
        [drill] = await wait_registered(1)
        assert drill["team"] == "red"
    finally:
        await c.close()

