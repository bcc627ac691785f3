"""Two browser tabs work one served drill (real Chromium, headless, the system's): the first tab of
team blue starts it and owns it (the commander); a second tab of blue joins it as an operator
instead of starting another. The operator's `stop` shows on the commander's console, a
commander-only command is refused for the operator with a message, and the journal names both.

What each tab shows is read from the websocket frames its page received (xterm.js draws on a
canvas); screenshots are kept (DRILL_SCREENSHOT_DIR, if set, gets a copy) for a person to look at."""

from __future__ import annotations

import json
import os
import time

import pytest

from tests.gameday.conftest import wait_registered
from tests.gameday.test_browser import ARGS, CHROMIUM
from tests.gameday.test_browser_gameday import Screen, keep

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
]


async def open_tab(browser, url: str, team: str):
    page = await browser.new_page()
    screen = Screen(page)
    await page.goto(url + "/", wait_until="domcontentloaded")
    await page.wait_for_selector("body.-first-byte", timeout=60_000)
    await screen.wait_for("Team")
    await page.keyboard.type(team)  # the terminal has focus on load
    await screen.wait_for(team)
    await page.keyboard.press("Enter")
    return page, screen


async def command(page, text: str) -> None:
    await page.keyboard.press(":")
    await page.keyboard.type(text)
    await page.keyboard.press("Enter")


async def test_two_tabs_work_one_drill_as_commander_and_operator(tmp_path, data_dir, serve):
    from playwright.async_api import async_playwright

    s = serve("knightmare", "--difficulty", "standard", "--seed", "4", "--grace", "60")
    args = ARGS + (["--no-sandbox"] if os.geteuid() == 0 else [])
    shots = tmp_path / "screenshots"
    shots.mkdir()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            args=args,
            headless=True,
            viewport={"width": 1280, "height": 800},
        )
        try:
            # The commander: the team's first tab starts the drill.
            lead, lead_screen = await open_tab(browser, s.url, "blue")
            await lead_screen.wait_for("Esc back")
            m = lead_screen.mark()
            await lead.keyboard.press("Enter")
            await lead_screen.wait_for("smars", since=m)
            [drill] = await wait_registered(1)
            assert drill["team"] == "blue" and drill["crew"] is True

            # The operator: the team's second tab joins that drill instead of starting its own.
            op, op_screen = await open_tab(browser, s.url, "blue")
            await op_screen.wait_for("Join the drill")
            await op.keyboard.type("Ann")
            await op.keyboard.press("Enter")
            await op.keyboard.press("ArrowDown")  # commander, operator, communications
            await op.keyboard.press("Enter")
            await op_screen.wait_for("Joined as Ann (operator)", timeout=90)
            await op.screenshot(path=str(shots / "crew-1-operator-joined.png"))
            assert len(await wait_registered(1)) == 1  # still one drill

            # The operator's stop reaches the commander's console.
            await op.keyboard.press(":")
            await op.keyboard.type("stop smars-8")
            await op_screen.wait_for("stop smars-8")  # typed: what is timed is from its Enter on
            m = lead_screen.mark()
            sent = time.monotonic()
            await op.keyboard.press("Enter")
            await lead_screen.wait_for("Ann (operator)", since=m, timeout=30)
            shown_after = time.monotonic() - sent
            print(f"the operator's stop on the commander's console {shown_after:.2f} s after the operator's Enter")
            await op_screen.wait_for("stop smars-8: started", timeout=30)
            await lead.screenshot(path=str(shots / "crew-2-commander-sees-the-stop.png"))

            # A commander-only command is refused for the operator, with a message, and not given.
            m = op_screen.mark()
            await command(op, "stop-all")
            await op_screen.wait_for("only the commander may give it", since=m, timeout=30)
            await op.screenshot(path=str(shots / "crew-3-operator-refused.png"))

            # The commander gives one of their own: from now on named too.
            await lead.keyboard.press(":")
            await lead.keyboard.type("inspect smars-1")
            await lead_screen.wait_for("inspect smars-1")
            m = lead_screen.mark()
            sent = time.monotonic()
            await lead.keyboard.press("Enter")
            await lead_screen.wait_for("blue (commander)", since=m, timeout=30)
            own = time.monotonic() - sent
            print(f"the commander's own command on their console {own:.2f} s after their Enter (the floor)")
            await lead.screenshot(path=str(shots / "crew-4-commander-named.png"))

            [journal] = sorted((data_dir / "journals").glob("*.jsonl"))
            commands = [json.loads(x) for x in journal.read_text().splitlines()]
            commands = [c for c in commands if c["type"] == "command"]
            assert [(c["command"], c.get("member"), c.get("role")) for c in commands] == [
                ("stop smars-8", "Ann", "operator"),
                ("inspect smars-1", "blue", "commander"),
            ]
            # Generous for a machine shared by many: the figure printed above is the measure.
            assert shown_after < 10
        finally:
            for i, page in enumerate(browser.pages):  # what each tab showed last, passed or failed
                await page.screenshot(path=str(shots / f"crew-last-tab-{i}.png"))
            await browser.close()
            keep(shots)
