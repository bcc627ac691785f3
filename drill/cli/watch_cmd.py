"""`drill watch JOURNAL` and `drill watch --live DRILL`: the trainee's console, read-only, over a
recorded drill (seek, pause, 1x to 60x) or a drill still being played (following its journal)."""

from __future__ import annotations

import sys
from pathlib import Path

MAX_WATCH_SPEED = 60.0


def add_parser(subparsers) -> None:
    from drill.cli.args import speed as _speed  # the shared argument type

    s = subparsers.add_parser(
        "watch",
        help="watch a drill read-only: a journal (seek, pause, 1x-60x) or, with --live, one being played",
        description="The trainee's console over a re-simulated journal. Nothing typed is sent anywhere: "
        "space plays/pauses, + and - change the speed, , and . move a minute, [ and ] jump between "
        "the trainee's commands, 'seek HH:MM' goes anywhere.",
    )
    s.add_argument("journal", nargs="?", help="the drill's journal (a .jsonl file)")
    s.add_argument(
        "--live",
        metavar="DRILL",
        help="follow a drill being played: its id from the registry of running drills, or its journal",
    )
    s.add_argument("--speed", type=_speed, default=1.0, help="1 to 60 (default 1)")
    s.add_argument("--paused", action="store_true", help="start with the clock paused")
    s.add_argument("--at", help="start at this time (HH:MM or HH:MM:SS)")


def live_journal(drill: str) -> Path:
    """A running drill's journal: `drill` is its id in the registry (drill.hosting.channel) or a
    journal's path."""
    from drill.cli.args import UsageError
    from drill.hosting.channel import running_drills

    path = Path(drill)
    if path.is_file():
        return path
    entry = next((d for d in running_drills() if d["id"] == drill), None)
    if entry is None:
        raise UsageError(
            f"drill watch: --live: no running drill {drill!r} here and no such journal "
            "(drill facilitate lists the running drills)"
        )
    journal = entry.get("journal")
    if not isinstance(journal, str):
        raise UsageError(
            f"drill watch: --live: drill {drill} does not say where its journal is (a drill "
            "started by an older drill); give its journal's path instead"
        )
    return Path(journal)


def check_journal(path: Path) -> None:
    """The journal can be watched, or one line saying why not (UsageError)."""
    from drill.cli.args import UsageError
    from drill.scenario import ScenarioError
    from drill.session.journal import JournalError, read
    from drill.session.replay import scenario_for

    try:
        journal = read(path)
        scenario = scenario_for(journal)
    except JournalError as exc:
        raise UsageError(str(exc)) from None
    except ScenarioError as exc:
        raise UsageError(f"{path}: header.scenario: {str(exc).splitlines()[0]}") from None
    if not scenario.replays(journal.header["scenario_hash"]):
        raise UsageError(
            f"{path}: header.scenario_hash: scenario {scenario.id!r} has changed since this drill "
            "was played; it cannot be re-simulated"
        )


def _checked_start(args) -> int | None:
    """Check the arguments that need no file; where to start watching (--at), if given."""
    from drill.cli.args import UsageError
    from drill.timefmt import parse_clock

    if (args.journal is None) == (args.live is None):
        raise UsageError("drill watch: give a JOURNAL, or --live DRILL (not both)")
    if not 1 <= args.speed <= MAX_WATCH_SPEED:
        raise UsageError(f"drill watch: --speed: must be from 1 to {MAX_WATCH_SPEED:g}")
    if args.at is None:
        return None
    try:
        return parse_clock(args.at)
    except ValueError:
        raise UsageError(f"drill watch: --at: not a time (HH:MM or HH:MM:SS): {args.at!r}") from None


def run(args) -> int:
    from drill.cli.args import EXIT_OK, UsageError, error_line

    at = _checked_start(args)
    path = live_journal(args.live) if args.live is not None else Path(args.journal)
    check_journal(path)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("drill watch: no terminal to watch in ('drill replay JOURNAL' checks a journal headless)")
    from drill.session.rewind import Rewinder, RewindError
    from drill.tui import unwinding_on_hangup
    from drill.tui.screens.watch import WatchApp

    try:
        source = Rewinder(path, live=args.live is not None)
    except RewindError as exc:
        raise UsageError(str(exc)) from None

    try:
        with unwinding_on_hangup():  # so the helper processes are ended below
            app = WatchApp(source, speed=args.speed, paused=args.paused, live=args.live is not None, at=at)
            app.run()
    except RewindError as exc:
        print(error_line(f"drill watch: {exc}"), file=sys.stderr)
        return 1
    finally:
        source.close()
    return EXIT_OK
