"""The crew's door on a drill's channel: the join code opens join and commands only, a command is
given as the member (journaled, refused for a role that may not give it), the owner is named
from the moment a crew joins, and the facilitator's token and the crew's code never mix."""

from __future__ import annotations

import asyncio
import json

import pytest

from drill.hosting.channel import ChannelError, ChannelServer, crew_request, new_token, request
from drill.hosting.crew import CrewDoor, JoinError, find_drill
from drill.hosting.hosted import Facilitation, HostedDrill, crew_code_for
from drill.hosting.host import DrillHost
from drill.session.crew import CrewMember
from drill.session.replay import replay
from drill.timefmt import parse_clock
from drill.tui.controller import Drill

CODE = "C0DE1234"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DRILL_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def drill(tmp_path):
    d = Drill("knightmare", "standard", None, tmp_path / "j.jsonl", paused=True)
    d.owner_name = "Bo"
    d.advance_to(parse_clock("09:31:00"))
    return d


def _serve(host, token=None, crew_code=CODE):
    async def start():
        server = ChannelServer(host, token or new_token(), crew_code=crew_code)
        return server, await server.start()

    return start


def test_a_crew_member_joins_gives_commands_and_is_refused_what_the_role_may_not(drill):
    host = DrillHost(drill, team="blue")
    token = new_token()

    async def go():
        server = ChannelServer(host, token, crew_code=CODE)
        port = await server.start()
        try:
            drill.submit("inspect smars-1")  # alone, before anyone joined: the trainee's
            with pytest.raises(ChannelError, match="wrong join code"):
                await crew_request(port, "WRONG", "join", name="Ann", role="operator")
            joined = await crew_request(port, CODE, "join", name="Ann", role="operator")
            assert joined["join"]["journal"] == str(drill.journal_path)
            assert joined["join"]["owner"] == "Bo (commander)"
            assert joined["join"]["only"] == {"stop-all": ["commander"], "resolve": ["commander"]}
            ok = await crew_request(port, CODE, "crew-command", name="Ann", role="operator", command="stop smars-8")
            assert ok["accepted"] and ok["t"] == parse_clock("09:31:00")
            with pytest.raises(ChannelError, match="only the commander may give it"):
                await crew_request(port, CODE, "crew-command", name="Ann", role="operator", command="stop-all")
            with pytest.raises(ChannelError, match="steers the exercise"):
                await crew_request(
                    port, CODE, "crew-command", name="Ann", role="operator", command="inject second-fault"
                )
            with pytest.raises(ChannelError, match="only join, give commands and follow the clock"):
                await crew_request(port, CODE, "status", name="Ann", role="operator")
            with pytest.raises(ChannelError, match="token"):
                await request(port, CODE, "status")  # the crew's code is not the facilitator's token
            with pytest.raises(ChannelError, match="not a role"):
                await crew_request(port, CODE, "join", name="Cy", role="janitor")
            drill.submit("inspect smars-2")  # the owner, now one of a crew
            status = (await request(port, token, "status"))["status"]
            assert [c["by"] for c in status["commands"]] == ["trainee", "Ann (operator)", "Bo (commander)"]
        finally:
            await server.close()

    asyncio.run(go())
    drill.abandon()
    commands = [json.loads(x) for x in drill.journal_path.read_text().splitlines() if '"command"' in x and '"seq"' in x]
    commands = [c for c in commands if c["type"] == "command"]
    assert [(c.get("member"), c.get("role")) for c in commands] == [
        (None, None),
        ("Ann", "operator"),
        ("Bo", "commander"),
    ]
    report = replay(drill.journal_path)
    assert report.ok, report.divergence


def test_a_drill_not_open_to_a_crew_refuses_every_join_code(drill):
    async def go():
        server = ChannelServer(DrillHost(drill), new_token(), crew_code=None)
        port = await server.start()
        try:
            with pytest.raises(ChannelError, match="wrong join code"):
                await crew_request(port, "", "join", name="Ann", role="operator")
        finally:
            await server.close()

    asyncio.run(go())


def test_a_hosted_drill_registers_that_a_crew_may_join_and_the_door_finds_it_by_team(drill):
    facilitation = Facilitation.fresh(crew=True)
    hosted = HostedDrill(drill, facilitation, "blue", shown=lambda: None, after_command=lambda: None, frames=lambda: 0)
    member = CrewMember.of("Ann", "operator")

    async def go():
        await hosted.open()
        try:
            entry = find_drill("blue")
            assert entry["id"] == facilitation.drill_id and entry["crew"] is True
            assert facilitation.crew_code not in json.dumps(entry)
            door = CrewDoor(entry["port"], facilitation.crew_code, member)
            joined = await asyncio.to_thread(door.join)
            assert joined.journal == str(drill.journal_path) and joined.roles == (
                "commander",
                "operator",
                "communications",
            )
            drill.clock.set_speed(5)
            clock = await asyncio.to_thread(door.clock)
            assert (clock.t, clock.speed, clock.paused) == (drill.session.now, 5.0, True)
            reply = await asyncio.to_thread(door.send, "stop smars-8")
            assert reply.accepted and "started" in reply.message
            with pytest.raises(ChannelError, match="only the commander"):
                await asyncio.to_thread(door.send, "stop-all")
            with pytest.raises(JoinError, match="no running drill"):
                find_drill("red")
        finally:
            await hosted.close()

    asyncio.run(go())


def test_a_served_drills_crew_code_comes_from_the_serve_key_and_differs_per_drill():
    f = Facilitation.served("the-key")
    assert f.crew_code == crew_code_for("the-key", f.drill_id)
    assert f.crew_code != f.token and f.crew_code != crew_code_for("the-key", "00000000")
    assert f.crew_code not in repr(f)  # never shown
