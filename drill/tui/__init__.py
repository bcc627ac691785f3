"""The operator console (Textual). Textual is imported only when a console is actually run, so
`import drill.tui` stays cheap for the command line."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from drill.tui.startup import freeze_inherited_heap, starting_up

__all__ = ["run_console", "play", "bench_console", "unwinding_on_hangup", "starting_up"]


@contextmanager
def unwinding_on_hangup() -> Iterator[None]:
    """A closed terminal (SIGHUP) or a polite kill (SIGTERM) unwinds like a quit while the block
    runs, so `finally` clauses still end drills, journals and helper processes. (SIGKILL cannot be
    caught: journals are flushed per line for that.)"""

    def hang_up(signum, _frame):
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, hang_up) for sig in (signal.SIGHUP, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_console(
    scenario: str | None,
    difficulty: str | None,
    seed: int | None,
    speed: float,
    journal: str | None,
    paused: bool = False,
    team: str | None = None,
    channel: bool | None = None,
    crew: str | None = None,
) -> int:
    """Play a drill in the terminal. Without a scenario, a picker comes first. Returns an exit code.

    With `channel` the drill opens the facilitator's channel: its id and token are printed here,
    once, before the console takes the screen (with a team, the console waits for Enter so the
    facilitator can copy them). By default only a team's drill opens one: a solo drill has no
    facilitator, and a token printed for nobody is noise."""
    with starting_up():
        problem = _argument_problem(scenario, difficulty, seed, speed)
        if problem is not None:
            print(f"drill: {problem}", file=sys.stderr)
            return 2
        if journal is not None:
            Path(journal).expanduser().parent.mkdir(parents=True, exist_ok=True)

        from drill.tui.app import DrillApp

        if channel is None:
            # By default only a team's drill has a facilitator, and a crew's drill a channel to join by.
            channel = team is not None or crew is not None
        facilitation = _open_channel(team, crew) if channel else None
        app = DrillApp(scenario, difficulty, seed, speed, journal, paused, team=team, facilitation=facilitation)
        app.crew_name = crew
    code = play(app)
    _print_where_it_went(app, team)
    return code


def _argument_problem(scenario: str | None, difficulty: str | None, seed: int | None, speed: float) -> str | None:
    """What is wrong with the drill asked for, in one line, before any screen opens."""
    from drill.scenario import ScenarioError, load
    from drill.seeds import SEED_RANGE, is_seed

    if speed <= 0:
        return f"speed must be positive, got {speed}"
    if seed is not None and not is_seed(seed):
        return f"seed must be {SEED_RANGE}, got {seed}"
    if scenario is None:
        return None  # the picker offers only what exists
    try:
        spec = load(scenario).spec
    except ScenarioError as exc:
        more = f" (and {len(exc.problems) - 1} more: drill validate lists them all)" if len(exc.problems) > 1 else ""
        return f"{exc.problems[0]}{more}"
    if difficulty is not None and difficulty not in spec.difficulties:
        return f"unknown difficulty {difficulty!r} for {spec.id} (have: {', '.join(spec.difficulties)})"
    return None


def _open_channel(team: str | None, crew: str | None = None):
    """A fresh facilitator's channel, its id and token printed once (and a crew's join code, when
    the drill is open to a crew); a team's or crew's console waits for Enter so they can be copied."""
    from drill.hosting.hosted import Facilitation

    facilitation = Facilitation.fresh(crew=crew is not None)
    print(
        f"drill: facilitator channel: drill {facilitation.drill_id}, token {facilitation.token}\n"
        f"drill: (shown once, stored nowhere) attach with: drill facilitate, then type the token",
        file=sys.stderr,
    )
    if facilitation.crew_code is not None:
        print(
            f"drill: crew join code {facilitation.crew_code}: others join with "
            f"drill join {facilitation.drill_id} --name NAME --role ROLE",
            file=sys.stderr,
        )
    if (team is not None or crew is not None) and sys.stdin.isatty() and sys.stderr.isatty():
        try:
            input(f"drill: {'team ' + team if team else 'crew'}: press Enter to start the drill ")
        except EOFError:
            pass
    return facilitation


def _print_where_it_went(app, team: str | None) -> None:
    """The journal's path and the recorded result (or why it was not) once the console is gone."""
    from drill.tui.format import literal  # what a participant chose is printed, never obeyed

    if app.drill is not None and app.drill.journal_path is not None:
        print(literal(f"journal: {app.drill.journal_path}"))
    if app.result_id is not None:
        print(literal(f"result: #{app.result_id}{' for team ' + team if team else ''} (drill results --leaderboard)"))
    elif app.result_error:
        print(literal(f"drill: result not recorded: {app.result_error}"), file=sys.stderr)


def play(app) -> int:
    """Run a DrillApp to its end; a drill still running when it stops is ended (abandoned) and
    recorded, however it stopped (a quit, an exception, ctrl+c as KeyboardInterrupt, a closed
    terminal or a SIGTERM)."""

    freeze_inherited_heap()
    try:
        with unwinding_on_hangup():
            code = app.run()
    finally:
        # However the app stopped, a drill still running is ended so its journal gets its end
        # record, and the result is recorded.
        if app.drill is not None and not app.drill.finished:
            app.drill.abandon()
        app.record_result()
        if app.hosted is not None:  # the loop is gone; at least leave the registry
            app.hosted.unregister()
    return code if isinstance(code, int) else (app.return_code or 0)


def bench_console(json_out: bool = False, seconds: float = 25.0) -> dict:
    """Run the console headless through the historical knightmare morning at 60x and measure
    event-loop lag, screen updates per second and startup to first frame; return the figures.

    The caller prints them (`drill bench --tui [--json]`): a flat dict of figures, plus `targets`
    and `ok`. `drill.tui.bench.report(result, json_out)` formats them for people when wanted;
    `json_out` is accepted for the CLI's call and changes nothing in the figures."""
    from drill.tui.bench import run_bench

    return run_bench(seconds=seconds)
