"""A ranked game day in real Chromium (headless, the system's): a facilitator's pause holds
against the trainee's space, a reload re-attaches to the same drill (same journal, same clock),
and an injected call reaches the trainee as a call, not as a command line.

xterm.js draws on a canvas, so what the trainee's screen shows is read from the websocket frames
the browser itself received (its terminal's bytes, escape sequences removed), and the screenshots
are kept (DRILL_SCREENSHOT_DIR, if set, gets a copy) for a person to look at."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from drill.gameday.roster import Roster
from drill.gameday.webclient import plain
from drill.timefmt import parse_clock

from .conftest import wait_registered
from .test_browser import ARGS, CHROMIUM, until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
]


class Screen:
    """Everything the page's websockets received, as text."""

    def __init__(self, page) -> None:
        self.data = bytearray()
        self.sockets = 0
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        self.sockets += 1
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        if isinstance(payload, bytes):
            self.data += payload

    def mark(self) -> int:
        return len(self.data)

    def text(self, since: int = 0) -> str:
        return plain(bytes(self.data[since:]))

    async def wait_for(self, needle: str, since: int = 0, timeout: float = 60) -> None:
        await until(lambda: needle in self.text(since), timeout, f"{needle!r} on the trainee's screen")


async def status(roster: Roster, drill_id: str) -> dict:
    await roster.poll()
    return roster.watched[drill_id].status


def keep(shots: Path) -> None:
    if os.environ.get("DRILL_SCREENSHOT_DIR"):
        out = Path(os.environ["DRILL_SCREENSHOT_DIR"])
        out.mkdir(parents=True, exist_ok=True)
        for f in shots.iterdir():
            shutil.copy(f, out / f.name)


async def test_a_ranked_game_day_in_a_browser(tmp_path, data_dir, serve):
    from playwright.async_api import async_playwright

    s = serve("knightmare", "--seed", "4", "--speed", "5", "--ranked", "--grace", "60")
    args = ARGS + (["--no-sandbox"] if os.geteuid() == 0 else [])
    shots = tmp_path / "screenshots"
    shots.mkdir()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, args=args, headless=True,
            viewport={"width": 1280, "height": 800})
        try:
            page = await browser.new_page()
            screen = Screen(page)
            await page.goto(s.url + "/", wait_until="domcontentloaded")
            await page.wait_for_selector("body.-first-byte", timeout=60_000)
            await screen.wait_for("Team")
            # No click: the terminal has focus on load, so the first keys are not lost.
            await page.keyboard.type("[/x] red")
            await screen.wait_for("[/x] red")
            await page.keyboard.press("Enter")
            await screen.wait_for("Esc back")
            m = screen.mark()
            await page.keyboard.press("Enter")
            await screen.wait_for("smars", since=m)
            [drill] = await wait_registered(1)
            assert drill["team"] == "[/x] red"
            roster = Roster(keys=[s.key])
            roster.refresh_registry()
            did = drill["id"]
            await page.screenshot(path=str(shots / "gameday-1-console.png"))

            # Ranked: the trainee's space does not pause; the facilitator's pause holds against it.
            await page.keyboard.press("Space")
            await asyncio.sleep(1.0)
            assert not (await status(roster, did))["paused"]
            await roster.command(did, "pause")
            paused_at = (await status(roster, did))["clock"]
            await page.keyboard.press("Space")
            await asyncio.sleep(2.0)
            st = await status(roster, did)
            assert st["paused"] and st["clock"] == paused_at
            await page.screenshot(path=str(shots / "gameday-2-paused.png"))
            await roster.command(did, "resume")

            # An injected call shows as a call, and the inject is no line in the action log.
            m = screen.mark()
            await roster.command(did, "inject nyse-call")
            await screen.wait_for("Calls 1", since=m)  # the Calls tab counts one unread call
            await page.keyboard.press("5")  # the Calls tab
            await screen.wait_for("NYSE market operations", since=m)
            await asyncio.sleep(1.0)
            assert "inject" not in screen.text(m)
            await page.screenshot(path=str(shots / "gameday-3-call.png"))

            # A reload re-attaches: the same drill, the same journal, the same (running) clock.
            before = parse_clock((await status(roster, did))["clock"])
            journals = sorted((data_dir / "journals").glob("*.jsonl"))
            m = screen.mark()
            await page.reload(wait_until="domcontentloaded")
            await screen.wait_for("smars", since=m)
            await asyncio.sleep(1.0)
            await page.screenshot(path=str(shots / "gameday-4-reloaded.png"))
            assert screen.sockets == 2
            [again] = await wait_registered(1)
            assert again["id"] == did and again["pid"] == drill["pid"]
            assert sorted((data_dir / "journals").glob("*.jsonl")) == journals
            assert parse_clock((await status(roster, did))["clock"]) > before
            assert '"end"' not in journals[0].read_text()
        finally:
            await browser.close()
    keep(shots)
