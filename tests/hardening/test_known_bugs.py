"""Regression tests for the bugs the hardening suite found. Each test states the contract the code
meets; a bug not fixed yet is a strict xfail here (the fix makes it XPASS, which fails the suite
until the mark comes off). None is open now."""

from __future__ import annotations

import copy
import json
import os
import resource
import subprocess
import sys

import pytest

from drill.cli.main import main
from drill.scenario import ScenarioError, load
from drill.session import Session
from drill.session.headless import run_script
from drill.session.journal import JournalError, read
from drill.session.replay import replay
from drill.session.script import parse_script
from tests.hardening import support
from tests.hardening.test_fuzz_cli import run_main


def xfail(bug: str, raises=None):
    from tests.hardening.known_bugs import KNOWN, KNOWN_TEXT

    reason = KNOWN[bug][0] if bug in KNOWN else KNOWN_TEXT.get(bug, bug)
    return pytest.mark.xfail(strict=True, reason=reason, raises=raises)


def one_line_exit_2(args: list[str]) -> str:
    rc, out, err, exc = run_main(args)
    if exc is not None:
        raise exc
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2 and len(lines) == 1 and "Traceback" not in err, (rc, err)
    return lines[0]


def _scenario(tmp_path, text: str | bytes | None = None, data: dict | None = None):
    sid = support.scenario_ids()[0]
    return support.write_scenario(sid, data, tmp_path / "sc", text=text)


def _base_text() -> str:
    sid = support.scenario_ids()[0]
    return support.toml_text(sid)


# -- scenario loader ------------------------------------------------------------------------------
def test_deeply_nested_toml_is_a_scenario_error(tmp_path):
    d = _scenario(tmp_path, text=_base_text() + "\nx = " + "[" * 5000 + "\n")
    with pytest.raises(ScenarioError):
        load(str(d))


def test_an_integer_of_5000_digits_is_a_scenario_error(tmp_path):
    d = _scenario(tmp_path, text=_base_text() + "\nx = " + "9" * 5000 + "\n")
    with pytest.raises(ScenarioError):
        load(str(d))


def test_an_empty_lesson_command_is_a_scenario_error(tmp_path):
    data = copy.deepcopy(support.toml_data(support.scenario_ids()[0]))
    data["lessons"] = data.get("lessons") or []
    data["lessons"].append({"id": "x", "title": "t", "expected": "e", "keep": "k", "change": "c", "why": "w",
                            "check": {"kind": "avoid_command", "commands": [" "]}})
    with pytest.raises(ScenarioError) as err:
        load(str(_scenario(tmp_path, data=data)))
    assert any("lessons" in p.where or "lessons" in p.message for p in err.value.problems)


def test_duplicated_missed_servers_are_refused_or_played(tmp_path):
    """deploy.missed = every server plus one duplicate passes validation, then crashes the engine
    for any seed but the scenario's own (rng.choice without replacement, more picks than servers).
    Either refusing duplicates in the schema or playing it is a fix."""
    data = copy.deepcopy(support.toml_data(support.scenario_ids()[0]))
    servers = data["fleet"]["servers"]
    data["deploy"]["missed"] = servers + servers[:1]
    data["deploy"]["move_with_seed"] = True
    try:
        sc = load(str(_scenario(tmp_path, data=data)))
    except ScenarioError:
        return
    Session(sc, None, 1)


def test_a_key_with_a_newline_or_escape_is_not_echoed_raw(tmp_path):
    data = copy.deepcopy(support.toml_data(support.scenario_ids()[0]))
    data["market"]["evil\n\x1b[2Jkey"] = 1
    with pytest.raises(ScenarioError) as err:
        load(str(_scenario(tmp_path, data=data)))
    assert all(support.clean_line(str(p)) for p in err.value.problems), repr(str(err.value))


# -- journal reader and replay ----------------------------------------------------------------------
def _journal(tmp_path) -> list[dict]:
    sid = support.scenario_ids()[0]
    sc = support.tiny_scenario(sid, tmp_path / "tiny")
    p = tmp_path / "base.jsonl"
    run_script(sc, None, None, parse_script(""), p)
    return [json.loads(ln) for ln in p.read_text().splitlines()]


def test_deeply_nested_json_in_a_journal_is_a_journal_error(tmp_path):
    recs = _journal(tmp_path)
    p = tmp_path / "j.jsonl"
    p.write_text(json.dumps(recs[0]) + "\n" + "[" * 100_000 + "\n" + json.dumps(recs[-1]) + "\n")
    with pytest.raises(JournalError):
        read(p)


