"""The console under abuse: random keys, resizes from 40x12 to 250x80, garbage pasted into the
command line, and a long run. No exception, and the drill's journal stays replayable."""

from __future__ import annotations

import random
import resource
import shutil
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


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_mashing_keys_resizing_and_pasting_garbage_never_crash(make_app, tmp_path, seed):
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


LAST = 150  # minutes of trading from 09:30: to 12:00


@pytest.mark.slow
async def test_hours_in_the_console_keep_memory_flat(make_app, tmp_path):
    """A soak: knightmare stretched to 2.5 hours of trading (the longest a scenario's work bound
    lets its flows run; four hours is now refused as more than a drill may take), stepped
    through the console ten simulated seconds at a time with a render every minute. Peak
    memory at 1 hour and at the end."""
    src = load("knightmare").directory
    soak = tmp_path / "soak"
    shutil.copytree(src, soak)
    toml = soak / "scenario.toml"
    toml.write_text(toml.read_text().replace('end = "10:15:00"', 'end = "12:00:00"'))
    app = make_app(str(soak), "standard", start_at="09:30:00", journal=str(tmp_path / "soak.jsonl"))
    tracemalloc.start()
    marks = {}
    hour_s = []
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.screen
        assert isinstance(console, ConsoleScreen)
        began = time.process_time()
        for minute in range(1, LAST + 1):
            for _ in range(6):
                console.step(10_000)
            if minute % 10 == 0:
                await pilot.pause()
            if minute in (60, LAST):
                marks[minute] = (tracemalloc.get_traced_memory()[0], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
            if minute % 60 == 0:
                hour_s.append(time.process_time() - began)
                began = time.process_time()
    tracemalloc.stop()
    (py1, rss1), (py4, rss4) = marks[60], marks[LAST]
    print(f"console soak: python heap {py1 / 1e6:.1f} MB at 1 h, {py4 / 1e6:.1f} MB at {LAST / 60:g} h; "
          f"peak RSS {rss1 / 1024:.0f} MB at 1 h, {rss4 / 1024:.0f} MB at {LAST / 60:g} h; "
          f"CPU s per simulated hour {', '.join(f'{h:.1f}' for h in hour_s)}")
    assert py4 < 1.5 * py1 + 20e6  # flat: bounded histories, no per-event growth
    assert hour_s[-1] < 2.0 * hour_s[0] + 2.0  # no slowdown: the last hour costs what the first did
