"""Issue 15, what it must show: two `drill serve` processes (two hosts: different ports and data
directories) and one facilitator against one PostgreSQL. The facilitator lists the drills of both,
pauses one on each, pushes a hint to one, and ranks both hosts' teams on one live board."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from drill.store import locate
from tests.gameday.conftest import ROOT, ServeProcess, copy_entries, start_tab



def _host(tmp_path, name: str, url: str, served_cache: Path) -> ServeProcess:
    """A `drill serve` standing in for one host: its own working and data directories (its debrief
    cache as warm as the other served tests', tests/gameday/conftest.py)."""
    base = tmp_path / name
    (base / "cwd").mkdir(parents=True)
    (base / "home").mkdir()
    copy_entries(served_cache, base / "data" / "cache" / "debrief")
    env = {**os.environ, "DRILL_DATA_DIR": str(base / "data"), "HOME": str(base / "home"), "PYTHONPATH": str(ROOT)}
    env.pop("DRILL_RESULTS_URL", None)
    s = ServeProcess(["knightmare", "--results", url], env, base / "cwd")
    s.wait_ready(timeout=60)
    return s


async def _poll_until(roster, check, timeout: float = 60.0):
    end = time.monotonic() + timeout
    while True:
        await roster.poll()
        if check():
            return
        if time.monotonic() > end:
            raise AssertionError(f"not reached in {timeout}s: {[(w.drill_id, w.state, w.status and w.status.get('paused')) for w in roster.attached()]}")
        await asyncio.sleep(0.3)


async def test_two_serve_hosts_and_one_facilitator_share_one_postgres(tmp_path, postgres, served_cache):
    from drill.gameday.roster import Roster

    url = postgres.database()
    hosts = [_host(tmp_path, "host-a", url, served_cache), _host(tmp_path, "host-b", url, served_cache)]
    tabs = []
    try:
        assert "postgresql://drill:***@127.0.0.1" in hosts[0].output() and postgres.password not in hosts[0].output()
        tabs = [await start_tab(hosts[0].url, team="red"), await start_tab(hosts[1].url, team="blue")]
        roster = Roster(keys=[h.key for h in hosts], store=locate(url))
        await _poll_until(roster, lambda: len([w for w in roster.attached() if w.status]) == 2)
        by_team = {w.team: w for w in roster.attached()}
        assert set(by_team) == {"red", "blue"}
        assert by_team["red"].info["served_by"] != by_team["blue"].info["served_by"]  # one drill from each host
        # Steer a drill on each host through the database.
        for team in ("red", "blue"):
            answer = await roster.command(by_team[team].drill_id, "pause")
            assert "pause" in answer.lower(), answer
        await roster.command(by_team["blue"].drill_id, "push-hint check the stale server")
        hinted = lambda: any(c["by"] == "facilitator" and c["command"].startswith("push-hint")  # noqa: E731
                             for c in by_team["blue"].status.get("commands", []))
        await _poll_until(roster, lambda: all(w.status.get("paused") for w in roster.attached()) and hinted())
        assert not any(c["command"].startswith("push-hint") for c in by_team["red"].status.get("commands", []))
        # One live board ranks both hosts' teams.
        board = roster.standings()
        assert sorted(s.team for s in board) == ["blue", "red"] and len({s.board for s in board}) == 1
        assert sorted(s.rank for s in board) == [1, 2]
    finally:
        for c in tabs:
            await c.close()
        for h in hosts:
            h.stop()


@pytest.mark.parametrize("command", ["serve", "facilitate"])
def test_serve_and_facilitate_refuse_a_bad_results_url_in_one_line(tmp_path, command):
    import subprocess
    import sys

    for url, needle in (("postgresql://drill:pw-qq@127.0.0.1:1/db", "cannot connect"), ("mysql://x/y", "neither sqlite")):
        p = subprocess.run([sys.executable, "-m", "drill", command, "--results", url], capture_output=True, text=True,
                           cwd=tmp_path, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL)
        lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
        assert p.returncode == 2 and len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
        assert lines[0].startswith(f"drill {command}: --results: ") and needle in lines[0] and "pw-qq" not in p.stderr + p.stdout
    assert os.listdir(tmp_path) == []
