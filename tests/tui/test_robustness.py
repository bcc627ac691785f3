"""The console under abuse: random keys, resizes from 40x12 to 250x80, garbage pasted into the
command line, and a long run. No exception, and the drill's journal stays replayable."""

from __future__ import annotations

import random
import resource
import shutil
import sys
import time
import tracemalloc

import pytest
from textual import events

from drill.scenario import load
from drill.session.replay import replay
from drill.tui.screens.console import ConsoleScreen
from drill.tui.widgets.command_line import CommandLine

KEYS = ["colon", "escape", "space", "plus", "minus", "question_mark", "tab", "enter", "up", "down", "left",
        "right", "pageup", "pagedown", "home", "end", "backspace", "delete", "r", "b", "1", "2", "3", "4", "5",
        "6", "7", "8", "9", "ctrl+p", "a", "s", "x", "z", "0", "ctrl+r"]
GARBAGE = ["\x00\x01\x1b[31m", "stop " + "smars-" * 200, "rollback; rm -rf /", "🚨💥" * 50, "\n\n\t",
           "deploy", "ack A999999999999", "speed 1e309", ":::", "%s%n%x", "inject second-fault", "resolve now please"]


async def mash_keys_resize_and_paste_garbage(make_app, tmp_path, seed: int) -> None:
    rng = random.Random(seed)
    journal = tmp_path / f"mash-{seed}.jsonl"
    app = make_app("knightmare", "standard", start_at="09:29:30", journal=str(journal))
    async with app.run_test(size=(120, 36)) as pilot:
        for i in range(250):
            roll = rng.random()
            if roll < 0.08:
                await pilot.resize_terminal(rng.randint(40, 250), rng.randint(12, 80))
            elif roll < 0.16:
                line = app.screen.query(CommandLine)
                if line:
                    line.first().focus()
                    app.screen.post_message(events.Paste(rng.choice(GARBAGE)))
            elif roll < 0.2 and isinstance(app.screen, ConsoleScreen):
                app.screen.step(rng.randint(1, 30_000))
            else:
                await pilot.press(rng.choice(KEYS))
            if i % 25 == 0:
                await pilot.pause()
            if app.return_code is not None:
                break  # quitting (q, then yes) is a legitimate end of the mashing
        await pilot.pause()
    if journal.exists() and journal.read_text().strip():
        report = replay(journal)
        assert report.ok, report.divergence


# One seed in the default run; the other two under `-m heavy` (docs/testing.md): each is 250 keys.
async def test_mashing_keys_resizing_and_pasting_garbage_never_crash(make_app, tmp_path):
    await mash_keys_resize_and_paste_garbage(make_app, tmp_path, seed=1)


@pytest.mark.heavy
@pytest.mark.parametrize("seed", [2, 3])
async def test_mashing_keys_resizing_and_pasting_garbage_never_crash_more_seeds(make_app, tmp_path, seed):
    await mash_keys_resize_and_paste_garbage(make_app, tmp_path, seed)


async def soak_the_console(make_app, tmp_path, last: int, period: int, traced: bool) -> None:
    """Knightmare stretched to 12:00 (2.5 hours of trading, the longest a scenario's work bound
    lets its flows run; four hours is now refused as more than a drill may take), stepped through
    the console from 09:30 to `last` minutes later, ten simulated seconds at a time with a render
    every ten minutes. The Python heap after the first `period` minutes and at the end; the CPU
    time of each `period` minutes.

    `traced`: the heap in bytes, from tracemalloc (which makes every allocation about four times
    dearer); otherwise the count of live heap blocks (`sys.getallocatedblocks`, free to read),
    which grows as surely with anything kept per event."""
    src = load("knightmare").directory
    soak = tmp_path / "soak"
    shutil.copytree(src, soak)
    toml = soak / "scenario.toml"
    toml.write_text(toml.read_text().replace('end = "10:15:00"', 'end = "12:00:00"'))
    app = make_app(str(soak), "standard", start_at="09:30:00", journal=str(tmp_path / "soak.jsonl"))
    heap = (lambda: tracemalloc.get_traced_memory()[0]) if traced else sys.getallocatedblocks
    if traced:
        tracemalloc.start()
    marks = {}
    hour_s = []
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.screen
        assert isinstance(console, ConsoleScreen)
        began = time.process_time()
        for minute in range(1, last + 1):
            for _ in range(6):
                console.step(10_000)
            if minute % 10 == 0:
                await pilot.pause()
            if minute in (period, last):
                marks[minute] = (heap(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
            if minute % period == 0:
                hour_s.append(time.process_time() - began)
                began = time.process_time()
    if traced:
        tracemalloc.stop()
    (py1, rss1), (py4, rss4) = marks[period], marks[last]
    shown = (lambda v: f"{v / 1e6:.1f} MB") if traced else (lambda v: f"{v:,} blocks")
    print(f"console soak: python heap {shown(py1)} at {period} min, {shown(py4)} at {last} min; "
          f"peak RSS {rss1 / 1024:.0f} MB at {period} min, {rss4 / 1024:.0f} MB at {last} min; "
          f"CPU s per {period} simulated minutes {', '.join(f'{h:.1f}' for h in hour_s)}")
    # Flat: bounded histories, no per-event growth. Untraced, a test process holds about 450,000
    # blocks after half an hour and 10,000 more after an hour; two objects kept per market tick
    # would add about 60,000 a half hour.
    if traced:
        assert py4 < 1.5 * py1 + 20e6, (py1, py4)
    else:
        assert py4 - py1 < 30_000, (py1, py4)
    assert hour_s[-1] < 2.0 * hour_s[0] + 2.0  # no slowdown: the last period costs what the first did


@pytest.mark.slow
async def test_an_hour_in_the_console_keeps_memory_flat(make_app, tmp_path):
    """The soak's default run: an hour of trading, the heap's blocks and CPU compared half-hour by
    half-hour."""
    await soak_the_console(make_app, tmp_path, last=60, period=30, traced=False)


@pytest.mark.heavy
async def test_hours_in_the_console_keep_memory_flat(make_app, tmp_path):
    """The full soak (`-m heavy`): 2.5 hours of trading, the heap traced, compared hour by hour."""
    await soak_the_console(make_app, tmp_path, last=150, period=60, traced=True)
