"""Fixtures for the console's tests: a private data dir, a fake wall clock, an app factory."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from drill.tui.app import DrillApp


class FakeWall:
    """A wall clock that moves only when a test says so: the console's timer then advances the
    drill by exactly what the test chose, however slow or fast the machine is."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DRILL_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def wall() -> FakeWall:
    return FakeWall()


@pytest.fixture
def make_app(tmp_path, wall):
    def make(scenario="knightmare", difficulty="standard", *, seed=None, speed=10.0, paused=True,
             start_at="09:40:00", journal=None, counterfactuals=False, **kwargs) -> DrillApp:
        # Counterfactuals re-simulate in worker processes: only the tests about them turn them on.
        journal = journal if journal is not None else str(tmp_path / "journal.jsonl")
        return DrillApp(scenario, difficulty, seed, speed, journal, paused, start_at=start_at, wall=wall,
                        counterfactuals=counterfactuals,
                        blink=False, **kwargs)
    return make


async def type_text(pilot, text: str) -> None:
    await pilot.press(*("space" if ch == " " else ch for ch in text))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` tests in a fresh event loop (no async plugin needed for Pilot tests)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**args))
        return True
    return None
