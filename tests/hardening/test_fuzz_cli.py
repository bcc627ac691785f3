"""Fuzzing the command line in-process: drill.cli.main.main(argv) with random subcommands,
options and values, pointing at good files, mutated scenario directories, mutated actions files,
mutated journals and nasty paths. The contract (README): exit 0, 1 only for a replay that
diverged, 2 for bad input with ONE line on stderr naming the file and the line or field; never a
traceback. A few real subprocesses prove the exit codes outside pytest (each code a shell can see
once; the other cases of that table run through main in this process, tests/inprocess.py).

Not fuzzed here: the console itself (`play` runs with the console stubbed out: everything up to
opening it is checked), `bench` with valid options (a benchmark, seconds each), and argv holding
NUL (the OS cannot pass one). Special files (/dev/zero, FIFOs) have their own tests
(test_known_bugs.py, tests/cli/test_hostile_cli.py); the other subcommands are fuzzed in
test_fuzz_subcommands.py."""

from __future__ import annotations

import atexit
import functools
import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import drill.tui
from drill.cli.main import main
from drill.session.headless import run_script
from drill.session.script import parse_script
from tests.hardening import support
from tests.hardening.known_bugs import known, known_text
from tests.hardening.strategies import NASTY_STRINGS, action_files, mutate_journal, scenario_files
from tests.inprocess import drill_in_process

SETTINGS = settings(max_examples=support.FUZZ_EXAMPLES, deadline=None, derandomize=not support.RANDOM,
                    suppress_health_check=list(HealthCheck), database=None)
WORK = Path(tempfile.mkdtemp(prefix="drill-fuzz-cli-"))

atexit.register(shutil.rmtree, WORK, True)


@pytest.fixture(autouse=True)
def _no_console(monkeypatch):
    """`play` stops where the console would open: everything before it is the CLI's."""
    monkeypatch.setattr(drill.tui, "run_console", lambda *a, **k: 0)


@functools.lru_cache(maxsize=None)
def fixtures() -> dict:
    """Good files to point at: tiny scenario directories, an actions file, journals."""
    rng = random.Random(support.SEED)
    out = {"scenarios": [], "actions": [], "journals": []}
    for sid in support.scenario_ids():
        sc = support.tiny_scenario(sid, WORK / f"tiny-{sid}")
        out["scenarios"].append(str(sc.directory))
        a = WORK / f"{sid}.actions"
        a.write_text(support.random_script(rng, sc.spec, 4, support.checker(sc)))
        out["actions"].append(str(a))
        j = WORK / f"{sid}.jsonl"
        run_script(sc, None, None, parse_script(a.read_text()), j)
        out["journals"].append(str(j))
    return out


NASTY_PATHS = ["", " ", "-", "--", "-x", ".", "..", "/", "/nonexistent/x", "/proc/nope/x", "/etc", "/dev/null",
               "nosuch", "KNIGHTMARE", "knightmare/", "knightmare.toml", "x.actions", "x.jsonl", "x.toml",
               "a" * 255, "é/ü", "🔥", "\udcff.jsonl", "\u202e.jsonl", "~/x", "$HOME", "*", "scenario.toml"]


def _nul_free(s: str) -> str:
    return s.replace("\x00", "")


@st.composite
def path_value(draw, kind: str):
    f = fixtures()
    choice = draw(st.sampled_from(["good", "good", "mutated", "nasty", "text"]))
    if choice == "good":
        pool = {"scenario": f["scenarios"] + [str(support.scenario_dir(s)) for s in support.scenario_ids()] + ["knightmare"],
                "actions": f["actions"],
                "journal": f["journals"]}[kind]
        return draw(st.sampled_from(pool))
    if choice == "nasty":
        return draw(st.sampled_from(NASTY_PATHS + ["a" * 300]))
    if choice == "text":
        return _nul_free(draw(st.text(max_size=20)))
    # A mutated file written for this example.
    n = draw(st.integers(0, 10**9))
    if kind == "scenario":
        sid, _base, _how, content = draw(scenario_files())
        d = WORK / "mut" / f"s{n}"
        support.write_scenario(sid, None, d, text=content)
        return str(d)
    if kind == "actions":
        p = WORK / "mut" / f"a{n}.actions"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(draw(action_files()))
        return str(p)
    base = [json.loads(ln) for ln in Path(draw(st.sampled_from(f["journals"]))).read_text().splitlines()]
    p = WORK / "mut" / f"j{n}.jsonl"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(draw(mutate_journal(base)))
    return str(p)


