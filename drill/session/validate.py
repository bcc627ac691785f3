"""`drill validate`: the schema, then what only running can show: every shipped play parses and
names real servers, flags and times, and the scenario's best play does contain the incident.

Only that last check simulates: a play's lines are checked against the scenario itself (its
servers, flags, injects and clock are the same in every difficulty), so the one full drill per
difficulty is each best play's own run, and difficulties that move the world alike share it. The
drills left are independent, so they run side by side, one forked process per core (`_side_by_side`)."""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from drill.scenario.loader import SCENARIO_FILE, ScenarioError, load
from drill.scenario.schema import PRESENTATION_FIELDS
from drill.session.headless import check_lines
from drill.session.plays import play_lines, plays_with_role, run_play
from drill.session.script import ScriptError, ScriptLine, read_script


def validate_actions_file(path: Path) -> list[str]:
    try:
        sc = load(str(path.parent if (path.parent / SCENARIO_FILE).is_file() else path.parent.parent))
        check_lines(sc, read_script(path), str(path))
    except (ScenarioError, ScriptError) as exc:
        return str(exc).splitlines()
    return []


def validate_scenario(path: Path) -> list[str]:
    try:
        sc = load(str(path))
    except ScenarioError as exc:
        return str(exc).splitlines()
    toml = sc.directory / SCENARIO_FILE
    problems: list[str] = []
    for name in sc.spec.plays:
        try:
            check_lines(sc, play_lines(sc, name, None), str(sc.directory / sc.spec.plays[name].file))
        except ScriptError as exc:
            problems.append(str(exc))
    if problems:
        return problems
    runs = _best_play_runs(sc)
    needed = list(dict.fromkeys(key for _, keys in runs for key in keys))
    outcomes = _side_by_side(lambda key: run_play(sc, key[0], key[1]).contained, needed)
    contained = dict(zip(needed, outcomes))
    for diff, keys in runs:
        if not keys:
            problems.append(f'{toml}: plays: no play with role "best" for difficulty {diff!r}')
        problems += [
            f"{toml}: plays.{key[0]}: the best play does not contain the incident ({diff} difficulty)"
            for key in keys
            if not contained[key]
        ]
    return problems


def _best_play_runs(sc) -> list[tuple[str, list[tuple]]]:
    """For each difficulty, the drills that show whether its best plays contain the incident: a
    (play, difficulty) each, the first difficulty that moves the world alike standing for the rest."""
    first: dict[tuple, tuple] = {}  # (play, what of the difficulty moves the world for it) -> its run
    runs = []
    for diff in sc.spec.difficulties:
        keys = []
        for name in plays_with_role(sc, "best", diff):
            same = (name, _mechanics(sc, diff, play_lines(sc, name, None)))
            keys.append(first.setdefault(same, (name, diff)))
        runs.append((diff, keys))
    return runs


def _side_by_side(fn: Callable, items: list) -> list:
    """[fn(item) for item in items], the items in forked processes, as many at once as there are
    cores. Where forking is not safe (no fork, or threads running) or a child gives no answer, the
    item runs here instead, so a failure raises just as it would have."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if len(items) < 2 or cores < 2 or not _can_fork():
        return [fn(item) for item in items]
    out = []
    for start in range(0, len(items), cores):
        batch = items[start : start + cores]
        children = [_fork(fn, item) for item in batch]
        out += [_answer(child) or [fn(item)] for child, item in zip(children, batch)]
    return [value for (value,) in out]


def _can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform.startswith("linux") and threading.active_count() == 1


def _fork(fn: Callable, item) -> tuple[int, int]:
    """A child computing fn(item), pickled onto a pipe: (its pid, the pipe's reading end)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer and leave, touching nothing of the parent's
        code = 1
        try:
            os.close(r)
            with os.fdopen(w, "wb") as fh:
                fh.write(pickle.dumps(fn(item)))
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    return pid, r


def _answer(child: tuple[int, int]) -> list | None:
    """[the child's value], or None when it gave none (it failed, or died)."""
    pid, r = child
    with os.fdopen(r, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return None
    return [pickle.loads(data)]


def _mechanics(sc, difficulty: str, lines: list[ScriptLine]) -> tuple:
    """What of a difficulty moves the world when this play runs in it: its non-presentational
    fields, and for each of the play's commands whether it is offered and how long it takes. Two
    difficulties with the same answer run the play to the same fleet, book and market, so one
    run shows whether it contains the incident in both (knightmare's standard and tutorial)."""
    d = sc.spec.difficulties[difficulty]
    rest = d.model_dump(exclude=PRESENTATION_FIELDS | {"controls", "action_seconds"})
    commands = tuple(
        (sl.at, sl.command.text, sl.command.verb in d.controls, sc.spec.action_ms(difficulty, sl.command.verb))
        for sl in lines
    )
    return repr(sorted(rest.items())), commands
