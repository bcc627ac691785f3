"""Pre-started tabs (drill serve --pool): a tab whose app is at its picker, its drill built (and
not begun), before its browser comes; the browser brought up to date, the drill journaled from
the trainee's start, the pool refilled within --max-drills."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from drill.gameday.webclient import TabClient
from tests.gameday.conftest import start_tab, wait_registered

POOL_FULL = "tabs pre-started, waiting for their browsers"


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tab_processes(serve_pid: int) -> set[int]:
    """The tabs forked by serve's warm process (not its cache warmer, which runs at nice 10)."""
    procs = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                procs[int(d.name)] = (_stat(int(d.name)), (d / "cmdline").read_bytes())
            except (OSError, IndexError):
                continue
    warm = {pid for pid, (stat, cmd) in procs.items() if int(stat[1]) == serve_pid and b"drill.gameday.warm" in cmd}
    return {
        pid
        for pid, (stat, cmd) in procs.items()
        if int(stat[1]) in warm and b"drill.gameday.warm" in cmd and int(stat[16]) == 0
    }


async def test_a_pre_started_tab_is_the_one_its_browser_plays_and_the_pool_refills(serve, data_dir):
    s = serve("knightmare", "--pool", "1", "--max-drills", "3")
    await s.output_with(POOL_FULL, timeout=90)
    before = tab_processes(s.proc.pid)
    assert len(before) == 1, before
    await asyncio.sleep(2)  # the pooled tab waits: its drill is built, and has not begun
    journals = data_dir / "journals"
    assert not journals.exists() or not list(journals.iterdir()), "a pooled tab's drill is journaled once it begins"
    opened = datetime.now(UTC).replace(microsecond=0)

    client = await start_tab(s.url, "red")
    try:
        (drill,) = await wait_registered(1)
        assert drill["pid"] in before, "the drill plays in the tab started before its browser came"
        (journal,) = journals.iterdir()
        header = json.loads(journal.read_text().splitlines()[0])
        assert datetime.fromisoformat(header["written"]) >= opened, "its journal begins when the trainee starts"
        assert "\x1b[?1049h" in client.received.decode("utf-8", "replace"), (
            "the browser got the app's terminal modes (the alternate screen), set before it came"
        )
        text = await s.output_with(f"{POOL_FULL}(.|\\n)*{POOL_FULL}", timeout=90)
        assert text.count(POOL_FULL) == 2, "the pool refilled once the browser had taken its tab"
        assert len(tab_processes(s.proc.pid) - before) == 1
    finally:
        await client.close()


async def test_the_pool_stays_within_max_drills(serve):
    s = serve("knightmare", "--pool", "3", "--max-drills", "1")
    await s.output_with("1 tabs pre-started", timeout=90)
    assert len(tab_processes(s.proc.pid)) == 1, "a pool of 3 within --max-drills 1 is one tab"
    client = TabClient(s.url)
    await client.connect()
    try:
        await client.wait_for("Team", timeout=30)
        await asyncio.sleep(5)  # more than the refill's quiet period
        assert len(tab_processes(s.proc.pid)) == 1, "no tab is pre-started beyond --max-drills"
    finally:
        await client.close()


async def test_a_browser_at_the_pools_own_size_gets_the_whole_picker(serve):
    """Serve greets a browser with a resize to its size for a full redraw: a browser whose terminal
    is the pool's own 120x36 (a resize to the size the app has) still gets the whole picker, its
    title too, not only what changes after it came (the Team field)."""
    s = serve("knightmare", "--pool", "1", "--max-drills", "2")
    await s.output_with(POOL_FULL, timeout=90)
    client = TabClient(s.url, 120, 36)
    await client.connect()
    try:
        await client.wait_for("choose a drill", timeout=30)
    finally:
        await client.close()
