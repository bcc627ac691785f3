"""A console hosts its drill's facilitator channel: registered without the token, refused without
it, journaled and replayed with it, gone from the registry when the console exits."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import pytest

from drill import results
from drill.hosting.channel import LOOPBACK, ChannelError, registry_dir, request, running_drills
from drill.hosting.hosted import Facilitation, fingerprint, token_for
from drill.session.replay import replay
from drill.timefmt import parse_clock
from drill.tui.app import DrillApp
from drill.tui.screens.debrief import DebriefScreen

from .conftest import listening


class FakeWall:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def make_app(tmp_path, wall, **kwargs) -> DrillApp:
    kwargs.setdefault("facilitation", Facilitation.fresh())
    kwargs.setdefault("counterfactuals", False)  # the debrief's re-simulations are not under test here
    return DrillApp("knightmare", "standard", None, 10.0, str(tmp_path / "journal.jsonl"), True,
                    start_at="09:31:00", wall=wall, blink=False, **kwargs)


async def hosted(app: DrillApp, pilot) -> int:
    for _ in range(200):
        if app.hosted is not None and app.hosted.port:
            return app.hosted.port
        await pilot.pause(0.01)
    raise AssertionError("the channel did not open")


def every_file_text(root) -> str:
    """Everything drill wrote under `root`, as text (SQLite read row by row, not as pages)."""
    out = []
    for f in sorted(root.rglob("*")):
        if f.is_file() and f.suffix == ".sqlite":
            con = sqlite3.connect(f)
            out += [repr(row) for row in con.execute("SELECT * FROM results")]
            con.close()
        elif f.is_file():
            out.append(f.read_bytes().decode("utf-8", "replace"))
    return "\n".join(out)


async def test_the_console_hosts_a_loopback_channel_registered_without_its_token(tmp_path, data_dir):
    """The drill registers id, port, scenario and team; only the token opens it; exit unregisters."""
    fac = Facilitation.fresh()
    app = make_app(tmp_path, FakeWall(), facilitation=fac, team="red")
    async with app.run_test(size=(120, 36)) as pilot:
        port = await hosted(app, pilot)
        assert listening(port) == {LOOPBACK}
        [entry] = running_drills()
        assert entry["id"] == fac.drill_id and entry["port"] == port and entry["team"] == "red"
        assert (entry["scenario"], entry["difficulty"]) == ("knightmare", "standard")
        assert fac.token not in (registry_dir() / f"{fac.drill_id}.json").read_text()
        for wrong in ("", "x" * 24, fac.token[:-1], fac.token + "x"):
            with pytest.raises(ChannelError, match="token"):
                await request(port, wrong, "status")
        with pytest.raises(ChannelError, match="token"):
            await request(port, fac.token.upper(), "command", command="pause")
        assert app.drill.session.snapshot().actions == ()  # the refused pause never reached it
        status = (await request(port, fac.token, "status"))["status"]
        assert status["drill_id"] == fac.drill_id and status["team"] == "red"
        assert status["faulty_servers"] == ["smars-8"]
        assert status["screen"]["clock"] == "09:31:00"  # what the trainee's screen shows
        await pilot.press("ctrl+q")
        await pilot.press("y")
    assert running_drills() == [] and not list(registry_dir().glob("*.json"))
    with pytest.raises(OSError):
        await request(port, fac.token, "status", timeout=2)


async def test_a_facilitators_injection_reaches_the_console_and_the_replay_reproduces_it(tmp_path, data_dir):
    """Through the channel: inject the second fault, push a hint, change the speed. The console
    shows them, the journal holds them (by the facilitator), replay reproduces the drill, the
    result carries the team, and the token is nowhere on disk."""
    fac = Facilitation.fresh()
    wall = FakeWall()
    app = make_app(tmp_path, wall, facilitation=fac, team="blue team")
    async with app.run_test(size=(120, 36)) as pilot:
        port = await hosted(app, pilot)
        console = app.console_screen
        console.submit_command("stop smars-8")
        console.step(9 * 60_000)  # 09:40: contained
        assert console.snap.phase in ("contained", "recovered")
        r = await request(port, fac.token, "command", command="inject second-fault")
        assert "smars-3" in r["result"]
        await request(port, fac.token, "command", command="push-hint Look at the fleet again")
        await request(port, fac.token, "command", command="speed 30")
        await pilot.pause()
        assert app.drill.clock.speed == 30
        assert any("fleet again" in m.body for m in console.snap.inbox)  # shown at once, though paused
        console.step(5 * 60_000)
        assert console.snap.phase == "incident"  # the second fault re-opened it
        status = (await request(port, fac.token, "status"))["status"]
        assert [c["by"] for c in status["commands"]] == ["trainee", "facilitator", "facilitator", "facilitator"]
        assert status["true_loss_usd"] > 0
        with pytest.raises(ChannelError, match="facilitator steers"):
            await request(port, fac.token, "command", command="stop smars-3")
        console.submit_command("resolve")
        for _ in range(600):
            if isinstance(app.screen, DebriefScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, DebriefScreen)
        status = (await request(port, fac.token, "status"))["status"]
        assert status["finished"] and status["outcome"]["contained"] is False
        assert status["journal"] == str(tmp_path / "journal.jsonl")
        await pilot.press("q")
    journal = tmp_path / "journal.jsonl"
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    by_facilitator = [r["command"] for r in records if r["type"] == "command" and r.get("by") == "facilitator"]
    assert by_facilitator == ["inject second-fault", "push-hint Look at the fleet again", "speed 30"]
    report = replay(journal)
    assert report.ok, report.divergence
    assert report.outcome.contained is False
    [entry] = results.entries()
    assert entry.team == "blue team" and entry.id == app.result_id and not entry.contained
    assert fac.token not in every_file_text(data_dir) + journal.read_text()


async def test_a_facilitator_command_never_waits_behind_a_resolve(tmp_path):
    """While the trainee's resolve simulates on in a thread (holding the drill), status answers
    with the last truth marked busy and commands are refused, so the console never freezes."""
    fac = Facilitation.fresh()
    app = make_app(tmp_path, FakeWall(), facilitation=fac)
    async with app.run_test(size=(120, 36)) as pilot:
        port = await hosted(app, pilot)
        await request(port, fac.token, "status")
        held, done = threading.Event(), threading.Event()

        def resolve_in_a_thread():  # what the console's resolve worker does
            with app.drill.lock:
                held.set()
                done.wait(10)

        worker = threading.Thread(target=resolve_in_a_thread)
        worker.start()
        held.wait(5)
        try:
            status = (await request(port, fac.token, "status", timeout=2))["status"]
            assert status["busy"] is True and status["faulty_servers"] == ["smars-8"]
            with pytest.raises(ChannelError, match="busy"):
                await request(port, fac.token, "command", command="pause", timeout=2)
        finally:
            done.set()
            worker.join()
        status = (await request(port, fac.token, "status", timeout=2))["status"]
        assert status["busy"] is False
        await pilot.press("ctrl+q")
        await pilot.press("y")


def test_served_tokens_come_from_the_key_and_differ_per_drill():
    key = "k" * 24
    a, b = Facilitation.served(key), Facilitation.served(key)
    assert a.drill_id != b.drill_id and a.token != b.token
    assert a.token == token_for(key, a.drill_id) and len(a.token) >= 24
    assert a.served_by == fingerprint(key) and key not in a.served_by and a.token not in repr(a)
    assert token_for("another key of some length", a.drill_id) != a.token
    assert len({Facilitation.fresh().token for _ in range(50)}) == 50


async def test_the_probe_reports_loop_lag_and_frames(tmp_path):
    fac = Facilitation.fresh()
    app = DrillApp("knightmare", "standard", None, 1.0, str(tmp_path / "j.jsonl"), False, start_at="09:29:00",
                   blink=False, facilitation=fac, counterfactuals=False)
    async with app.run_test(size=(120, 36)) as pilot:
        port = await hosted(app, pilot)
        # Wait for the samples rather than a fixed time: a loaded machine runs fewer of them.
        for _ in range(600):
            health = (await request(port, fac.token, "status"))["status"]["health"]
            if health["samples"] >= 10 and health.get("frames_per_s", 0) > 5:
                break
            await asyncio.sleep(0.1)
        assert health["samples"] >= 10 and health["frames_per_s"] > 5
        assert 0 <= health["lag_p50_ms"] <= health["lag_p99_ms"] <= health["lag_max_ms"]
        await pilot.press("ctrl+q")
        await pilot.press("y")
    assert parse_clock(app.drill.outcome().ended_at) >= parse_clock("09:29:00")