INTS = ["0", "1", "-1", "7", "0x10", "0o17", "0b1", "1_000", " 5", "5 ", "+5", "1e3", "1.0", "", "nan", "inf",
        str(2**63 - 1), str(2**63), str(-(2**63)), "9" * 5000, "٣", "²", "0" * 100 + "1"]
SPEEDS = ["1", "0", "-1", "0.001", "600", "600.1", "601", "1e308", "inf", "nan", "-inf", "1e-320", "x", "", "60", "６０"]
REPEATS = ["0", "-1", "51", "100", "x", "", "1.5", "9" * 5000]


@st.composite
def argv(draw) -> list[str]:
    cmd = draw(st.sampled_from([None, "list", "run", "run", "run", "replay", "replay", "validate", "play",
                                "bench", "frobnicate", "", "RUN", "-h", "--version"]))
    args: list[str] = [] if cmd is None else [cmd]
    if cmd == "list":
        args += draw(st.lists(st.sampled_from(["--json", "--xml", "-j", "extra"]), max_size=2))
    elif cmd in ("run", "play"):
        if draw(st.integers(0, 9)):
            args.append(draw(path_value("scenario")))
        for _ in range(draw(st.integers(0, 4))):
            opt = draw(st.sampled_from(["--difficulty", "--seed", "--actions", "--journal", "--json", "--speed",
                                        "--paused", "--bogus", "--diff", "--j", "-x", "--seed="]))
            args.append(opt)
            if opt in ("--difficulty", "--diff"):
                args.append(draw(st.sampled_from(["historical", "standard", "Historical", "", "nightmare", "ü", "a" * 300])))
            elif opt == "--seed":
                args.append(draw(st.sampled_from(INTS)))
            elif opt == "--actions":
                args.append(draw(path_value("actions")))
            elif opt == "--journal":
                n = draw(st.integers(0, 10**9))
                args.append(draw(st.sampled_from([str(WORK / "out" / f"j{n}.jsonl"), str(WORK / "out"), "/proc/nope/j",
                                                  str(WORK / "out" / "deep" / "er" / f"{n}.jsonl"), "/dev/null", ""])))
            elif opt == "--speed":
                args.append(draw(st.sampled_from(SPEEDS)))
    elif cmd == "replay":
        if draw(st.integers(0, 9)):
            args.append(draw(path_value("journal")))
        args += draw(st.lists(st.sampled_from(["--json", "--verbose", "extra"]), max_size=2))
    elif cmd == "validate":
        kinds = draw(st.lists(st.sampled_from(["scenario", "actions", "journal"]), max_size=3))
        args += [draw(path_value(k)) for k in kinds]
    elif cmd == "bench":
        args += ["--repeat", draw(st.sampled_from(REPEATS))] if draw(st.booleans()) else ["--bogus"]
    if draw(st.integers(0, 19)) == 0:
        args.insert(draw(st.integers(0, len(args))), _nul_free(draw(st.text(max_size=8))))
    return args


class _Stream(io.TextIOWrapper):
    def isatty(self) -> bool:
        return False


