"""Run a whole drill without a screen: an actions script against a session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from drill.commands import VERBS, CommandError
from drill.scenario.loader import LoadedScenario
from drill.session.scoring import Outcome
from drill.session.script import ScriptError, ScriptLine
from drill.session.session import Session, check_command
from drill.timefmt import fmt_clock


def check_script(session: Session, lines: list[ScriptLine], name: str) -> list[ScriptLine]:
    """Validate every line against the scenario before anything runs."""
    return check_lines(session.scenario, lines, name, session.now)


def check_lines(
    scenario: LoadedScenario, lines: list[ScriptLine], name: str, start: int | None = None
) -> list[ScriptLine]:
    """Validate every line against the scenario, from `start` (the drill's clock; by default
    where a drill's clock starts) to its end. Needs no world: `drill validate` checks plays
    without simulating a morning for each."""
    start = scenario.spec.clock.start if start is None else start
    end = scenario.spec.clock.end
    checked = []
    for sl in lines:
        if sl.at < start:
            raise ScriptError(
                f"{name}: line {sl.line}: {fmt_clock(sl.at)} is before the drill's clock starts ({fmt_clock(start)})"
            )
        if sl.at > end:
            raise ScriptError(
                f"{name}: line {sl.line}: {fmt_clock(sl.at)} is after the scenario ends ({fmt_clock(end)})"
            )
        try:
            checked.append(ScriptLine(sl.line, sl.at, check_command(scenario, sl.command)))
        except CommandError as exc:
            raise ScriptError(f"{name}: line {sl.line}: {exc}") from None
    return checked


def run_script(
    scenario: LoadedScenario,
    difficulty: str | None,
    seed: int | None,
    lines: list[ScriptLine],
    journal: str | Path | None = None,
    script_name: str = "<actions>",
    on_end: Callable[[Session], None] | None = None,
) -> Outcome:
    """`on_end`, if given, is called with the finished session once its journal is closed."""
    session = Session(scenario, difficulty, seed, journal)
    try:
        for sl in check_script(session, lines, script_name):
            session.advance_to(sl.at)
            if session.finished:
                break
            # Scripts are written by authors and facilitators: a facilitator's verb acts as one.
            session.submit(sl.command, by=VERBS[sl.command.verb].role)
            if session.finished:
                break
        outcome = session.run_to_end()
    finally:
        session.close()
    if on_end is not None:
        on_end(session)
    return outcome
