"""`drill serve`: loopback unless told otherwise (and then it says so), one drill per tab, only
same-origin pages, a facilitator key that opens its own drills and nothing else."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys

import pytest

from drill.cli.main import main
from drill.hosting.channel import LOOPBACK, ChannelError, request, running_drills
from drill.hosting.hosted import token_for
from drill.gameday.roster import Roster
from drill.gameday.serve import banner, is_loopback, served_command
from drill.gameday.webclient import TabClient

from .conftest import ROOT, free_port, listening, start_tab, wait_registered


def test_loopback_names():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.10", "example.org", ""))


def test_the_banner_shouts_when_not_on_loopback():
    quiet = banner("127.0.0.1", 8000, "KEY", {"scenario": None, "speed": 1.0}, "/data", None, 24)
    assert "NOT LOOPBACK" not in quiet and "http://127.0.0.1:8000" in quiet
    loud = banner("0.0.0.0", 8000, "KEY", {"scenario": "knightmare", "seed": 7, "speed": 1.0}, "/data", None, 24)
    assert loud.splitlines()[1].startswith("!! NOT LOOPBACK: drill serve is listening on 0.0.0.0:8000")
    assert "seed 7" in loud


def test_the_served_command_carries_neither_secret_nor_path():
    cmd = served_command("knightmare", "standard", 3, 2.0)
    assert cmd.endswith("-m drill.gameday.served --speed 2 --scenario knightmare --difficulty standard --seed 3")
    assert "KEY" not in cmd and "DRILL_DATA_DIR" not in cmd


@pytest.mark.parametrize("argv, message", [
    (["serve", str(ROOT / "scenarios" / "knightmare")], "bundled scenario"),
    (["serve", "nope"], "bundled scenario"),
    (["serve", "knightmare", "--difficulty", "nope"], "is not a difficulty"),
    (["serve", "--seed", "3"], "need a scenario"),
    (["serve", "--port", "0"], "between 1 and 65535"),
    (["serve", "--port", "http"], "not an integer"),
    (["serve", "--host", "a b"], "not an address"),
    (["serve", "--public-url", "javascript:alert(1)"], "expected http"),
    (["serve", "--max-drills", "0"], "between 1 and 200"),
    (["facilitate", "--token", "nonsense"], "DRILL_ID=TOKEN"),
    (["facilitate", "--token", "0123abcd=short"], "DRILL_ID=TOKEN"),
    (["facilitate", "--key", "x"], "not a facilitator key"),
    (["play", "knightmare", "--team", "  "], "--team"),
    (["play", "knightmare", "--team", "x" * 61], "--team"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


async def test_serve_binds_loopback_only_and_each_tab_is_its_own_drill(serve):
    """Default host: only 127.0.0.1 listens, for the page and for every tab's channel. Two tabs
    are two drills (two processes, two registrations); the key opens both, nothing else does."""
    s = serve("knightmare", "--difficulty", "standard", "--seed", "11")
    assert "NOT LOOPBACK" not in s.output()
    assert listening(s.port) == {LOOPBACK}
    a = await start_tab(s.url, team="red")
    b = await start_tab(s.url, team="blue")
    try:
        drills = await wait_registered(2)
        assert {d["team"] for d in drills} == {"red", "blue"} and len({d["pid"] for d in drills}) == 2
        assert all(d["seed"] == 11 and d["difficulty"] == "standard" for d in drills)
        for d in drills:
            assert listening(d["port"]) == {LOOPBACK}
            assert s.key not in str(d) and token_for(s.key, d["id"]) not in str(d)
            with pytest.raises(ChannelError, match="token"):
                await request(d["port"], token_for("not the key of this serve", d["id"]), "status")
            with pytest.raises(ChannelError, match="token"):
                await request(d["port"], s.key, "status")  # the key itself is not a token
        wrong = Roster(keys=["a-key-of-the-right-shape-but-wrong"])
        wrong.refresh_registry()
        assert wrong.watched == {}
        right = Roster(keys=[s.key])
        right.refresh_registry()
        await right.poll()
        assert {w.team for w in right.watched.values()} == {"red", "blue"}
        assert {w.state for w in right.watched.values()} == {"live"}
        faulty = {tuple(w.status["faulty_servers"]) for w in right.watched.values()}
        assert len(faulty) == 1  # same scenario and seed: the same hidden fault for both teams
    finally:
        await a.close()
        await b.close()
    for _ in range(100):
        if not running_drills():
            break
        await asyncio.sleep(0.1)
    assert running_drills() == []


async def test_pages_from_elsewhere_cannot_open_a_drill(serve):
    """Cross-origin pages and DNS-rebinding hosts get 403; the page itself calls no third party."""
    import aiohttp

    s = serve()
    for origin in ("http://evil.example", "http://127.0.0.1:1", "null"):
        c = TabClient(s.url, origin=origin)
        with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
            await c.connect()
        assert exc.value.status == 403
    async with aiohttp.ClientSession() as session:
        async with session.get(f"ws://127.0.0.1:{s.port}/ws".replace("ws:", "http:"),
                               headers={"Host": f"rebound.example:{s.port}", "Upgrade": "websocket",
                                        "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                                        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}) as r:
            assert r.status == 403
        async with session.get(s.url + "/") as r:
            page = await r.text()
            assert r.status == 200 and r.headers["X-Frame-Options"] == "DENY"
    urls = set(re.findall(r"(?:https?|wss?)://[^\"'\s)]+", page))
    assert urls and all(u.startswith((s.url, f"ws://127.0.0.1:{s.port}")) for u in urls), urls
    assert running_drills() == []


@pytest.mark.slow
def test_a_non_loopback_bind_is_announced(tmp_path, data_dir):
    """Binding all addresses is allowed when asked for, and the first thing printed says so."""
    port = free_port()
    p = subprocess.Popen([sys.executable, "-m", "drill", "serve", "--host", "0.0.0.0", "--port", str(port)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
                         env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    try:
        first = [p.stdout.readline() for _ in range(3)]
    finally:
        p.terminate()
        p.wait(15)
    assert first[0].startswith("!!!!") and "NOT LOOPBACK" in first[1] and "0.0.0.0" in first[1]


async def test_tabs_beyond_max_drills_are_turned_away(serve):
    import aiohttp

    s = serve("knightmare", "--max-drills", "1")
    first = TabClient(s.url)
    await first.connect()
    try:
        await first.wait_for("Team", timeout=30)
        second = TabClient(s.url)
        with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
            await second.connect()
        assert exc.value.status == 503
    finally:
        await first.close()


def test_a_port_in_use_is_one_line_before_any_key_is_printed(capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "cannot listen on 127.0.0.1" in err and len(err.strip().splitlines()) == 1
