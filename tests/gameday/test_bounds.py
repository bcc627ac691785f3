"""`drill serve` bounded in every direction (issue 11 part 2, issue 12's serve side): sizes
clamped, a gone tab's process ended within seconds, SIGTERM obeyed, malformed messages one line
each (never a traceback), message sizes and rates limited, idle channel connections closed, the
Host and Origin checks held with --public-url, and a slot held only by a tab that is there."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import pytest

from drill.gameday.protocol import Bucket, host_refusal
from drill.gameday.tabs import MAX_COLS, MAX_ROWS, MIN_COLS, MIN_ROWS, clamp_size
from drill.gameday.webclient import TabClient
from drill.hosting.channel import ChannelServer, request, running_drills

from .conftest import start_tab, wait_registered


def test_sizes_are_clamped_before_the_app_sees_them():
    assert clamp_size(20000, 10000) == (MAX_COLS, MAX_ROWS)
    assert clamp_size(0, -5) == (MIN_COLS, MIN_ROWS)
    assert clamp_size("120", "36") == (120, 36)
    assert clamp_size(120.7, 36.2) == (120, 36)
    for bad in (None, "wide", [1], {"a": 1}, True, float("nan"), 1e300):
        assert clamp_size(bad, bad) == (80, 24)


def test_host_and_origin_with_a_public_url():
    public = "https://drill.example.org"
    assert host_refusal("0.0.0.0", public, "drill.example.org", "https://drill.example.org") is None
    assert host_refusal("0.0.0.0", public, "drill.example.org:443", None) is None
    # An attacker's page that sets both headers to its own name gets nothing.
    assert host_refusal("0.0.0.0", public, "evil.example", "https://evil.example") == "unexpected Host"
    assert host_refusal("0.0.0.0", public, "drill.example.org", "https://evil.example")
    assert host_refusal("0.0.0.0", public, "drill.example.org", "http://drill.example.org")  # scheme too
    assert host_refusal("127.0.0.1", public, "127.0.0.1:8000", None) == "unexpected Host"
    # Without one: loopback names on loopback, and the Origin must be the Host.
    assert host_refusal("127.0.0.1", None, "localhost:8000", "http://localhost:8000") is None
    assert host_refusal("127.0.0.1", None, "rebound.example:8000", None) == "unexpected Host"
    assert host_refusal("127.0.0.1", None, "127.0.0.1:8000", "http://127.0.0.1:1")


def test_the_rate_limit_allows_a_burst_then_refuses():
    now = [0.0]
    b = Bucket(rate=10, burst=20, now=lambda: now[0])
    assert all(b.take() for _ in range(20))
    assert not b.take()
    now[0] += 1.0
    assert sum(b.take() for _ in range(20)) == 10


def _children(pid: int) -> set[int]:
    out = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.add(int(d.name))
            except (OSError, IndexError, ValueError):
                continue
    return out


def tab_pids(serve_pid: int) -> set[int]:
    """The tab processes of a `drill serve`: the warm process's children that are tabs."""
    pids = set()
    for child in _children(serve_pid):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"drill.gameday.warm" in argv:
            for tab in _children(child):
                try:
                    forked = b"drill.gameday.warm" in Path(f"/proc/{tab}/cmdline").read_bytes()
                    nice = int(Path(f"/proc/{tab}/stat").read_text().rsplit(")", 1)[1].split()[16])
                except (OSError, IndexError, ValueError):
                    continue
                if forked and nice == 0:  # (the debrief-cache warmer is forked too, at nice 10)
                    pids.add(tab)
        elif b"drill.gameday.served" in argv:
            pids.add(child)
    return pids


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def gone_within(pids: set[int], seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not any(alive(p) for p in pids):
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.mark.slow
async def test_hostile_messages_are_one_line_each_and_the_tab_plays_on(serve):
    s = serve("knightmare")
    c = TabClient(s.url)
    await c.connect()
    try:
        await c.wait_for("Team", timeout=60)
        ws = c._ws
        await ws.send_json(["resize", {"width": 20000, "height": 10000}])
        for raw in ("not json", "[]", "[1]", '["resize", "x"]', '["stdin", 5]', '["bogus", 1]', "{}",
                    '["resize", {"width": "1e9", "height": null}]'):
            await ws.send_str(raw)
        await ws.send_bytes(b"\x00\x01")
        m = c.mark()
        await c.type("[/x]")  # markup as a team name, typed into the served tab
        await c.wait_for(r"\[/x\]", since=m, timeout=60)
        [pid] = tab_pids(s.proc.pid)
        rss_kb = int(next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                          if line.startswith("VmRSS")))
        assert rss_kb < 400_000  # a 20000x10000 screen took 878 MB
    finally:
        await c.close()
    assert await gone_within({pid}, 15), "the tab's process outlived its tab"
    out = s.output()
    assert "Traceback" not in out and "locals" not in out
    warnings = [line for line in out.splitlines() if line.startswith("drill serve: tab ")]
    assert 5 <= len(warnings) <= 6, out  # five logged, then quiet (the last says so)
    assert any("not JSON" in w for w in warnings) and "not logged" in warnings[4]

    # A message beyond the size limit closes that connection, with one line.
    big = TabClient(s.url)
    await big.connect()
    try:
        await big.wait_for("Team", timeout=60)
        await big._ws.send_str(json.dumps(["stdin", "x" * 200_000]))
        await asyncio.wait_for(big.closed.wait(), 30)
    finally:
        await big.close()
    out = await s.output_with("larger than|websocket error")
    assert "larger than" in out or "websocket error" in out
    assert "Traceback" not in out


