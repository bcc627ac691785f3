"""What a trainee is told (issue 17): a command already running is refused, not queued behind
itself; an actions file out of order says which lines and times disagree."""

from __future__ import annotations

import json

import pytest

from drill.session import Session
from drill.session.script import ScriptError, parse_script
from drill.timefmt import parse_clock

from .helpers import knightmare


def test_a_command_still_running_is_refused_and_allowed_again_once_done():
    s = Session(knightmare(), "standard")
    s.advance_to(parse_clock("09:31:00"))
    first = s.submit("deploy smars-1")
    assert first.accepted
    again = s.submit("deploy SMARS-1")  # the same server, however it is typed
    assert not again.accepted
    assert "already running" in again.message and "09:31:00" in again.message
    assert s.submit("deploy smars-2").accepted  # another server is another action
    s.advance(1_000)
    assert not s.submit("deploy smars-1").accepted  # still running a second later
    assert s.submit("stop-all").accepted
    assert not s.submit("stop-all").accepted  # fleet-wide verbs likewise
    statuses = [(a.command.text, a.status) for a in s.world.actions_log]
    assert statuses.count(("deploy smars-1", "refused")) == 2
    s.advance(int(knightmare().spec.action_seconds["deploy"] * 1000))
    assert s.submit("deploy smars-1").accepted  # the first one finished: a new deploy may start


def test_a_refused_duplicate_is_journaled_with_its_reason(tmp_path):
    journal = tmp_path / "j.jsonl"
    s = Session(knightmare(), "standard", journal=journal)
    s.advance_to(parse_clock("09:31:00"))
    s.submit("inspect smars-3")
    s.submit("inspect smars-3")
    s.close()
    results = [r for r in map(json.loads, journal.read_text().splitlines()) if r["type"] == "result"]
    assert [(r["seq"], r["status"]) for r in results] == [(2, "refused")]
    assert "already running" in results[0]["result"]


def test_an_actions_file_out_of_order_names_both_lines_and_times():
    with pytest.raises(ScriptError) as err:
        parse_script("# a comment\n09:31:00 inspect smars-1\n\n09:30:00 stop smars-1\n", "drill.actions")
    assert str(err.value) == ("drill.actions: line 4: 09:30:00 is earlier than 09:31:00 on line 2; "
                              "the times in an actions file must not go backwards")
