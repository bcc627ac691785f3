"""Teams with join codes: the facilitator creates them, the file keeps no code, and a served tab
plays under the team whose code it typed (a wrong code is turned back at the picker)."""

from __future__ import annotations

import re

import pytest

from drill.gameday import teams
from drill.gameday.facilitator import FacilitatorApp
from drill.gameday.webclient import ENTER, TabClient
from textual.widgets import Input

from .conftest import free_port, wait_registered
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



@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("[not, json", "not JSON"),
        ('{"teams": 3}', "teams: expected a list"),
        ('{"teams": [{"name": "red"}]}', "teams[0].code_hash"),
        ('{"teams": ["red"]}', "teams[0]:"),
    ],
)
def test_a_damaged_teams_file_is_named_never_read_as_no_teams(data_dir, content, field):
    """Read as "no teams", a damaged file would let any tab play as any team, and the next team
    created would overwrite the ones it held."""
    path = teams.teams_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    with pytest.raises(teams.TeamError, match=re.escape(field)) as err:
        teams.load()
    assert str(path) in str(err.value)
    with pytest.raises(teams.TeamError):
        teams.create("blue")
    assert path.read_text() == content  # nothing lost


def test_drill_serve_refuses_a_damaged_teams_file_in_one_line(data_dir, tmp_path):
    import os
    import subprocess
    import sys

    path = teams.teams_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"teams": [{"name": 7, "code_hash": "x"}]}')
    env = {**os.environ, "DRILL_DATA_DIR": str(path.parent)}
    done = subprocess.run(
        [sys.executable, "-m", "drill", "serve", "--port", str(free_port())], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "teams[0].name" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


async def test_the_facilitator_names_a_damaged_teams_file(data_dir):
    path = teams.teams_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[not, json")
    app = FacilitatorApp(poll_s=0.5)
    async with app.run_test(size=(160, 44)) as pilot:
        await until(pilot, lambda: "damaged" in text_of(app, "#teams"))
        assert "not JSON" in text_of(app, "#teams")
        app.query_one("#new-team", Input).focus()
        await pilot.press(*"blue", "enter")
        await until(pilot, lambda: "Team not created" in text_of(app, "#feedback"))
    assert path.read_text() == "[not, json"


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



@pytest.mark.slow
async def test_a_served_tab_refuses_every_name_while_the_teams_file_is_damaged(serve, data_dir):
    teams.create("red")
    s = serve("knightmare")
    teams.teams_path().write_text('{"teams": "red"}')  # damaged after serve checked it
    c = TabClient(s.url)
    await c.connect()
    try:
        await c.wait_for("Team", timeout=60)
        await c.type("red")
        await c.send(ENTER)
        await c.wait_for("Cannot check join codes", timeout=60)
        assert str(data_dir) not in c.text()  # the server's paths stay on the server
        from drill.hosting.channel import running_drills

        assert running_drills() == []  # no drill started under a name nobody checked
    finally:
        await c.close()
