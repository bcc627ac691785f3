"""Shared pieces of the hardening suite: knobs (environment variables), a small TOML writer,
tiny variants of the bundled scenarios, random action scripts, and the checks every entry point
must pass (only documented errors, one line each).

Nothing here reads /work/shared or any file outside the repository.
"""

from __future__ import annotations

import atexit
import copy
import functools
import datetime as dt
import json
import math
import os
import random
import re
import shutil
import tempfile
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

from drill.commands import VERBS
from drill.scenario import bundled_ids, load
from drill.scenario.loader import SCENARIO_FILE, LoadedScenario
from drill.timefmt import fmt_clock, parse_clock

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
DRIVERS = HERE / "drivers"


# -- knobs ------------------------------------------------------------------------------------------
def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Hypothesis examples per fuzzed entry point. The default keeps `pytest tests/hardening` to a few
# minutes; the full run (10,000 per entry point) is done by hand: see docs/RELIABILITY.md.
FUZZ_EXAMPLES = env_int("DRILL_FUZZ_EXAMPLES", 150)
# Random action scripts per bundled scenario (dealt round-robin over its difficulties), each run
# in two processes and replayed. The full run uses 200.
REPLAY_SCRIPTS = env_int("DRILL_REPLAY_SCRIPTS", 3)
# Chunking cases per bundled scenario and difficulty (profiles rotate over the cases).
CHUNK_CASES = env_int("DRILL_CHUNK_CASES", 1)
# Where the random scripts come from (printed on failure, so any case can be re-run).
SEED = env_int("DRILL_HARDENING_SEED", 20120801)
# DRILL_FUZZ_RANDOM=1: fresh random examples each run (the default is derandomized, so CI is stable).
RANDOM = os.environ.get("DRILL_FUZZ_RANDOM", "") not in ("", "0")
# DRILL_FUZZ_STRICT=1: known engine bugs (tests/hardening/known_bugs.py) fail the fuzzers too.
STRICT = os.environ.get("DRILL_FUZZ_STRICT", "") not in ("", "0")


# What each fuzzer saw, printed at the end of the run (tests/hardening/conftest.py).
STATS: dict[str, Counter] = defaultdict(Counter)


def count(entry: str, outcome: str) -> None:
    STATS[entry]["cases"] += 1
    STATS[entry][outcome] += 1


# -- scenarios --------------------------------------------------------------------------------------
_FROZEN = Path(tempfile.mkdtemp(prefix="drill-hardening-scenarios-"))
atexit.register(shutil.rmtree, _FROZEN, True)


@functools.lru_cache(maxsize=None)
def scenario_ids() -> list[str]:
    """The bundled scenarios that load, frozen: each is copied once, at first use, into a private
    directory, and the suite works on the copies. Scenarios being edited while the suite runs then
    cannot change under it. One that does not load is left to
    test_limits.py::test_every_bundled_scenario_loads (and tests/scenario)."""
    from drill.scenario import ScenarioError
    from drill.scenario.loader import bundled_root

    ids = []
    for sid in bundled_ids():
        dest = _FROZEN / sid
        shutil.copytree(bundled_root() / sid, dest, ignore=shutil.ignore_patterns("__pycache__"))
        try:
            load(str(dest))
        except ScenarioError:
            shutil.rmtree(dest)
            continue
        ids.append(sid)
    assert ids, "no bundled scenario loads"
    return ids


def scenario_dir(sid: str) -> Path:
    assert sid in scenario_ids(), sid
    return _FROZEN / sid


@functools.lru_cache(maxsize=None)
def scenario(sid: str) -> LoadedScenario:
    """A bundled scenario, from the suite's frozen copy."""
    return load(str(scenario_dir(sid)))


def scenario_cases() -> list[tuple[str, str]]:
    """(scenario id, difficulty) for every bundled scenario: new scenarios are covered as they land."""
    return [(sid, diff) for sid in scenario_ids() for diff in scenario(sid).spec.difficulties]


@functools.lru_cache(maxsize=None)
def toml_text(sid: str) -> str:
    return (scenario_dir(sid) / SCENARIO_FILE).read_text(encoding="utf-8")


def toml_data(sid: str) -> dict:
    return tomllib.loads(toml_text(sid))


