"""`drill validate`: the schema, then what only running can show: every shipped play parses and
names real servers, flags and times, and the scenario's best play does contain the incident.

Only that last check simulates: a play's lines are checked against the scenario itself (its
servers, flags, injects and clock are the same in every difficulty), so the one full drill per
difficulty is each best play's own run."""

from __future__ import annotations

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
    contained: dict[tuple, bool] = {}  # by (play, what of the difficulty moves the world for it)
    for diff in sc.spec.difficulties:
        best = plays_with_role(sc, "best", diff)
        if not best:
            problems.append(f'{toml}: plays: no play with role "best" for difficulty {diff!r}')
        for name in best:
            key = (name, _mechanics(sc, diff, play_lines(sc, name, None)))
            if key not in contained:
                contained[key] = run_play(sc, name, diff).contained
            if not contained[key]:
                problems.append(
                    f"{toml}: plays.{name}: the best play does not contain the incident ({diff} difficulty)"
                )
    return problems


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
