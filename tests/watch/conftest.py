"""Fixtures for watching drills: the console's fake wall clock and its Pilot helpers, and a
watcher factory that always closes the helper processes it started."""

from __future__ import annotations

import pytest

from drill.session.rewind import Rewinder
from drill.tui.screens.watch import WatchApp
# The console tests' own helpers: one copy of each (the hook runs `async def` tests).
from tests.tui.conftest import FakeWall, pytest_pyfunc_call, type_text, wall  # noqa: F401


@pytest.fixture
def rewinders():
    """Rewinders a test opened, closed at its end even when it fails."""
    opened: list[Rewinder] = []
    yield opened
    for r in opened:
        r.close()


@pytest.fixture
def watch_app(wall, rewinders):
    def make(journal, *, live: bool = False, paused: bool = True, speed: float = 1.0, **kwargs) -> WatchApp:
        source = Rewinder(journal, live=live, **kwargs)
        rewinders.append(source)
        return WatchApp(source, speed=speed, paused=paused, live=live, blink=False, wall=wall)
    return make


async def command(pilot, text: str) -> None:
    await pilot.press("colon")
    await type_text(pilot, text)
    await pilot.press("enter")
    await pilot.pause()
