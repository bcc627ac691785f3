"""The debrief of a drill worked by a crew says who gave each command; a drill played alone's
says what it always said."""

from __future__ import annotations

import pytest

from drill.debrief.build import stream
from drill.debrief.export import to_html, to_markdown
from drill.scenario import load
from drill.session import Session
from drill.session.crew import CrewMember
from drill.timefmt import parse_clock


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DRILL_DATA_DIR", str(tmp_path / "data"))


def _first_debrief(journal):
    it = stream(journal, workers=1, cache=False)
    try:
        return next(it)  # the journal's own facts, before any re-simulation
    finally:
        it.close()


def _played(tmp_path, crew: bool):
    journal = tmp_path / "j.jsonl"
    s = Session(load("knightmare"), "standard", None, journal)
    s.advance_to(parse_clock("09:31:00"))
    s.submit("stop smars-8", crew=CrewMember.of("Ann", "operator") if crew else None)
    s.advance_to(parse_clock("09:32:00"))
    s.submit("inspect smars-1", crew=CrewMember.of("Bo", "commander") if crew else None)
    s.advance_to(parse_clock("09:35:00"))
    s.abandon()
    return journal


def test_the_debrief_lists_each_command_with_who_gave_it(tmp_path):
    d = _first_debrief(_played(tmp_path, crew=True))
    md = to_markdown(d, "chart.svg")
    assert "`stop smars-8` (Ann (operator))" in md
    assert "`inspect smars-1` (Bo (commander))" in md
    html = to_html(d)
    assert '<span class="tag-k">Ann (operator)</span>stop smars-8' in html


def test_who_gave_each_command_stays_once_the_re_simulations_are_in(tmp_path):
    """The timeline takes its commands from the trainee's re-simulation once it is in: the names
    and roles come from the journal all the same."""
    *_, d = stream(_played(tmp_path, crew=True), workers=1, cache=False)
    assert d.complete
    md = to_markdown(d, "chart.svg")
    assert "`stop smars-8` (Ann (operator))" in md and "`inspect smars-1` (Bo (commander))" in md


def test_a_drill_played_alone_names_nobody_in_its_debrief(tmp_path):
    md = to_markdown(_first_debrief(_played(tmp_path, crew=False)), "chart.svg")
    assert "`stop smars-8`:" in md and "operator" not in md and "trainee)" not in md