@pytest.mark.slow
async def test_a_flood_of_messages_closes_the_connection(serve):
    s = serve("knightmare")
    c = TabClient(s.url)
    await c.connect()
    try:
        await c.wait_for("Team", timeout=60)
        for _ in range(3000):
            if c.closed.is_set():
                break
            await c._ws.send_str('["ping", "1"]')
        await asyncio.wait_for(c.closed.wait(), 30)
    finally:
        await c.close()
    assert "messages a second; closing" in s.output()


@pytest.mark.slow
async def test_a_tab_that_is_gone_ends_its_drill_within_seconds_and_sigterm_ends_a_drill(serve, data_dir):
    s = serve("knightmare", "--seed", "3")
    a = await start_tab(s.url, team="red")
    b = await start_tab(s.url, team="blue")
    drills = await wait_registered(2)
    by_team = {d["team"]: d["pid"] for d in drills}
    # A huge resize, then the tab closes: the drill process used to block on its output forever.
    await a._ws.send_json(["resize", {"width": 2000, "height": 1000}])
    await asyncio.sleep(0.5)
    await a.close()
    assert await gone_within({by_team["red"]}, 15)
    # SIGTERM from anyone ends a drill too (and it is recorded as abandoned).
    os.kill(by_team["blue"], signal.SIGTERM)
    assert await gone_within({by_team["blue"]}, 15)
    await b.close()
    assert running_drills() == []
    ends = []
    for f in (data_dir / "journals").glob("*.jsonl"):
        ends += [json.loads(x) for x in f.read_text().splitlines() if '"end"' in x]
    assert len(ends) == 2


@pytest.mark.slow
async def test_an_opened_and_closed_websocket_holds_no_slot(serve):
    s = serve("knightmare", "--max-drills", "1")
    for _ in range(3):
        c = TabClient(s.url)
        await c.connect()
        await c.close()
    last = TabClient(s.url)
    await last.connect()  # not turned away: the slot went with the socket
    try:
        await last.wait_for("Team", timeout=60)
    finally:
        await last.close()