def test_an_integer_of_5000_digits_in_a_journal_is_a_journal_error(tmp_path):
    recs = _journal(tmp_path)
    p = tmp_path / "j.jsonl"
    p.write_text(json.dumps(recs[0]) + "\n" + '{"type": "command", "seq": 1, "t": ' + "9" * 5000 + ', "command": "hint"}\n')
    with pytest.raises(JournalError):
        read(p)


def test_result_records_with_odd_seq_are_a_journal_error_or_a_divergence(tmp_path):
    recs = [r for r in _journal(tmp_path) if r["type"] != "end"]
    p = tmp_path / "j.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in recs + [{"type": "result", "seq": "1"}, {"type": "result", "seq": [1]}]) + "\n")
    try:
        report = replay(p)
    except JournalError:
        return
    assert not report.ok


@pytest.mark.parametrize("field", ["scenario_path", "scenario"])
def test_a_journal_naming_an_overlong_path_is_a_clean_error(field, tmp_path):
    recs = _journal(tmp_path)
    recs[0][field] = "a" * 300
    if field == "scenario":
        recs[0].pop("scenario_path", None)
    p = tmp_path / "j.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    if field == "scenario":
        one_line_exit_2(["replay", str(p)])
        return
    # An unusable scenario_path falls back to the bundled scenario of the same id: the replay
    # then runs, and says in one line whether it reproduced the drill.
    rc, out, err, exc = run_main(["replay", str(p)])
    assert exc is None and rc in (0, 1) and "Traceback" not in err
    assert len([ln for ln in out.splitlines() if ln.strip()]) == 1


# -- command line ----------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [["run", "a" * 300], ["validate", "a" * 300], ["play", "a" * 300],
                                  ["run", "{scenario}", "--journal", "{tmp}/" + "a" * 300]],
                         ids=["run", "validate", "play", "journal"])
def test_an_overlong_file_name_gives_one_line_and_exit_2(args, tmp_path, monkeypatch):
    import drill.tui

    monkeypatch.setattr(drill.tui, "run_console", lambda *a, **k: 0)
    sc = support.tiny_scenario(support.scenario_ids()[0], tmp_path / "tiny")
    args = [a.replace("{scenario}", str(sc.directory)).replace("{tmp}", str(tmp_path)) for a in args]
    one_line_exit_2(args)


def test_run_on_a_scenario_with_two_problems_prints_one_line(tmp_path):
    data = copy.deepcopy(support.toml_data(support.scenario_ids()[0]))
    del data["title"]
    del data["summary"]
    one_line_exit_2(["run", str(_scenario(tmp_path, data=data))])


def test_a_file_name_with_a_newline_stays_on_one_line(tmp_path):
    one_line_exit_2(["run", str(support.scenario_dir(support.scenario_ids()[0])), "--actions", str(tmp_path / "no\nsuch.actions")])


