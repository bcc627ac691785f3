"""The console's debrief re-simulates the counterfactuals in a worker and fills in as they land;
one key exports the same files as `drill debrief`."""

from __future__ import annotations

import asyncio
import json
import time

from drill.timefmt import parse_clock
from drill.tui.screens.debrief import DebriefScreen

from .conftest import type_text


async def test_counterfactuals_fill_in_and_export_writes_the_files(make_app, tmp_path):
    journal = tmp_path / "drill.jsonl"
    app = make_app("knightmare", "standard", start_at="09:31:00", journal=str(journal), counterfactuals=True)
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.screen
        stale = next(r.name for r in console.snap.fleet if [x.release for x in console.snap.fleet].count(r.release) == 1)
        await pilot.press("colon")
        await type_text(pilot, f"stop {stale}")
        await pilot.press("enter")
        console.step(parse_clock("09:33:00") - console.drill.session.now)
        await pilot.press("colon")
        await type_text(pilot, "resolve")
        await pilot.press("enter")
        # The resolve worker, then the re-simulations (real processes): a generous deadline, since on
        # a loaded two-core machine fourteen mornings can take minutes.
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            screen = app.screen
            if isinstance(screen, DebriefScreen) and screen.debrief is not None and screen.debrief.complete:
                break
        screen = app.screen
        assert isinstance(screen, DebriefScreen)
        d = screen.debrief
        assert d is not None and d.complete and d.total >= 5
        labels = [c.label for c in d.counterfactuals]
        assert any("earlier" in label.lower() for label in labels)
        earliest = next(c for c in d.counterfactuals if c.kind == "earliest")
        assert earliest.score_usd <= screen.outcome.score_usd  # never worse than what the trainee did
        # At 80x24 the progress line wraps rather than cutting "e exports the debrief".
        await pilot.resize_terminal(80, 24)
        await pilot.press("2")
        await pilot.pause()
        progress = screen.query_one("#whatif-progress")
        said = str(progress.render())
        assert said.endswith("e exports the debrief.")
        assert progress.region.height * progress.content_size.width >= len(said)
        await pilot.press("e")
        await pilot.pause()
        out = json.loads((tmp_path / "drill.debrief.json").read_text())
        assert out["counterfactuals"] and all("label" in c and "loss_usd" in c for c in out["counterfactuals"])
        assert (tmp_path / "drill.debrief.md").read_text().count("drill.debrief.svg") >= 1
        assert "<svg" in (tmp_path / "drill.debrief.html").read_text()
