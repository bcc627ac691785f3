"""`drill watch` on the command line: bad input is one line and exit code 2, never a traceback."""

from __future__ import annotations

import json

from drill.cli.main import main


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(["watch", *argv])
    err = capsys.readouterr().err
    return code, err


def test_missing_journal_is_one_line(capsys, tmp_path):
    code, err = run(capsys, str(tmp_path / "nope.jsonl"))
    assert code == 2 and err.count("\n") == 1 and "nope.jsonl: file: not found" in err


def test_not_a_journal_names_the_line(capsys, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "command"}\n')
    code, err = run(capsys, str(bad))
    assert code == 2 and err.count("\n") == 1 and "line 1" in err


def test_changed_scenario_is_refused(capsys, tmp_path):
    journal = tmp_path / "run.jsonl"
    assert main(["run", "knightmare", "--journal", str(journal)]) == 0
    capsys.readouterr()
    lines = journal.read_text().splitlines()
    header = json.loads(lines[0])
    header["scenario_hash"] = "0" * 64
    journal.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    code, err = run(capsys, str(journal))
    assert code == 2 and "header.scenario_hash" in err and "has changed" in err


def test_journal_or_live_not_both_nor_neither(capsys, tmp_path):
    code, err = run(capsys)
    assert code == 2 and "give a JOURNAL, or --live DRILL" in err
    code, err = run(capsys, "x.jsonl", "--live", "abcd1234")
    assert code == 2 and "give a JOURNAL, or --live DRILL" in err


def test_unknown_live_drill(capsys):
    code, err = run(capsys, "--live", "abcd1234")
    assert code == 2 and "no running drill 'abcd1234'" in err


def test_speed_and_start_are_checked(capsys, tmp_path):
    code, err = run(capsys, "x.jsonl", "--speed", "120")
    assert code == 2 and "--speed: must be from 1 to 60" in err
    code, err = run(capsys, "x.jsonl", "--at", "25:00")
    assert code == 2 and "--at: not a time" in err


def test_no_terminal_says_so(capsys, tmp_path):
    journal = tmp_path / "run.jsonl"
    assert main(["run", "knightmare", "--journal", str(journal)]) == 0
    capsys.readouterr()
    code, err = run(capsys, str(journal))  # pytest's stdin is not a terminal
    assert code == 2 and "no terminal to watch in" in err


def test_live_drill_id_resolves_through_the_registry(tmp_path):
    """A running drill registers its journal (drill.hosting.hosted); --live finds it by id."""
    from drill.cli.watch_cmd import live_journal
    from drill.hosting.channel import register

    journal = tmp_path / "live.jsonl"
    registration = register("0a1b2c3d", 4321, {"team": None, "journal": str(journal)})
    try:
        assert live_journal("0a1b2c3d") == journal
    finally:
        registration.remove()
