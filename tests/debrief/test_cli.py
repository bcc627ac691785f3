"""`drill debrief` on bad input: one line naming the file and the problem, exit 2, no traceback.
The first check runs in a real process (the exit code a shell sees); the others read only the exit
code and what was printed, through main in this one (tests/inprocess.py)."""

from __future__ import annotations

import json

import pytest

from drill.scenario import load

from .conftest import drill, drill_here, one_line_error


def test_a_missing_journal(tmp_path):
    one_line_error(drill("debrief", tmp_path / "nope.jsonl", data_dir=tmp_path), "nope.jsonl", "not found")


def test_a_bad_format(tmp_path, rollback_journal):
    one_line_error(drill_here("debrief", rollback_journal, "--format", "pdf", data_dir=tmp_path), "--format", "pdf")


@pytest.mark.parametrize("content, needles", [
    ("this is not a journal\n", ["line 1", "not valid JSON"]),
    ("\xff\xfe\x00garbage", ["cannot read"]),
    ("", ["empty journal"]),
    ('{"type": "header", "format": 1, "scenario": "knightmare", "scenario_hash": "x", "difficulty": "historical"}\n',
     ["header.seed"]),
    ('{"type": "header", "format": 1, "scenario": "nope", "scenario_hash": "x", "difficulty": "historical", "seed": 1}\n',
     ["header.scenario", "nope"]),
])
def test_garbage_journals(tmp_path, content, needles):
    f = tmp_path / "j.jsonl"
    f.write_bytes(content.encode("latin-1"))
    one_line_error(drill_here("debrief", f, data_dir=tmp_path), str(f), *needles)


def test_a_journal_of_a_scenario_that_has_changed_since(tmp_path, rollback_journal):
    lines = rollback_journal.read_text().splitlines()
    head = json.loads(lines[0])
    head["scenario_hash"] = "0" * 64
    head["scenario_path"] = "/nonexistent"
    f = tmp_path / "old.jsonl"
    f.write_text("\n".join([json.dumps(head)] + lines[1:]) + "\n")
    one_line_error(drill_here("debrief", f, data_dir=tmp_path), str(f), "scenario_hash", "has changed")


def test_a_journal_with_a_command_outside_the_vocabulary(tmp_path, rollback_journal):
    lines = rollback_journal.read_text().splitlines()
    recs = [json.loads(ln) for ln in lines]
    recs[0]["scenario_hash"] = load("knightmare").content_hash
    for r in recs:
        if r["type"] == "command":
            r["command"] = "explode everything"
    f = tmp_path / "bad.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    one_line_error(drill_here("debrief", f, data_dir=tmp_path), str(f), "command 1", "unknown command")


def test_a_journal_naming_a_server_the_scenario_does_not_have(tmp_path, rollback_journal):
    recs = [json.loads(ln) for ln in rollback_journal.read_text().splitlines()]
    recs[0]["scenario_hash"] = load("knightmare").content_hash
    recs = [r for r in recs if r["type"] != "end"]
    recs.insert(1, {"type": "command", "seq": 1, "t": recs[1]["t"] if recs[1]["type"] == "command" else 35_000_000,
                    "at": "09:40:00", "command": "stop smars-99"})
    f = tmp_path / "bad.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in recs[:2]) + "\n")
    one_line_error(drill_here("debrief", f, data_dir=tmp_path), str(f), "unknown server 'smars-99'")


def test_a_directory_for_journal_or_out(tmp_path, rollback_journal):
    one_line_error(drill_here("debrief", tmp_path, data_dir=tmp_path), str(tmp_path), "directory")
    one_line_error(drill_here("debrief", rollback_journal, "--out", tmp_path, data_dir=tmp_path), "--out", "directory")


def test_out_may_not_overwrite_the_journal(tmp_path, rollback_journal):
    one_line_error(drill_here("debrief", rollback_journal, "--format", "json", "--out", rollback_journal, data_dir=tmp_path),
                   "overwrite the journal")


def test_a_journal_cut_short_is_debriefed_as_it_stood(tmp_path, rollback_journal, shared_data):
    """A killed drill leaves no end record: the debrief scores it at its last record, and says so."""
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(ln + "\n" for ln in rollback_journal.read_text().splitlines() if '"type":"end"' not in ln))
    p = drill_here("debrief", cut, "--format", "json", data_dir=shared_data)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["complete"] and data["card"]["ended_by"] == "abandoned" and data["card"]["ended_at"] == "09:42:00"
    assert any("no end record" in w for w in data["warnings"]) and "no end record" in p.stderr
