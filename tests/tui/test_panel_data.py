"""A panel over new data is three files: its row type, field and source in
drill/session/snapshot.py, its widget, and its Panel in drill/tui/panels.py (docs/architecture.md).
These tests hold the two seams that make it so: the session fills every panel's data from the one
registry of sources, and the help screen (like the tabs and keys) follows the one list of panels."""

from __future__ import annotations

import dataclasses

import pytest

from drill.scenario import load
from drill.session import snapshot as snap
from drill.session.session import Session
from drill.tui import panels
from drill.tui.screens.help import help_markdown

# What Session.snapshot() fills itself: the drill's identity, clock and score, not a panel's rows.
DRILL_FIELDS = {
    "scenario_id", "title", "difficulty", "seed", "now", "clock", "zone", "start", "open", "end", "phase",
    "finished", "capital_usd", "loss_usd", "capital_left_usd", "collateral_usd",
}


@pytest.fixture(scope="module")
def session() -> Session:
    s = Session(load("knightmare"), "historical")
    s.advance(60_000)
    return s


def test_every_snapshot_field_is_filled_by_the_session_or_by_exactly_one_source(session):
    filled_by: dict[str, list[str]] = {}
    for fill in snap.SOURCES:
        for name in fill(session.world):
            filled_by.setdefault(name, []).append(fill.__name__)
    assert {n: fs for n, fs in filled_by.items() if len(fs) > 1} == {}
    assert not DRILL_FIELDS & set(filled_by)
    assert DRILL_FIELDS | set(filled_by) == {f.name for f in dataclasses.fields(snap.Snapshot)}


def test_the_session_takes_every_panels_data_from_the_registered_sources(session, monkeypatch):
    row = snap.ReleaseRow("test-only", True, 1, 1.0, 2.0, 3.0, 0.0, 2.0)

    def test_only_releases(world) -> dict:
        return {"releases": (row,)}

    monkeypatch.setattr(snap, "SOURCES", [*snap.SOURCES, test_only_releases])
    assert session.snapshot().releases == (row,)  # a source registered later fills its field
    monkeypatch.undo()
    assert session.snapshot().releases == ()  # historical knightmare has no canary dashboard


def test_a_panel_registered_in_the_one_list_reaches_help(session, monkeypatch):
    class TestOnlyPanel(panels.CanaryPanel):
        id, title, key, widget_id = "test-only", "Test only", "0", "test-only-view"
        help = "a panel registered by a test and nowhere else"

        def available(self, fixed) -> bool:
            return True

    monkeypatch.setattr(panels, "PANELS", (*panels.PANELS, TestOnlyPanel()))
    fixed = session.setup()
    shown = panels.available(fixed)
    assert shown[-1].id == "test-only"
    text = help_markdown(fixed, shown, [])
    assert "| Test only | `0` | a panel registered by a test and nowhere else |" in text
