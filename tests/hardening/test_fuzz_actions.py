"""Fuzzing the action-line parser: actions files of valid, mixed and garbage lines (odd times,
separators, Unicode look-alikes, every line-break character splitlines knows, invalid UTF-8).
parse_script/read_script return lines or raise ScriptError as one line naming the file and the
line; check_script against a real session does the same; a script that passes both runs to the
end of a (tiny) drill without any exception. Session.submit, the console's door, raises only
CommandError for any text."""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drill.commands import CommandError
from drill.session import Session
from drill.session.headless import check_script, run_script
from drill.session.script import ScriptError, parse_script, read_script
from tests.hardening import support
from tests.hardening.known_bugs import known
from tests.hardening.strategies import action_files, action_line

SETTINGS = settings(max_examples=support.FUZZ_EXAMPLES, deadline=None, derandomize=not support.RANDOM,
                    suppress_health_check=list(HealthCheck), database=None)
WORK = Path(tempfile.mkdtemp(prefix="drill-fuzz-actions-"))
NAME = "fuzz.actions"

atexit.register(shutil.rmtree, WORK, True)


@functools.lru_cache(maxsize=None)
def tiny(sid: str):
    return support.tiny_scenario(sid, WORK / f"tiny-{sid}")


def check_script_error(exc: ScriptError, name: str, n_lines: int | None) -> None:
    msg = str(exc)
    assert support.clean_line(msg.replace(name, "", 1)), repr(msg)
    assert msg.startswith(name + ": "), msg
    m = re.match(re.escape(name) + r": (line (\d+)|file): ", msg)
    assert m, msg
    if m.group(2) and n_lines is not None:
        assert 1 <= int(m.group(2)) <= n_lines, msg


def check_actions(content: bytes, sid: str, difficulty_pick: int) -> str:
    path = WORK / NAME
    path.write_bytes(content)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    n_lines = len(text.splitlines()) if text is not None else None
    # The parser on text, and the reader on the file: the same verdict.
    try:
        lines = read_script(path)
    except ScriptError as exc:
        check_script_error(exc, str(path), n_lines)
        if text is not None:
            with pytest.raises(ScriptError):
                parse_script(text, NAME)
        return "ScriptError(parse)"
    assert text is not None, "a file that is not UTF-8 was read"
    assert parse_script(text, NAME) == lines
    sc = tiny(sid)
    diffs = list(sc.spec.difficulties)
    diff = diffs[difficulty_pick % len(diffs)]
    try:
        checked = check_script(Session(sc, diff), lines, NAME)
    except ScriptError as exc:
        check_script_error(exc, NAME, n_lines)
        return "ScriptError(check)"
    try:
        outcome = run_script(sc, diff, None, checked, None, NAME)
    except Exception as exc:  # noqa: BLE001
        bug = known(exc)
        if bug:
            return f"known:{bug}"
        raise
    assert len(outcome.actions) <= len(checked)
    return "ran"


@SETTINGS
@given(content=action_files(), sid=st.sampled_from(support.scenario_ids()), pick=st.integers(0, 9))
def test_fuzz_action_files(content, sid, pick):
    support.count("action parser", check_actions(content, sid, pick))


@SETTINGS
@given(text=action_line() | st.text(max_size=80), sid=st.sampled_from(support.scenario_ids()))
def test_fuzz_console_command_line(text, sid):
    """What a trainee types goes through Session.submit: a Submission or CommandError, nothing else."""
    line = text.split(" ", 1)[-1] if re.match(r"^\S*:\S* ", text) else text
    s = _session(sid)
    try:
        sub = s.submit(line)
    except CommandError as exc:
        assert support.clean_line(str(exc).replace(line, "")), repr(str(exc))
        support.count("console command", "CommandError")
        return
    assert sub.command.verb
    support.count("console command", "accepted" if sub.accepted else "refused")


@functools.lru_cache(maxsize=None)
def _session(sid: str) -> Session:
    # One session per scenario, left at its open: commands pile up as a trainee's would.
    sc = tiny(sid)
    s = Session(sc, list(sc.spec.difficulties)[-1])
    s.advance_to(sc.spec.clock.open)
    return s