def run_main(args: list[str]) -> tuple[int, str, str, BaseException | None]:
    """main(argv) with stdout strict UTF-8 (as under a UTF-8 locale) and stderr as Python sets it."""
    out = _Stream(io.BytesIO(), encoding="utf-8", errors="strict")
    err = _Stream(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    exc = None
    try:
        try:
            rc = main(list(args))
        except SystemExit as e:  # argparse's --help and --version
            rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
        except BaseException as e:  # noqa: BLE001
            rc, exc = -1, e
    finally:
        sys.stdout, sys.stderr = old
    out.flush()
    err.flush()
    return rc, out.buffer.getvalue().decode("utf-8", "replace"), err.buffer.getvalue().decode("utf-8", "replace"), exc


def check_cli(args: list[str]) -> str:
    rc, out, err, exc = run_main(args)
    if exc is not None:
        bug = known(exc)
        if bug:
            return f"known:{bug}"
        raise AssertionError(f"main({args!r:.300}) raised {type(exc).__name__}: {exc!s:.300}") from exc
    cmd = next((a for a in args if a in ("run", "replay", "validate", "list", "play", "bench")), None)
    assert rc in (0, 1, 2), (rc, args)
    assert "Traceback" not in err
    if rc == 1:
        assert cmd == "replay" and ("DIVERGED" in out or '"ok": false' in out), (args, out)
        return "exit 1 (diverged)"
    if rc == 0:
        return "exit 0"  # stderr may carry notes (where the journal went, the results store)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines, (args, err)
    if cmd == "validate":
        return "exit 2"  # one line per problem, by design (tests/scenario/test_validation.py)
    if len(lines) != 1:
        raw_args = " ".join(args)
        if any(c in raw_args for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029") and known_text("path-control-chars"):
            return "known:path-control-chars"
        if all(": " in ln for ln in lines) and known_text("multi-problem-lines"):
            return "known:multi-problem-lines"
        raise AssertionError(f"{len(lines)} lines on stderr for {args!r:.300}: {err!r:.500}")
    return "exit 2"


@SETTINGS
@given(args=argv())
def test_fuzz_command_line(args):
    support.count("command line", check_cli(args))


def test_good_command_lines_succeed():
    f = fixtures()
    for scen, actions, journal in zip(f["scenarios"], f["actions"], f["journals"]):
        assert check_cli(["run", scen, "--actions", actions, "--json"]) == "exit 0"
        assert check_cli(["replay", journal]) == "exit 0"
    assert check_cli(["list", "--json"]) == "exit 0"
    assert check_cli(["--version"]) == "exit 0"


# -- real processes: the exit codes and stderr a shell sees -------------------------------------------
def _drill(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "drill", *args], capture_output=True, text=True, timeout=120,
                          cwd=support.ROOT, stdin=subprocess.DEVNULL)


EXIT_CODES = [
    (["run", "{scenario}", "--actions", "{actions}", "--json"], 0),
    (["replay", "{journal}"], 0),
    (["run", "{scenario}", "--seed", str(2**63)], 2),
    (["run", "{scenario}", "--difficulty", "nightmare"], 2),
    (["run", "{scenario}", "--actions", "{bad_actions}"], 2),
    (["replay", "{bad_journal}"], 2),
    (["replay", "{diverging_journal}"], 1),
    (["run", "{bad_scenario}"], 2),
    (["bench", "--repeat", "0"], 2),
    (["--frobnicate"], 2),
]
# In a real process: a drill that ends well (0), a divergence (1), argparse's refusal and a bad
# file's (2). The others only print their line: through main in this process.
IN_A_REAL_PROCESS = [EXIT_CODES[i] for i in (0, 2, 4, 6)]


@pytest.mark.parametrize("args, code", EXIT_CODES)
def test_exit_codes_and_one_line_errors(args, code, tmp_path):
    f = fixtures()
    bad_actions = tmp_path / "bad.actions"
    bad_actions.write_bytes(b"09:31:00 stop smars-1\n\xff\xfe\n")
    bad_journal = tmp_path / "bad.jsonl"
    bad_journal.write_text('{"type": "header"}\n')
    diverging = tmp_path / "div.jsonl"
    recs = [json.loads(ln) for ln in Path(f["journals"][0]).read_text().splitlines()]
    recs[-1]["outcome"]["loss_usd"] = -1.0
    diverging.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    bad_scenario = support.write_scenario(support.scenario_ids()[0], None, tmp_path / "badsc", text=b"id = [\n")
    subs = {"{scenario}": f["scenarios"][0], "{actions}": f["actions"][0], "{journal}": f["journals"][0],
            "{bad_actions}": str(bad_actions), "{bad_journal}": str(bad_journal),
            "{diverging_journal}": str(diverging), "{bad_scenario}": str(bad_scenario)}
    argv = [subs.get(a, a) for a in args]
    p = _drill(*argv) if (args, code) in IN_A_REAL_PROCESS else drill_in_process(*argv)
    assert p.returncode == code, (p.returncode, p.stdout[-500:], p.stderr[-500:])
    assert "Traceback" not in p.stderr
    if code == 2:
        assert len([ln for ln in p.stderr.splitlines() if ln.strip()]) == 1, p.stderr
