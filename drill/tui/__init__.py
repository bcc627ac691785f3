"""The operator console (Textual). Textual is imported only when a console is actually run, so
`import drill.tui` stays cheap for the command line."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

__all__ = ["run_console", "bench_console"]


def run_console(scenario: str | None, difficulty: str | None, seed: int | None, speed: float,
                journal: str | None, paused: bool = False) -> int:
    """Play a drill in the terminal. Without a scenario, a picker comes first. Returns an exit code."""
    from drill.scenario import ScenarioError, load

    if speed <= 0:
        print(f"drill: speed must be positive, got {speed}", file=sys.stderr)
        return 2
    if seed is not None and not 0 <= seed < 2**63:
        print(f"drill: seed must be between 0 and 2**63-1, got {seed}", file=sys.stderr)
        return 2
    if scenario is not None:
        try:
            spec = load(scenario).spec
        except ScenarioError as exc:
            print(f"drill: {exc}", file=sys.stderr)
            return 2
        if difficulty is not None and difficulty not in spec.difficulties:
            print(f"drill: unknown difficulty {difficulty!r} for {spec.id} (have: {', '.join(spec.difficulties)})",
                  file=sys.stderr)
            return 2
    if journal is not None:
        Path(journal).expanduser().parent.mkdir(parents=True, exist_ok=True)

    from drill.tui.app import DrillApp

    app = DrillApp(scenario, difficulty, seed, speed, journal, paused)

    def hang_up(signum, _frame):
        # A closed terminal (SIGHUP) or a polite kill (SIGTERM): unwind like a quit, so the
        # drill still gets its end record. (SIGKILL cannot be caught: the journal, flushed per
        # line, already holds every command.)
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, hang_up) for sig in (signal.SIGHUP, signal.SIGTERM)}
    try:
        code = app.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        # However the app stopped (a quit, an exception, ctrl+c reaching us as KeyboardInterrupt),
        # a drill still running is ended so its journal gets its end record.
        if app.drill is not None and not app.drill.finished:
            app.drill.abandon()
    if app.drill is not None and app.drill.journal_path is not None:
        print(f"journal: {app.drill.journal_path}")
    return code if isinstance(code, int) else (app.return_code or 0)


def bench_console(json_out: bool = False, seconds: float = 25.0) -> dict:
    """Run the console headless through the historical knightmare morning at 60x and measure
    event-loop lag, screen updates per second and startup to first frame; return the figures.

    The caller prints them (`drill bench --tui [--json]`): a flat dict of figures, plus `targets`
    and `ok`. `drill.tui.bench.report(result, json_out)` formats them for people when wanted;
    `json_out` is accepted for the CLI's call and changes nothing in the figures."""
    from drill.tui.bench import run_bench

    return run_bench(seconds=seconds)