def _drill(args, timeout, env=None, limit_as: int | None = None):
    def pre():
        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))

    return subprocess.run([sys.executable, "-m", "drill", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=support.ROOT, preexec_fn=pre, env=env, stdin=subprocess.DEVNULL)


def _one_line_2(p):
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode == 2 and len(lines) == 1 and "Traceback" not in p.stderr, (p.returncode, p.stderr[-800:])


@pytest.mark.parametrize("args", [["run", "{sid}", "--actions", "/dev/zero"], ["replay", "/dev/zero"],
                                  ["validate", "/dev/zero"]], ids=["actions", "replay", "validate"])
def test_special_files_are_refused_not_read_forever(args):
    args = [a.replace("{sid}", str(support.scenario_dir(support.scenario_ids()[0]))) for a in args]
    _one_line_2(_drill(args, timeout=60, limit_as=1_500_000_000))


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "x.actions"
    os.mkfifo(fifo)
    _one_line_2(_drill(["run", str(support.scenario_dir(support.scenario_ids()[0])), "--actions", str(fifo)], timeout=5))


def test_a_full_disk_while_journaling_is_one_line_not_a_traceback(tmp_path):
    sc = support.tiny_scenario(support.scenario_ids()[0], tmp_path / "tiny")
    p = _drill(["run", str(sc.directory), "--journal", "/dev/full"], timeout=120)
    assert "Traceback" not in p.stderr and p.returncode != 0, p.stderr[-800:]
    assert len([ln for ln in p.stderr.splitlines() if ln.strip()]) == 1, p.stderr[-800:]


def test_a_journal_path_with_undecodable_bytes_prints_without_crashing(tmp_path):
    sc = support.tiny_scenario(support.scenario_ids()[0], tmp_path / "tiny")
    j = os.path.join(os.fsencode(tmp_path), b"\xff.jsonl")
    run_script(sc, None, None, parse_script(""), os.fsdecode(j))
    env = dict(os.environ, PYTHONIOENCODING="utf-8:strict")
    p = subprocess.run([sys.executable, "-m", "drill", "replay", j], capture_output=True, timeout=120,
                       cwd=support.ROOT, env=env)
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr[-800:]


# -- limits: work a file within every byte limit can still ask for ------------------------------------
def _slow_but_valid() -> dict:
    """Every count and rate within its bound, no runaway flag at all: 198,000 healthy parents of
    100,000 lots routed at 1 lot a second never fill, so all of them stay live for twelve hours.
    Measured on the current engine: cost per simulated minute grows with the live parents (0.04 s
    per minute at 2,800 live, 0.1 s at 8,200): about 18 minutes of CPU for the whole drill."""
    d = copy.deepcopy(support.toml_data("knightmare"))
    d["clock"].update(world_start="08:00:00", start="08:00:00", open="08:00:01", end="20:00:00")
    d["fleet"]["servers"] = [f"s{i}" for i in range(64)]
    d["deploy"]["missed"] = []
    d["behaviours"].update(route_child_lots_per_s=1)
    d["flows"] = [{"name": f"f{i}", "rate_per_min": 5.5, "start": "08:00:00", "end": "20:00:00",
                   "qty_lots": [100000, 100000]} for i in range(50)]
    d["timeline"] = {"streams": [], "events": []}
    d["lessons"], d["plays"] = [], {}
    for key in ("calibration", "injects"):
        d.pop(key, None)
    return d


@pytest.mark.skipif("knightmare" not in support.scenario_ids(), reason="built on knightmare")
def test_a_valid_file_cannot_ask_for_minutes_of_work(tmp_path):
    d = support.write_scenario("knightmare", _slow_but_valid(), tmp_path / "slow")
    with pytest.raises(ScenarioError) as err:
        load(str(d))
    assert any("flows" in p.where or "flows" in p.message for p in err.value.problems), str(err.value)


def test_an_actions_file_with_tens_of_thousands_of_commands_is_refused(tmp_path):
    sid = support.scenario_ids()[0]
    start = support.scenario(sid).spec.clock.start
    from drill.timefmt import fmt_clock

    p = tmp_path / "many.actions"
    p.write_text(f"{fmt_clock(start)} hint\n" * 70_000)
    assert p.stat().st_size < 1_000_000  # within the byte limit
    from drill.session.script import ScriptError, read_script

    with pytest.raises(ScriptError):
        read_script(p)


def test_a_journal_with_a_hundred_thousand_commands_is_refused(tmp_path):
    recs = _journal(tmp_path)
    head = recs[0]
    start = support.scenario(support.scenario_ids()[0]).spec.clock.start
    p = tmp_path / "many.jsonl"
    line = json.dumps({"type": "command", "seq": 0, "t": start, "at": "", "command": "hint"})
    with open(p, "w") as fh:
        fh.write(json.dumps(head) + "\n")
        for _ in range(100_000):
            fh.write(line + "\n")
    with pytest.raises(JournalError):
        read(p)


@pytest.mark.parametrize("by", [None, "auditor", 1])
def test_a_command_record_with_an_odd_by_is_a_journal_error_or_a_divergence(by, tmp_path):
    recs = [r for r in _journal(tmp_path) if r["type"] != "end"]
    start = load(str(tmp_path / "tiny")).spec.clock.start
    cmd = {"type": "command", "seq": 1, "t": start, "at": "", "command": "hint", "by": by}
    p = tmp_path / "j.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in [recs[0], cmd]) + "\n")
    try:
        report = replay(p)
    except JournalError:
        return
    assert not report.ok


def test_a_journal_to_dev_null_is_accepted(tmp_path):
    """`--journal /dev/null` (keep no journal) ends in OSError(EINVAL) from os.fsync at close."""
    sc = support.tiny_scenario(support.scenario_ids()[0], tmp_path / "tiny")
    rc, out, err, exc = run_main(["run", str(sc.directory), "--journal", "/dev/null"])
    if exc is not None:
        raise exc
    assert rc == 0, err


@pytest.mark.parametrize("where", ["outcome-key", "command-after-the-end"])
def test_tampered_journal_text_is_not_echoed_raw(where, tmp_path):
    recs = _journal(tmp_path)
    if where == "outcome-key":
        recs[-1]["outcome"]["\x1f\x1b[2J"] = None
    else:
        recs = [r for r in recs if r["type"] != "end"]
        recs.append({"type": "command", "seq": 1, "t": 10**12, "at": "", "command": "\x1b[2J hint"})
    p = tmp_path / "j.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    rc, out, err, exc = run_main(["replay", str(p)])
    assert exc is None and rc == 1, (rc, out, err)
    assert all(support.clean_line(ln) for ln in out.splitlines() if ln.strip()), repr(out)
