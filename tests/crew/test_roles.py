"""Roles are scenario data, enforced in Session.submit; a crew member's commands are journaled with
who gave them and replay exactly; a drill played alone journals what it always did."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from drill.commands import CommandError
from drill.scenario import ScenarioError, load
from drill.session import Session
from drill.session.crew import CrewError, CrewMember
from drill.session.journal import JournalError, read
from drill.session.replay import replay
from drill.session.scoring import Outcome
from drill.timefmt import parse_clock

ANN = CrewMember.of("Ann", "operator")
BO = CrewMember.of("Bo", "commander")


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_an_operator_may_stop_a_server_but_not_the_fleet_and_the_refusal_journals_nothing(tmp_path):
    journal = tmp_path / "j.jsonl"
    s = Session(load("knightmare"), "standard", None, journal)
    s.advance_to(parse_clock("09:31:00"))
    with pytest.raises(CommandError, match=r"stop-all: only the commander may give it \(you are the operator\)"):
        s.submit("stop-all", crew=ANN)
    with pytest.raises(CommandError, match="only the commander"):
        s.submit("resolve", crew=ANN)
    assert s.submit("stop smars-8", crew=ANN).accepted
    assert s.submit("stop-all", crew=BO).accepted
    s.advance_to(parse_clock("09:40:00"))
    s.abandon()
    commands = [r for r in _records(journal) if r["type"] == "command"]
    assert [(c["command"], c["member"], c["role"]) for c in commands] == [
        ("stop smars-8", "Ann", "operator"),
        ("stop-all", "Bo", "commander"),
    ]
    outcome = Outcome.from_dict(_records(journal)[-1]["outcome"])
    assert [a.who for a in outcome.actions] == ["Ann (operator)", "Bo (commander)"]
    report = replay(journal)
    assert report.ok, report.divergence
    assert [a.who for a in report.outcome.actions] == ["Ann (operator)", "Bo (commander)"]


def test_the_action_log_shows_who_gave_each_command_only_in_a_crew(tmp_path):
    s = Session(load("knightmare"), "standard", None)
    s.advance_to(parse_clock("09:31:00"))
    s.submit("inspect smars-1")
    s.submit("inspect smars-2", crew=ANN)
    assert [a.who for a in s.snapshot().actions] == ["", "Ann (operator)"]


def test_a_drill_played_alone_journals_no_member_or_role(tmp_path):
    journal = tmp_path / "j.jsonl"
    s = Session(load("knightmare"), "standard", None, journal)
    s.advance_to(parse_clock("09:31:00"))
    s.submit("stop smars-8")
    s.submit("stop-all")  # alone, nobody's role limits anything
    s.run_to_end()
    text = journal.read_text()
    assert '"member"' not in text and '"role"' not in text
    end = _records(journal)[-1]
    assert [sorted(a) for a in end["outcome"]["actions"]] == [
        ["at", "by", "command", "finished_at", "result", "status"]
    ] * 2


def test_a_role_the_scenario_does_not_have_is_refused():
    s = Session(load("knightmare"), "standard", None)
    with pytest.raises(CommandError, match="'janitor' is not a role"):
        s.submit("inspect smars-1", crew=CrewMember.of("Cy", "janitor"))


def test_by_default_a_crew_works_as_one_trainee_does():
    spec = load("fat-finger").spec  # no [crew] table
    assert spec.crew.roles == ["commander", "operator", "communications"] and spec.crew.only == {}
    for verb in ("stop-all", "resolve", "stop"):
        assert spec.crew.refusal("communications", verb) is None


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ('[crew]\nonly = { "explode" = ["commander"] }\n', "crew.only"),
        ('[crew]\nonly = { "stop-all" = ["chef"] }\n', "crew"),
        ('[crew]\nowner = "chef"\n', "crew"),
        ("[crew]\nroles = []\n", "crew.roles"),
    ],
)
def test_a_bad_crew_table_is_one_problem_naming_its_field(tmp_path, table, field):
    src = load("fat-finger").directory
    dst = tmp_path / "s"
    shutil.copytree(src, dst)
    toml = dst / "scenario.toml"
    toml.write_text(toml.read_text() + "\n" + table)
    with pytest.raises(ScenarioError) as err:
        load(str(dst))
    assert field in str(err.value)


def test_a_member_name_is_printable_text_of_bounded_length():
    assert CrewMember.of("  Ann   Lee ", "Operator") == CrewMember("Ann Lee", "operator")
    for bad in ("", "x" * 25, "Ann\x1b[31m"):
        with pytest.raises(CrewError, match="name"):
            CrewMember.of(bad, "operator")


def test_a_journal_naming_a_member_without_a_role_is_refused_in_one_line(tmp_path):
    journal = tmp_path / "j.jsonl"
    s = Session(load("knightmare"), "standard", None, journal)
    s.advance_to(parse_clock("09:31:00"))
    s.submit("stop smars-8", crew=ANN)
    s.abandon()
    lines = journal.read_text().splitlines()
    cmd = json.loads(lines[1])
    del cmd["role"]
    lines[1] = json.dumps(cmd)
    journal.write_text("\n".join(lines) + "\n")
    with pytest.raises(JournalError, match=r"line 2: command\.role"):
        read(journal)
