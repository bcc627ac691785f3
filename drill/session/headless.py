"""Run a whole drill without a screen: an actions script against a session."""

from __future__ import annotations

from pathlib import Path

from drill.commands import VERBS, CommandError
from drill.scenario.loader import LoadedScenario
from drill.session.scoring import Outcome
from drill.session.script import ScriptError, ScriptLine
from drill.session.session import Session
from drill.timefmt import fmt_clock


def check_script(session: Session, lines: list[ScriptLine], name: str) -> list[ScriptLine]:
    """Validate every line against the scenario before anything runs."""
    checked = []
    for sl in lines:
        if sl.at < session.now:
            raise ScriptError(f"{name}: line {sl.line}: {fmt_clock(sl.at)} is before the drill's clock starts ({session.clock})")
        if sl.at > session.end:
            raise ScriptError(f"{name}: line {sl.line}: {fmt_clock(sl.at)} is after the scenario ends ({fmt_clock(session.end)})")
        try:
            checked.append(ScriptLine(sl.line, sl.at, session.check(sl.command)))
        except CommandError as exc:
            raise ScriptError(f"{name}: line {sl.line}: {exc}") from None
    return checked


def run_script(scenario: LoadedScenario, difficulty: str | None, seed: int | None, lines: list[ScriptLine],
               journal: str | Path | None = None, script_name: str = "<actions>") -> Outcome:
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
        return session.run_to_end()
    finally:
        session.close()
