"""`drill join DRILL --name NAME --role ROLE`: one more console on a drill another console owns
(`drill play --crew NAME` opened it and printed its join code)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

CODE_ENV = "DRILL_CREW_CODE"  # the join code, for a script (a prompt asks otherwise)


def add_parser(subparsers) -> None:
    s = subparsers.add_parser(
        "join",
        help="join a drill being played, as one of its crew (a role, commands of your own)",
        description="A console on a drill another console owns: the same world, followed as it happens; "
        "every command you give is journaled with your name and role, and refused where your role "
        "may not give it. The join code is asked for (or read from $" + CODE_ENV + ").",
    )
    s.add_argument("drill", help="the drill's id (drill facilitate lists them) or its team's name")
    s.add_argument("--name", required=True, help="how the journal and the debrief name you")
    s.add_argument("--role", required=True, help="your role: the scenario's (commander, operator, communications)")


def _code() -> str:
    from drill.cli.args import UsageError

    code = os.environ.pop(CODE_ENV, None)
    if code is None:
        if not sys.stdin.isatty():
            raise UsageError(f"drill join: no join code: set ${CODE_ENV} or run in a terminal to be asked")
        try:
            import getpass

            code = getpass.getpass("drill join: the drill's join code: ")
        except EOFError:
            code = ""
    code = code.strip().upper()
    if not code:
        raise UsageError("drill join: no join code given")
    return code


def run(args) -> int:
    from drill.cli.args import EXIT_OK, UsageError, error_line
    from drill.hosting.channel import ChannelError
    from drill.hosting.crew import CrewDoor, JoinError, find_drill
    from drill.session.crew import CrewError, CrewMember

    try:
        member = CrewMember.of(args.name, args.role)
    except CrewError as exc:
        raise UsageError(f"drill join: --{exc}") from None
    try:
        entry = find_drill(args.drill)
    except JoinError as exc:
        raise UsageError(f"drill join: {exc}") from None
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("drill join: no terminal to play in")
    door = CrewDoor(entry["port"], _code(), member)
    try:
        joined = door.join()
    except (ChannelError, JoinError) as exc:
        raise UsageError(f"drill join: {exc}") from None
    from drill.cli.watch_cmd import check_journal
    from drill.session.rewind import Rewinder, RewindError
    from drill.tui import unwinding_on_hangup
    from drill.tui.screens.crew import CrewApp

    check_journal(Path(joined.journal))
    try:
        source = Rewinder(joined.journal, live=True)
    except RewindError as exc:
        raise UsageError(str(exc)) from None

    try:
        with unwinding_on_hangup():  # so the helper processes are ended below
            CrewApp(source, door, joined).run()
    except RewindError as exc:
        print(error_line(f"drill join: {exc}"), file=sys.stderr)
        return 1
    finally:
        source.close()
    return EXIT_OK