def copy_scenario_dir(sid: str, dest: Path) -> Path:
    """Copy a bundled scenario's directory (Markdown, plays) so a mutated scenario.toml has its
    companions."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(scenario_dir(sid), dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _clock_fields(obj, path=()):
    """Paths of every value the schema reads as a time of day (strings HH:MM[:SS] or TOML times)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _clock_fields(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _clock_fields(v, path + (i,))
    elif isinstance(obj, dt.time) or (isinstance(obj, str) and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", obj)):
        yield path, obj


def tiny_data(sid: str, before_open_s: int = 120, after_open_s: int = 150) -> dict:
    """The scenario squeezed into a few simulated minutes around its open: every time of day in
    the file is clamped into the short window. Cheap enough to run thousands of times."""
    data = copy.deepcopy(toml_data(sid))
    open_ms = parse_clock(data["clock"]["open"])
    lo, hi = open_ms - before_open_s * 1000, open_ms + after_open_s * 1000
    for path, value in list(_clock_fields(data)):
        if path[0] == "clock":
            continue
        t = parse_clock(value)
        t = min(max(t, lo), hi)
        node = data
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = fmt_clock(t)
    data["clock"].update(world_start=fmt_clock(lo), start=fmt_clock(lo + 30_000), open=fmt_clock(open_ms), end=fmt_clock(hi))
    # Windows that the clamp collapsed to nothing get one second.
    for group in (data.get("flows", []), data.get("timeline", {}).get("streams", [])):
        for item in group:
            if "start" in item and "end" in item and parse_clock(item["start"]) >= parse_clock(item["end"]):
                item["start"] = fmt_clock(max(lo, parse_clock(item["end"]) - 1000))
                if parse_clock(item["start"]) >= parse_clock(item["end"]):
                    item["end"] = fmt_clock(parse_clock(item["start"]) + 1000)
    # Lessons' deadlines must lie inside start..end.
    for lesson in data.get("lessons", []):
        check = lesson.get("check", {})
        if "before" in check:
            check["before"] = fmt_clock(min(max(parse_clock(check["before"]), lo + 30_000), hi))
    return data


def write_scenario(sid: str, data: dict | None, dest: Path, text: str | bytes | None = None) -> Path:
    """A scenario directory at dest: the bundled scenario's companions plus the given scenario.toml
    (as data, or as raw text or bytes)."""
    copy_scenario_dir(sid, dest)
    target = dest / SCENARIO_FILE
    if text is None:
        text = dumps(data)
    if isinstance(text, str):
        target.write_bytes(text.encode("utf-8", "surrogatepass"))
    else:
        target.write_bytes(text)
    return dest


def tiny_scenario(sid: str, dest: Path) -> LoadedScenario:
    write_scenario(sid, tiny_data(sid), dest)
    return load(str(dest))


# -- a TOML writer (enough for scenario files; the test dependencies have no TOML writer) ------------
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _tstr(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04X}")
        else:
            out.append(ch)  # lone surrogates pass through: written with surrogatepass they are garbage bytes
    out.append('"')
    return "".join(out)


def _tkey(k) -> str:
    k = str(k)
    return k if _BARE.match(k) else _tstr(k)


def _tval(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        r = repr(v)
        return r if ("." in r or "e" in r) else r + ".0"
    if isinstance(v, str):
        return _tstr(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_tval(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_tkey(k)} = {_tval(x)}" for k, x in v.items()) + " }"
    if v is None:
        return '""'  # TOML has no null: the nearest wrong value
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dumps(data: dict) -> str:
    """Top-level keys as `key = value` lines; tables and arrays of tables inline."""
    return "".join(f"{_tkey(k)} = {_tval(v)}\n" for k, v in data.items())


# -- random action scripts ------------------------------------------------------------------------
def _one_command(rng: random.Random, spec) -> str:
    servers = list(spec.fleet.servers)
    flags = list(spec.flags) or ["NOFLAG"]
    verb = rng.choice(sorted(VERBS))
    if verb == "resolve" and rng.random() < 0.7:
        verb = "inspect"  # resolve ends most drills: keep it rarer
    args = []
    for a in VERBS[verb].args:
        if a.optional and rng.random() < 0.5:
            continue
        if a.kind == "server":
            s = rng.choice(servers)
            args.append(s.upper() if rng.random() < 0.1 else s)
        elif a.kind == "flag":
            args.append(rng.choice(flags))
        elif a.kind == "alert":
            args.append(f"A{rng.randint(1, 6)}")
        elif a.kind == "percent":
            args.append(str(rng.randint(1, 100)))
        elif a.kind == "speed":
            args.append(rng.choice(["1", "2", "5", "10", "30", "60"]))
        elif a.kind == "inject":
            ids = [i.id for i in getattr(spec, "injects", [])] or ["x"]
            args.append(rng.choice(ids))
        elif a.kind == "text":
            args.append(" ".join(rng.choice(["check", "the", "odd", "server", "ratio", "now"]) for _ in range(rng.randint(1, 5))))
        else:  # a kind this suite does not know yet: the checker below weeds out what it refuses
            args.append(rng.choice(["1", "50", "100", "x", *servers, *flags]))
    return " ".join([verb, *args])


def random_commands(rng: random.Random, spec, n: int, check=None) -> list[str]:
    """n random commands of the vocabulary for this scenario. `check(text)` (raising CommandError
    for a line the scenario refuses, e.g. Session.check) keeps only well-formed ones."""
    from drill.commands import CommandError, parse_command

    out = []
    for _ in range(n):
        for _try in range(50):
            text = _one_command(rng, spec)
            if check is None:
                break
            try:
                check(parse_command(text))
                break
            except CommandError:
                continue
        else:
            text = "hint"  # always well-formed (refused where the difficulty has no hints)
        out.append(text)
    return out


def random_script(rng: random.Random, spec, n: int | None = None, check=None) -> str:
    """An actions file: random commands at random times between the drill's start and end,
    sometimes several at the same instant."""
    n = rng.randint(0, 12) if n is None else n
    start, end = spec.clock.start, spec.clock.end
    times = sorted(rng.randint(start // 1000, end // 1000) * 1000 for _ in range(n))
    for i in range(1, len(times)):
        if rng.random() < 0.15:
            times[i] = times[i - 1]  # bursts: several commands in the same second
    cmds = random_commands(rng, spec, n, check)
    return "".join(f"{fmt_clock(t)} {c}\n" for t, c in zip(times, cmds))


def submit(session, command):
    """Submit as whoever may issue the verb (a script's facilitator lines act as the facilitator,
    as headless runs do)."""
    import inspect

    from drill.commands import Command, parse_command

    cmd = command if isinstance(command, Command) else parse_command(command)
    role = getattr(VERBS[cmd.verb], "role", "trainee")
    if "by" in inspect.signature(session.submit).parameters:
        return session.submit(cmd, by=role)
    return session.submit(cmd)


def checker(sc: LoadedScenario):
    """Session.check for this scenario (no time passes: the session is never advanced)."""
    from drill.session import Session

    return Session(sc).check


def random_seed(rng: random.Random, spec) -> int | None:
    r = rng.random()
    if r < 0.2:
        return None  # the scenario's own seed
    if r < 0.3:
        return rng.choice([0, 1, 2**63 - 1])
    return rng.randrange(0, 2**63)


# -- contracts ----------------------------------------------------------------------------------------
# Characters that break a message out of its one line, or drive the terminal (escape sequences).
_BREAKING = {chr(c) for c in range(0x20) if c != 0x09} | {"\x7f"} | {chr(c) for c in range(0x80, 0xA0)} | {"\u2028", "\u2029"}


def clean_line(message: str) -> bool:
    """One printable line: nothing that ends the line or drives the terminal."""
    return bool(message.strip()) and not any(ch in _BREAKING for ch in message)


def problem_issue(problem, toml_path: Path | None = None) -> str | None:
    """Check a scenario problem: it names a file and a field (or line), then says what is wrong.
    Returns the id of a known bug it shows, or None; fails on anything new."""
    text = str(problem)
    assert problem.file and problem.where and problem.message, text
    if toml_path is not None:
        assert problem.file.startswith(str(toml_path.parent)), text
    if not (clean_line(problem.where) and clean_line(problem.message)):
        return "field-path-control-chars"  # a key with a control character is echoed raw
    return None


def journal_records(path: Path) -> list[dict]:
    """The records of a journal, minus the one field allowed to differ between runs (when)."""
    recs = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            rec.pop("written", None)
            recs.append(rec)
    return recs
