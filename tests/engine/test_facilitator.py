"""Facilitator commands go through the same door, are journaled, and replay reproduces them."""

import json
import subprocess
import sys

import pytest

from drill.commands import CommandError
from drill.scenario import load
from drill.session import Session
from drill.session.replay import replay
from drill.timefmt import parse_clock


def test_an_injected_second_fault_reaches_the_drill_and_the_journal_and_replays(tmp_path):
    journal = tmp_path / "j.jsonl"
    s = Session(load("knightmare"), "standard", journal=journal)
    s.advance_to(parse_clock("09:31:00"))
    s.submit("stop smars-8")
    s.advance_to(parse_clock("09:40:00"))
    assert s.snapshot().phase in ("contained", "recovered")
    sub = s.submit("inject second-fault", by="facilitator")
    assert sub.accepted and "smars-3" in sub.message
    s.submit("push-hint Look at the fleet again", by="facilitator")
    s.advance_to(parse_clock("09:45:00"))
    assert s.snapshot().phase == "incident"  # the second fault re-opened it
    assert any(m.sender == "Coach" and "fleet again" in m.body for m in s.snapshot().inbox)
    outcome = s.run_to_end()
    assert not outcome.contained
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    injected = [r for r in records if r["type"] == "command" and r.get("by") == "facilitator"]
    assert [r["command"] for r in injected] == ["inject second-fault", "push-hint Look at the fleet again"]
    report = replay(journal)
    assert report.ok, report.divergence
    # Without the injection the same trainee play stays contained: the replay really applied it.
    plain = Session(load("knightmare"), "standard")
    plain.advance_to(parse_clock("09:31:00"))
    plain.submit("stop smars-8")
    assert plain.run_to_end().contained


def test_a_trainee_cannot_use_the_facilitators_verbs():
    s = Session(load("knightmare"), "standard")
    with pytest.raises(CommandError, match="only the facilitator"):
        s.submit("inject nyse-call")
    with pytest.raises(CommandError, match="unknown inject"):
        s.submit("inject nonsense", by="facilitator")


def test_alert_bursts_and_messages_from_the_catalogue():
    s = Session(load("knightmare"), "standard")
    s.advance_to(parse_clock("09:25:00"))
    s.submit("inject alert-noise", by="facilitator")
    s.submit("inject ceo-email", by="facilitator")
    snap = s.snapshot()
    assert len([a for a in snap.alerts if "Disk usage" in a.label]) == 6
    assert snap.inbox[-1].sender == "CEO"


def test_scripts_may_carry_facilitator_lines(tmp_path):
    script = tmp_path / "game-day.actions"
    script.write_text("09:31:00 stop smars-8\n09:40:00 inject second-fault\n")
    p = subprocess.run([sys.executable, "-m", "drill", "run", "knightmare", "--actions", str(script), "--json"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert not out["contained"] and out["actions"][1]["by"] == "facilitator"


def test_the_facilitator_sees_the_real_phase_where_the_trainee_sees_open():
    from drill.hosting.host import DrillHost
    from drill.tui.controller import Drill

    drill = Drill("knightmare", "historical")
    drill.advance_to(parse_clock("09:35:00"))
    session = drill.session
    assert session.snapshot().phase == "open"  # historical shows no incident phase
    truth = session.truth()
    assert truth.phase == "incident" and not truth.contained and truth.ended_by == "running"
    assert truth.faulty_servers and truth.loss_usd == round(session.world.loss_usd, 2) > 0
    sent = DrillHost(drill, "red").truth()
    assert sent["phase"] == "incident" and sent["true_loss_usd"] == truth.loss_usd
    assert sent["faulty_servers"] == list(truth.faulty_servers) and sent["team"] == "red"
    drill.submit("stop " + truth.faulty_servers[0])
    drill.advance_to(parse_clock("09:36:00"))
    assert [c["command"] for c in DrillHost(drill).truth()["commands"]] == [f"stop {truth.faulty_servers[0]}"]
    session.run_to_end()
    assert session.truth().phase == "ended" and session.truth().finished
