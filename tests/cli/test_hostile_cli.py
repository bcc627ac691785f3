"""Issue 12 parts 3 and 4 on the command line: nothing blocks forever (FIFOs, special files, no
terminal), and hostile arguments are one line with exit code 2, never a traceback.

What could wait forever (a FIFO, a missing terminal) runs in a real process, under a timeout; so
does the first case of each family of hostile arguments (the exit code a shell sees). The rest
read only the exit code and what was printed: through `main` in this process (tests/inprocess.py)."""

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import ROOT, one_line_error
from tests.inprocess import drill_in_process


def _drill_quick(*args, timeout=60, **kw):
    # A FIFO must be refused at once: a hang shows as TimeoutExpired, never as a pass.
    return subprocess.run([sys.executable, "-m", "drill", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, stdin=subprocess.DEVNULL, **kw)


def _first_in_a_process(case, family, *args) -> subprocess.CompletedProcess:
    """A family's first case in a real `drill` process; the others through main in this one."""
    return (_drill_quick if case == family[0] else drill_in_process)(*args)


@pytest.fixture
def fifo(tmp_path):
    f = tmp_path / "fifo"
    os.mkfifo(f)
    return f


def test_run_with_a_fifo_journal_is_refused_at_once(fifo, tmp_path):
    one_line_error(_drill_quick("run", "knightmare", "--journal", fifo, "--results", tmp_path / "r.sqlite"),
                   "--journal", "not a regular file")


def test_play_with_a_fifo_journal_is_refused_at_once(fifo):
    one_line_error(_drill_quick("play", "knightmare", "--journal", fifo), "--journal", "not a regular file")


def test_debrief_with_a_fifo_out_is_refused_at_once(fifo, tmp_path):
    j = tmp_path / "j.jsonl"
    p = drill_in_process("run", "knightmare", "--journal", j, "--results", tmp_path / "r.sqlite")  # a journal to debrief
    assert p.returncode == 0, p.stderr
    one_line_error(_drill_quick("debrief", j, "--out", fifo), "--out", "not a regular file")


def test_a_journal_writer_never_waits_on_a_fifo(fifo):
    from drill.session.journal import JournalWriter

    with pytest.raises(OSError):
        JournalWriter(fifo)


def test_journal_to_a_device_other_than_dev_null_is_refused(tmp_path):
    # /dev/zero takes writes without end but never blocks: refused before the drill, in this process.
    one_line_error(drill_in_process("run", "knightmare", "--journal", "/dev/zero", "--results", tmp_path / "r.sqlite"),
                   "--journal", "not a regular file")


def test_results_dev_zero_is_refused_and_creates_nothing(tmp_path):
    one_line_error(_drill_quick("run", "knightmare", "--results", "/dev/zero", "--journal", tmp_path / "j.jsonl"),
                   "/dev/zero", "not a regular file")
    one_line_error(drill_in_process("results", "--results", "/dev/zero"), "/dev/zero", "not a regular file")
    assert not Path("/dev/zero-journal").exists() and not Path("/dev/zero-wal").exists()


def test_play_refuses_without_a_terminal():
    one_line_error(_drill_quick("play", "knightmare"), "drill play", "no terminal")
    # stdout a terminal but stdin not (input piped in): refused all the same.
    master, slave = pty.openpty()
    try:
        p = subprocess.run([sys.executable, "-m", "drill", "play", "knightmare"], stdout=slave,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, cwd=ROOT, timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert p.returncode == 2 and "no terminal" in p.stderr


HUGE_INTEGERS = [
    (["results", "--limit", "1" + "0" * 30], "--limit"),
    (["results", "--verify", "1" + "0" * 30], "--verify"),
    (["results", "--limit", "1e30"], "--limit"),
    (["results", "--verify", "1e30"], "--verify"),
]


@pytest.mark.parametrize("args, needle", HUGE_INTEGERS)
def test_huge_integers_are_one_line(args, needle, tmp_path):
    one_line_error(_first_in_a_process((args, needle), HUGE_INTEGERS, *args, "--results", tmp_path / "r.sqlite"), needle)


def test_calibrate_a_scenario_whose_play_does_not_fit_its_clock_is_one_line(tmp_path):
    """Found by the subcommand fuzzer: a ScriptError traceback."""
    from tests.hardening import support

    if "knightmare" not in support.scenario_ids():
        pytest.skip("built on knightmare")
    d = support.write_scenario("knightmare", support.tiny_data("knightmare"), tmp_path / "tiny")
    one_line_error(drill_in_process("calibrate", d), "historical.actions", "line")


def test_validate_never_prints_a_control_character_of_a_path(tmp_path):
    # A path that does not exist, and a scenario directory that validates, both named with escape
    # sequences: validate's lines name them with the control characters escaped, so a hostile
    # name cannot retitle or clear the terminal that runs it.
    evil = "nope\x1b]0;pwn\x07[/x]"
    p = drill_in_process("validate", evil)
    assert p.returncode == 2
    assert "\x1b" not in p.stderr and "\x07" not in p.stderr, repr(p.stderr)
    assert "nope\\x1b]0;pwn\\x07[/x]: file: not found" in p.stderr
    ok_dir = tmp_path / "evil\x1b[2Jscenario"
    import shutil

    shutil.copytree(ROOT / "scenarios" / "knightmare", ok_dir)
    p = drill_in_process("validate", ok_dir)
    assert p.returncode == 0, p.stderr
    assert "\x1b" not in p.stdout and "evil\\x1b[2Jscenario" in p.stdout, repr(p.stdout)


HUGE_ARGUMENTS = [
    ["results", "--verify", "x" * 100_000],
    ["results", "--limit", "x" * 100_000],
    ["run", "knightmare", "--seed", "x" * 100_000],
    ["run", "knightmare", "--seed", "9" * 100_000],
    ["play", "knightmare", "--speed", "x" * 100_000],
    ["serve", "--port", "x" * 100_000],
    ["run", "knightmare", "--no-such-option", "x" * 100_000],
]


@pytest.mark.parametrize("args", HUGE_ARGUMENTS)
def test_a_huge_argument_is_quoted_short_in_its_one_line(args, tmp_path):
    # 100,000 characters typed (or pasted) into an option: the one line names the option and
    # quotes a short part of what was typed, not all of it.
    store = ["--results", tmp_path / "r.sqlite"] if args[0] in ("results", "run") else []
    line = one_line_error(_first_in_a_process(args, HUGE_ARGUMENTS, *args, *store), args[-2])
    assert len(line) < 300, len(line)


HUGE_FILE_NAMES = [
    ["debrief", "a" * 100_000],
    ["replay", "a" * 100_000],
    ["validate", "a" * 100_000],
    ["watch", "a" * 100_000],
    ["validate", "b/" * 50_000],
]


@pytest.mark.parametrize("args", HUGE_FILE_NAMES)
def test_a_huge_file_name_is_cut_in_the_middle_of_its_one_line(args):
    # The start of what was typed and the end of the line (the field and the reason) both stay.
    line = one_line_error(_first_in_a_process(args, HUGE_FILE_NAMES, *args), args[-1][:20], "characters)")
    assert len(line) <= 400, len(line)
    assert line.endswith(("File name too long)", "File name too long", "not found")), line[-60:]
