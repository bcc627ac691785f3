"""`drill validate`: the schema, then what only running can show: every shipped play parses and
names real servers, flags and times, and the scenario's best play does contain the incident.

Only that last check simulates: a play's lines are checked against the scenario itself (its
servers, flags, injects and clock are the same in every difficulty), so the one full drill per
difficulty is each best play's own run."""

from __future__ import annotations

from pathlib import Path

from drill.scenario.loader import SCENARIO_FILE, ScenarioError, load
from drill.session.headless import check_lines
from drill.session.plays import play_lines, plays_with_role, run_play
from drill.session.script import ScriptError, read_script


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
    for diff in sc.spec.difficulties:
        best = plays_with_role(sc, "best", diff)
        if not best:
            problems.append(f"{toml}: plays: no play with role \"best\" for difficulty {diff!r}")
        for name in best:
            outcome = run_play(sc, name, diff)
            if not outcome.contained:
                problems.append(f"{toml}: plays.{name}: the best play does not contain the incident ({diff} difficulty)")
    return problems
