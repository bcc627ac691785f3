"""Broken scenario files: exit 2, one clear line per problem naming the file and the field.
The first broken case runs `drill validate` in a real process (the exit code a shell sees); the
other checks read only the exit code and what was printed, through main in this one
(tests/inprocess.py)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drill.scenario import ScenarioError, bundled_ids, load
from tests.inprocess import drill_in_process

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "scenarios" / "knightmare"


def broken(tmp_path, old: str, new: str) -> Path:
    d = tmp_path / "broken"
    shutil.copytree(SOURCE, d)
    toml = d / "scenario.toml"
    text = toml.read_text()
    assert old in text, old
    toml.write_text(text.replace(old, new, 1))
    return d


CASES = [
    # (what, old, new, field named in the message)
    ("syntax error", 'universe = 310', 'universe = = 310', "line"),
    ("wrong type", 'universe = 310', 'universe = "many"', "market.universe"),
    ("missing field", 'capital_usd = 365_000_000', '', "firm.capital_usd"),
    ("dangling release", 'current_release = "smars-2012.08-rlp"', 'current_release = "smars-2099"', "fleet.current_release"),
    ("dangling server", 'missed = ["smars-8"]', 'missed = ["smars-99"]', "deploy.missed"),
    ("dangling flag", 'flag = "RLP"', 'flag = "NOPE"', "flows.1.flag"),
    ("unknown behaviour", 'behaviour = "runaway_untracked"', 'behaviour = "teleport"', "releases.0.flags.RLP"),
    ("absurd rate", 'rate_per_min = 96', 'rate_per_min = 1e9', "flows.0.rate_per_min"),
    ("absurd universe", 'universe = 310', 'universe = 10000000', "market.universe"),
    ("runaway work", 'rate_per_min = 7.14', 'rate_per_min = 1000', "flows"),
    ("negative size", 'qty_lots = [1, 5]', 'qty_lots = [-1, 5]', "flows.1"),
    ("time outside", 'at = "09:34:00"', 'at = "23:59:00"', "timeline.events"),
    ("unknown control", '"cancel-open", "resolve"]', '"cancel-open", "resolve", "format-disk"]', "difficulties.historical.controls"),
    ("typo in a key", 'haircut_pct = 2.0', 'haircutt_pct = 2.0', "market.haircutt_pct"),
    ("bad time", 'open = "09:30:00"', 'open = "9.30"', "clock.open"),
]


@pytest.mark.parametrize("what, old, new, field", CASES, ids=[c[0] for c in CASES])
def test_broken_scenario_is_refused_with_a_line_naming_file_and_field(tmp_path, what, old, new, field):
    d = broken(tmp_path, old, new)
    with pytest.raises(ScenarioError) as err:
        load(str(d))
    assert any(str(d / "scenario.toml") in str(p) and field in str(p) for p in err.value.problems), str(err.value)
    if what == CASES[0][0]:
        p = subprocess.run([sys.executable, "-m", "drill", "validate", str(d)], capture_output=True, text=True, timeout=60)
    else:
        p = drill_in_process("validate", d)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert lines and all(ln.startswith(str(d / "scenario.toml") + ": ") for ln in lines), p.stderr
    assert any(field in ln for ln in lines)


def test_missing_briefing_file_is_named(tmp_path):
    d = tmp_path / "broken"
    shutil.copytree(SOURCE, d)
    (d / "briefing.md").unlink()
    with pytest.raises(ScenarioError) as err:
        load(str(d))
    assert "briefing.md" in str(err.value) and "not found" in str(err.value)


def test_every_bundled_scenario_validates():
    assert "knightmare" in bundled_ids()
    for sid in bundled_ids():
        sc = load(sid)
        assert sc.briefing and sc.runbook and len(sc.content_hash) == 64


def test_knightmare_is_as_the_record_sets_it():
    spec = load("knightmare").spec
    assert spec.default_difficulty == "historical"
    assert set(spec.difficulties) >= {"historical", "standard"}
    h, s = spec.difficulties["historical"], spec.difficulties["standard"]
    assert "kill-switch" not in h.controls and not h.alerts and not h.runbook
    assert "kill-switch" in s.controls and s.alerts and s.runbook
    assert spec.fleet.servers == [f"smars-{i}" for i in range(1, 9)]
    assert spec.deploy.missed == ["smars-8"]


def test_validate_runs_the_best_play_and_refuses_one_that_does_not_contain(tmp_path):
    d = tmp_path / "broken"
    shutil.copytree(SOURCE, d)
    (d / "plays" / "best.actions").write_text("09:25:00 logs {faulty_server}\n")
    p = drill_in_process("validate", d)
    assert p.returncode == 2
    assert "plays.best: the best play does not contain the incident" in p.stderr


def test_validate_names_a_play_line_that_breaks(tmp_path):
    d = tmp_path / "broken"
    shutil.copytree(SOURCE, d)
    (d / "plays" / "best.actions").write_text("09:25:00 stop smars-42\n")
    p = drill_in_process("validate", d)
    assert p.returncode == 2
    assert p.stderr.strip() == f"{d / 'plays' / 'best.actions'}: line 1: stop: unknown server 'smars-42' (servers: {', '.join(f'smars-{i}' for i in range(1, 9))})"


def test_a_missing_play_file_is_named(tmp_path):
    d = tmp_path / "broken"
    shutil.copytree(SOURCE, d)
    (d / "plays" / "none.actions").unlink()
    with pytest.raises(ScenarioError) as err:
        load(str(d))
    assert "plays.none.file" in str(err.value)


def _broken_twice(tmp_path) -> Path:
    d = broken(tmp_path, 'missed = ["smars-8"]', 'missed = ["smars-99"]')
    toml = d / "scenario.toml"
    text = toml.read_text()
    assert 'default_difficulty = "historical"' in text
    toml.write_text(text.replace('default_difficulty = "historical"', 'default_difficulty = "nope"', 1))
    return d


def test_every_broken_reference_is_reported_not_only_the_first(tmp_path):
    d = _broken_twice(tmp_path)
    with pytest.raises(ScenarioError) as err:
        load(str(d))
    assert [(p.where, p.message) for p in err.value.problems] == [
        ("deploy.missed", "no server 'smars-99' in fleet.servers"),
        ("default_difficulty", "no difficulty 'nope'"),
    ]
    p = drill_in_process("validate", d)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 2, p.stderr


def test_a_command_other_than_validate_prints_the_first_problem_and_the_count(tmp_path):
    """The one-line contract: the first problem, and how many more `drill validate` lists."""
    d = _broken_twice(tmp_path)
    p = drill_in_process("run", d)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    (line,) = p.stderr.strip().splitlines()
    assert line == (f"{d / 'scenario.toml'}: deploy.missed: no server 'smars-99' in fleet.servers "
                    "(and 1 more: drill validate lists them all)")


def test_a_refusal_text_may_name_only_a_trainee_command(tmp_path):
    d = broken(tmp_path, 'refusals = { "kill-switch"', 'refusals = { "format-disk" = "no", "kill-switch"')
    with pytest.raises(ScenarioError) as err:
        load(str(d))
    assert any(p.where == "refusals" and "format-disk" in p.message for p in err.value.problems), str(err.value)


class Runs:
    """Every drill validate runs (play, difficulty), each appended to a file as it starts: validate
    runs them in forked processes, whose lists the test would never see."""

    def __init__(self, path: Path):
        self.path = path

    def __call__(self) -> list[tuple[str, str]]:
        text = self.path.read_text() if self.path.exists() else ""
        return [tuple(line.split(" ", 1)) for line in text.splitlines()]  # type: ignore[misc]


def counting_runs(monkeypatch, tmp_path) -> Runs:
    """Record every drill validate runs (play, difficulty), running them as it would."""
    import drill.session.validate as validate

    runs = Runs(tmp_path / "runs.txt")
    real = validate.run_play

    def run_play(sc, name, difficulty=None, seed=None, journal=None):
        with runs.path.open("a") as fh:
            fh.write(f"{name} {difficulty}\n")
        return real(sc, name, difficulty, seed, journal)

    monkeypatch.setattr(validate, "run_play", run_play)
    return runs


def test_validate_runs_one_drill_per_difficulty_that_moves_the_world_differently(monkeypatch, tmp_path):
    # Knightmare's standard and tutorial differ only in what the trainee is shown and told (the
    # coach, `hint`): the best play runs once for both; historical (one operator, slow inspect) apart.
    from drill.session.validate import validate_scenario

    runs = counting_runs(monkeypatch, tmp_path)
    assert validate_scenario(SOURCE) == []
    assert sorted(runs()) == [("best", "historical"), ("best", "standard")]


def test_validate_keeps_apart_a_difficulty_that_refuses_a_command_of_the_play(tmp_path, monkeypatch):
    # Without `deploy` the tutorial's best play cannot fix the server: its own run must show that.
    from drill.session.validate import validate_scenario

    controls = ('"rollback", "disable-flag", "enable-flag", "cancel-open", "kill-switch", "ack", "hint", "resolve"]')
    d = broken(tmp_path, '"start-all", "deploy",\n            ' + controls, '"start-all",\n            ' + controls)
    runs = counting_runs(monkeypatch, tmp_path)
    problems = validate_scenario(d)
    assert sorted(runs()) == [("best", "historical"), ("best", "standard"), ("best", "tutorial")]
    assert problems == [f"{d / 'scenario.toml'}: plays.best: the best play does not contain the incident (tutorial difficulty)"]


def _square_and_pid(n: int) -> tuple[int, int]:
    import os

    return n * n, os.getpid()


def check_side_by_side_in_order() -> None:
    """What a process with no other thread running does (forking is safe there)."""
    import os

    from drill.session.validate import _side_by_side

    parent = os.getpid()
    found = _side_by_side(_square_and_pid, [1, 2, 3, 4, 5])
    assert [value for value, _ in found] == [1, 4, 9, 16, 25]  # in the order given, batch after batch
    if len(os.sched_getaffinity(0)) >= 2:  # one core: they run here, one after another
        assert all(pid != parent for _, pid in found)  # each in a process of its own


def test_validate_runs_its_drills_side_by_side_in_order_and_a_failure_raises_as_it_would_alone():
    import multiprocessing
    import os
    import threading

    from drill.session.validate import _side_by_side

    parent = os.getpid()
    if threading.active_count() == 1:
        check_side_by_side_in_order()
    else:  # an earlier test in this worker left a pool's thread running: check it in a fresh process
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(1) as pool:
            pool.apply(check_side_by_side_in_order)

    def fails_on_three(n):
        if n == 3:
            raise ValueError("three")
        return n

    with pytest.raises(ValueError, match="three"):  # the failed item ran again here, and raised
        _side_by_side(fails_on_three, [1, 2, 3])

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:  # a thread is running: forking is not safe, everything runs here
        assert _side_by_side(lambda n: os.getpid(), [1, 2]) == [parent, parent]
    finally:
        stop.set()
        other.join()
