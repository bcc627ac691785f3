"""A real browser plays a served drill: headless Chromium opens `drill serve`'s page, types the
team and a command into the console, and the screenshot shows the command's result.

xterm.js draws on a canvas, so the page holds no text to assert on: the test checks that the
command reached the drill (its journal, through the browser's keystrokes), that the action log's
region of the screenshot changed, and keeps the screenshots (DRILL_SCREENSHOT_DIR, if set, gets a
copy) for a person to look at. Chromium comes from the system (`apt-get install chromium`); only its
absence skips the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from drill.gameday.roster import Roster

from .conftest import wait_registered

CHROMIUM = os.environ.get("DRILL_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
]


def journal_records(data_dir: Path) -> list[dict]:
    out = []
    for f in sorted((data_dir / "journals").glob("*.jsonl")):
        out += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return out


async def until(condition, timeout: float = 30.0, what: str = "") -> None:
    for _ in range(int(timeout / 0.1)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not in {timeout}s: {what}")


def changed_fraction(before: Path, after: Path, box: tuple[float, float, float, float]) -> float:
    """Share of pixels that differ between two screenshots inside `box` (fractions of the size)."""
    from PIL import Image, ImageChops

    a, b = Image.open(before).convert("RGB"), Image.open(after).convert("RGB")
    w, h = a.size
    crop = tuple(int(v) for v in (box[0] * w, box[1] * h, box[2] * w, box[3] * h))
    diff = ImageChops.difference(a.crop(crop), b.crop(crop)).convert("L").point(lambda v: 255 if v > 24 else 0)
    return diff.histogram()[255] / (diff.size[0] * diff.size[1])


async def test_a_browser_plays_a_served_drill(tmp_path, data_dir, serve):
    from playwright.async_api import async_playwright

    s = serve("knightmare", "--difficulty", "standard", "--seed", "4", "--speed", "10")
    args = ARGS + (["--no-sandbox"] if os.geteuid() == 0 else [])
    shots = tmp_path / "screenshots"
    shots.mkdir()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, args=args, headless=True,
            viewport={"width": 1280, "height": 800})
        try:
            page = await browser.new_page()
            await page.goto(s.url + "/", wait_until="domcontentloaded")
            await page.wait_for_selector("body.-first-byte", timeout=30_000)  # the app's first bytes
            await asyncio.sleep(1.0)
            await page.screenshot(path=str(shots / "1-picker.png"))
            await page.click("#terminal")
            await page.keyboard.type("red")
            await page.keyboard.press("Enter")  # the picker: team red, the served scenario and seed
            await asyncio.sleep(1.0)
            await page.keyboard.press("Enter")  # the briefing: start
            [entry] = await wait_registered(1)
            assert entry["team"] == "red" and entry["seed"] == 4
            await asyncio.sleep(1.0)
            await page.screenshot(path=str(shots / "2-console.png"))
            await page.keyboard.type(":inspect smars-1")
            await page.keyboard.press("Enter")
            await until(lambda: any(r["type"] == "result" and r.get("status") == "done"
                                    for r in journal_records(data_dir)), what="the inspect's result")
            await asyncio.sleep(1.0)  # a few frames for the result to be drawn
            await page.screenshot(path=str(shots / "3-result.png"))
            roster = Roster(keys=[s.key])
            roster.refresh_registry()
            await roster.poll()
            [watched] = roster.watched.values()
            assert [(c["by"], c["command"], c["status"]) for c in watched.status["commands"]] == [
                ("trainee", "inspect smars-1", "done")]
            assert watched.status["commands"][0]["result"].startswith("smars-1")
        finally:
            await browser.close()
    commands = [r for r in journal_records(data_dir) if r["type"] == "command"]
    assert [c["command"] for c in commands] == ["inspect smars-1"]
    # The action log (the right-hand column at 1280 px wide) changed between the two screenshots.
    assert changed_fraction(shots / "2-console.png", shots / "3-result.png", (0.56, 0.3, 1.0, 0.5)) > 0.01
    if os.environ.get("DRILL_SCREENSHOT_DIR"):
        keep = Path(os.environ["DRILL_SCREENSHOT_DIR"])
        keep.mkdir(parents=True, exist_ok=True)
        for f in shots.iterdir():
            shutil.copy(f, keep / f.name)
