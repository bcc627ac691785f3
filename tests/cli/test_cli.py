"""The command line as a user (or a script) uses it: exit codes, one-line errors, journals.
What a shell sees (`python -m drill`, the exit code, hash seeds, no terminal) runs in real
processes; checks of what was printed run through `main` in this one (tests/inprocess.py). The
families of bad inputs run their first case in a real process and the rest in this one."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.inprocess import drill_in_process

ROOT = Path(__file__).resolve().parents[2]
HISTORICAL = ROOT / "scenarios" / "knightmare" / "historical.actions"


def drill(*args, env=None, cwd=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "drill", *map(str, args)], capture_output=True, text=True,
                          env=e, cwd=cwd or ROOT, timeout=120)


def drill_first_in_a_process(case, family, *args) -> subprocess.CompletedProcess:
    """A family's first case in a real `drill` process (what a user's shell sees: exit code, no
    traceback); the others in this one."""
    return (drill if case == family[0] else drill_in_process)(*args)


def one_line_error(proc, *needles):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def test_list_shows_knightmare_and_json_lists_its_difficulties():
    p = drill_in_process("list")
    assert p.returncode == 0 and "knightmare" in p.stdout
    rows = json.loads(drill_in_process("list", "--json").stdout)
    km = next(r for r in rows if r["id"] == "knightmare")
    assert km["difficulties"] == ["historical", "standard", "tutorial"] and km["summary"]
    assert {r["id"] for r in rows} >= {"knightmare", "sell-program", "fat-finger", "slow-clap"}


def test_run_json_has_every_documented_key():
    p = drill_in_process("run", "knightmare", "--actions", HISTORICAL, "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    for key in ("scenario", "difficulty", "seed", "contained", "contained_at", "loss_usd", "collateral_usd",
                "score_usd", "grade", "bankrupt", "runaway_parent_orders", "executions", "shares", "symbols",
                "long_usd", "long_symbols", "short_usd", "short_symbols", "emails_before_open",
                "faulty_servers", "actions"):
        assert key in out, key
    assert out["difficulty"] == "historical" and out["faulty_servers"] == ["smars-8"]
    assert {"at", "command", "result"} <= set(out["actions"][0])


def test_same_inputs_give_byte_identical_json_across_processes_and_hash_seeds(tmp_path):
    # Real processes: a hash seed is fixed when an interpreter starts.
    a = drill("run", "knightmare", "--actions", HISTORICAL, "--json", env={"PYTHONHASHSEED": "1"})
    b = drill("run", "knightmare", "--actions", HISTORICAL, "--json", env={"PYTHONHASHSEED": "999"})
    assert a.returncode == 0 and a.stdout == b.stdout


def test_a_journal_replays_exactly_and_a_tampered_one_diverges(tmp_path):
    journal = tmp_path / "j.jsonl"
    p = drill_in_process("run", "knightmare", "--difficulty", "standard", "--actions", HISTORICAL, "--journal", journal,
                         "--json")
    assert p.returncode == 0, p.stderr
    ok = drill_in_process("replay", journal, "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    report = json.loads(ok.stdout)
    assert report["ok"] and report["outcome"] == json.loads(p.stdout)

    # Move the rollback by a minute: the replay must notice, and say where.
    lines = journal.read_text().splitlines()
    recs = [json.loads(ln) for ln in lines]
    for r in recs:
        if r["type"] == "command" and r["command"] == "rollback":
            r["t"] += 60_000
    journal.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    bad = drill_in_process("replay", journal)  # exit 1 as a shell sees it: tests/hardening/test_fuzz_cli.py
    assert bad.returncode == 1
    assert "DIVERGED" in bad.stdout and "rollback" in bad.stdout


def test_a_journal_cut_short_replays_up_to_its_end(tmp_path):
    journal = tmp_path / "j.jsonl"
    assert drill_in_process("run", "knightmare", "--actions", HISTORICAL, "--journal", journal).returncode == 0
    lines = journal.read_text().splitlines()
    # Keep the header and the first two commands with their results, as a killed process would.
    kept = [ln for ln in lines if '"type":"end"' not in ln][:5]
    journal.write_text("\n".join(kept) + "\n" + kept[-1][: len(kept[-1]) // 2])  # and a torn last line
    p = drill_in_process("replay", journal, "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout)["cut_short"] is True


BAD_ACTION_LINES = [
    ("09:31:00 stop smars-9\n", ["line 1", "unknown server", "smars-9"]),
    ("09:31:00 explode\n", ["line 1", "unknown command"]),
    ("# fine\n09:40:00 stop-all\n09:31:00 stop smars-8\n", ["line 3", "earlier than 09:40:00 on line 2", "must not go backwards"]),
    ("9.31 stop smars-8\n", ["line 1", "HH:MM:SS"]),
    ("09:31:00 stop\n", ["line 1", "usage: stop SERVER"]),
    ("08:00:00 stop smars-8\n", ["line 1", "before the drill's clock starts"]),
    ("11:00:00 stop smars-8\n", ["line 1", "after the scenario ends"]),
    ("09:31:00 disable-flag NOPE\n", ["line 1", "unknown flag"]),
]


@pytest.mark.parametrize("content, needles", BAD_ACTION_LINES)
def test_bad_action_lines_give_one_line_naming_the_file_and_line(tmp_path, content, needles):
    f = tmp_path / "bad.actions"
    f.write_text(content)
    proc = drill_first_in_a_process((content, needles), BAD_ACTION_LINES, "run", "knightmare", "--actions", f)
    one_line_error(proc, str(f), *needles)


BAD_ARGUMENTS = [
    (["run", "nosuch"], ["nosuch", "no such scenario"]),
    (["run", "knightmare", "--difficulty", "nightmare"], ["--difficulty", "nightmare"]),
    (["run", "knightmare", "--seed", "banana"], ["--seed"]),
    (["run", "knightmare", "--actions", "/nonexistent/x.actions"], ["/nonexistent/x.actions", "not found"]),
    (["run", "knightmare", "--journal", "/proc/nope/j.jsonl"], ["/proc/nope/j.jsonl", "cannot write"]),
    (["replay", "/nonexistent.jsonl"], ["/nonexistent.jsonl", "not found"]),
    (["frobnicate"], ["invalid choice"]),
]


@pytest.mark.parametrize("args, needles", BAD_ARGUMENTS)
def test_bad_arguments_give_one_line_and_exit_2(args, needles):
    one_line_error(drill_first_in_a_process((args, needles), BAD_ARGUMENTS, *args), *needles)


BAD_JOURNALS = [
    ("not json\n", ["line 1", "not valid JSON"]),
    ('{"type": "command", "t": 1, "seq": 1, "command": "hint"}\n{}\n', ["line 1", "header"]),
    ('{"type": "header", "format": 1, "scenario": "knightmare", "scenario_hash": "x", "difficulty": "historical"}\n', ["header.seed"]),
    ('{"type": "header", "format": 1, "scenario": "nope", "scenario_hash": "x", "difficulty": "historical", "seed": 1}\n', ["header.scenario", "nope"]),
    ('{"type": "header", "format": 1, "scenario": "knightmare", "scenario_hash": "x", "difficulty": "hard", "seed": 1}\n', ["unknown difficulty"]),
    ('{"type": "header", "format": 2, "scenario": "knightmare", "scenario_hash": "x", "difficulty": "historical", "seed": 1}\n', ["header.format"]),
    ("", ["empty journal"]),
]


@pytest.mark.parametrize("content, needles", BAD_JOURNALS)
def test_bad_journals_give_one_line_and_exit_2(tmp_path, content, needles):
    f = tmp_path / "j.jsonl"
    f.write_text(content)
    one_line_error(drill_first_in_a_process((content, needles), BAD_JOURNALS, "replay", f), *needles)


def test_validate_accepts_the_bundled_scenario_and_its_scripts():
    p = drill_in_process("validate", ROOT / "scenarios" / "knightmare", HISTORICAL)
    assert p.returncode == 0, p.stderr


def test_python_dash_m_and_version():
    # A real process: `python -m drill` itself is what is checked.
    p = drill("--version")
    assert p.returncode == 0 and p.stdout.startswith("drill ")


def test_play_without_a_terminal_says_so_instead_of_hanging():
    p = subprocess.run([sys.executable, "-m", "drill"], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60, cwd=ROOT)
    one_line_error(p, "no terminal")