@pytest.mark.slow
async def test_with_a_public_url_only_the_public_host_is_served(serve):
    import aiohttp

    from .conftest import free_port

    port = free_port()
    public = f"http://drill.example.org:{port}"
    s = serve("knightmare", "--public-url", public, port=port)
    ws_url = f"ws://127.0.0.1:{s.port}/ws"
    async with aiohttp.ClientSession() as session:
        for host, origin in ((f"evil.example:{port}", f"http://evil.example:{port}"),
                             (f"127.0.0.1:{port}", None),
                             (f"drill.example.org:{port}", "http://evil.example")):
            headers = {"Host": host, **({"Origin": origin} if origin else {})}
            with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
                await session.ws_connect(ws_url, headers=headers)
            assert exc.value.status == 403, (host, origin)
        ws = await session.ws_connect(ws_url, headers={"Host": f"drill.example.org:{port}", "Origin": public})
        await ws.close()


async def test_idle_channel_connections_are_closed_and_capped():
    class Truth:
        def truth(self) -> dict:
            return {"ok": 1}

        def facilitate(self, text: str) -> str:
            return "done"

    server = ChannelServer(Truth(), "a-token-of-sixteen-chars", idle_s=0.5, max_connections=4)
    port = await server.start()
    try:
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(4)]
        extra_r, extra_w = await asyncio.open_connection("127.0.0.1", port)
        assert b"too many" in await asyncio.wait_for(extra_r.readline(), 10)
        extra_w.close()
        for r, _ in idle:  # each closed by the server once idle
            assert await asyncio.wait_for(r.read(), 10) == b""
        for _, w in idle:
            w.close()
        assert (await request(port, "a-token-of-sixteen-chars", "status"))["status"] == {"ok": 1}
    finally:
        await server.close()


def _processes_with(marker: bytes) -> list[int]:
    """Live processes whose environment holds `marker` (this test's data directory)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                if marker in (d / "environ").read_bytes() and alive(int(d.name)):
                    out.append(int(d.name))
            except OSError:
                continue
    return out


@pytest.mark.slow
async def test_nothing_serve_started_outlives_it(serve, data_dir):
    """The warm process, the tabs it forked, the debrief cache warmer and its pool's workers all
    end with serve (a pool worker once outlived its warmer, blocked on its queue for good). The
    cache starts empty, so the warmer and its pool are at work when serve stops."""
    s = serve("knightmare", cold_cache=True)
    tab = await start_tab(s.url, team="red")
    marker = f"DRILL_DATA_DIR={data_dir}".encode()
    assert len(_processes_with(marker)) >= 3  # serve, the warm process, the tab (and the warmer)
    await tab.close()
    s.stop()
    for _ in range(300):
        if not _processes_with(marker):
            break
        await asyncio.sleep(0.1)
    assert _processes_with(marker) == []


@pytest.mark.slow
async def test_a_message_of_nested_brackets_is_one_line_and_the_tab_plays_on(serve):
    # Within the size limit, 20,000 nested brackets make json.loads raise RecursionError, not
    # ValueError: it escaped the message handler and closed the tab's connection.
    s = serve("knightmare")
    c = TabClient(s.url)
    await c.connect()
    try:
        await c.wait_for("Team", timeout=60)
        await c._ws.send_str("[" * 20_000)
        m = c.mark()
        await c.type("nested")
        await c.wait_for("nested", since=m, timeout=60)
    finally:
        await c.close()
    out = s.output()
    assert "Traceback" not in out and "RecursionError" not in out, out
    assert any(line.startswith("drill serve: tab ") and "not JSON" in line for line in out.splitlines()), out


@pytest.mark.slow
async def test_a_flood_of_typed_bytes_closes_the_connection(serve):
    # Within both other limits (messages under 64 KB, fewer than 200 a second), megabytes of
    # "keystrokes" kept a tab's drill busy for minutes on a shared machine: what a tab types is
    # limited in bytes a second too (a paste of a few KB is nothing to it).
    s = serve("knightmare")
    c = TabClient(s.url)
    await c.connect()
    try:
        await c.wait_for("Team", timeout=60)
        for _ in range(40):  # 2.4 MB at once
            if c.closed.is_set():
                break
            await c._ws.send_json(["stdin", "x" * 60_000])
            await asyncio.sleep(0.01)
        await asyncio.wait_for(c.closed.wait(), 30)
    finally:
        await c.close()
    out = await s.output_with("of input a second")
    assert "of input a second; closing" in out and "Traceback" not in out
