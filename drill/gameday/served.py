"""One browser tab's drill: the program `drill serve` has textual-serve start for each connection.

    python -B -m drill.gameday.served [--scenario ID] [--difficulty NAME] [--seed N] [--speed X] [--ranked] [--pooled]

It accepts no paths: the scenario is a bundled id, the journal goes to the data directory, and
before anything else the process confines its writes there (drill.gameday.confine). The tab
starts at the picker, which asks for the team (and offers only the scenario, difficulty and seed
given here, if any). The facilitator's channel token comes from the key `drill serve` put in the
environment (drill.hosting.hosted), which is removed at once so nothing this process starts can
inherit it.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn

from drill.commands import MAX_SPEED
from drill.gameday.confine import confine_writes
from drill.hosting.hosted import KEY_ENV, Facilitation, crew_code_for, fingerprint
from drill.paths import data_dir
from drill.seeds import SEED_RANGE, is_seed


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from drill.scenario import bundled_ids

    p = _Parser(prog="drill-served", description="One served drill (started by drill serve).")
    p.add_argument("--scenario", choices=bundled_ids(), help="a bundled scenario's id (no paths)")
    p.add_argument("--difficulty")
    p.add_argument("--seed", type=int)
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--ranked", action="store_true", help="only the facilitator pauses or changes the speed")
    p.add_argument("--pooled", action="store_true", help="a pre-started tab: build the drill before its browser comes")
    args = p.parse_args(argv)
    if args.difficulty is not None and args.scenario is None:
        p.error("--difficulty needs --scenario")
    if args.seed is not None and not is_seed(args.seed):
        p.error(f"--seed: must be {SEED_RANGE}")
    if not 0 < args.speed <= MAX_SPEED:
        p.error(f"--speed: must be above 0 and at most {MAX_SPEED:g}")
    if args.scenario is not None and args.difficulty is not None:
        from drill.scenario import load

        if args.difficulty not in load(args.scenario).spec.difficulties:
            p.error(f"--difficulty: {args.difficulty!r} is not a difficulty of {args.scenario}")
    return args


# A Unix socket's path is at most 107 bytes. The debrief's worker pool (a multiprocessing fork
# server) binds one in a directory "pymp-" plus 8 random characters under the temporary directory,
# named "listener-" plus 8 random characters: 32 bytes after the temporary directory's own path.
SOCKET_PATH_MAX = 107
RANDOM_NAME_CHARS = 8  # what multiprocessing's mkdtemp and its listener add to their prefixes
FORK_SERVER_SOCKET_TAIL = len("/pymp-") + RANDOM_NAME_CHARS + len("/listener-") + RANDOM_NAME_CHARS


def confine() -> None:
    """Confine this process's writes to the data directory, and name it absolutely."""
    import tempfile

    root = confine_writes(data_dir())
    os.environ["DRILL_DATA_DIR"] = str(root)  # absolute from here on, whatever the working directory
    if len(os.fsencode(tempfile.gettempdir())) + FORK_SERVER_SOCKET_TAIL > SOCKET_PATH_MAX:
        # A data directory with a long path (a deep home, a test's scratch directory) made the
        # fork server's socket path too long ("AF_UNIX path too long"): the debrief failed and took
        # the tab with it. The working directory is the data directory and stays so, so the same
        # temporary directory named relatively is the same place, and its sockets' paths are short.
        # (Python 3.11's mkdtemp keeps a relative name relative; from 3.12 it returns an absolute
        # one and this no longer shortens the path: tests/gameday/test_tab_ends.py would fail.)
        tempfile.tempdir = os.path.relpath(tempfile.gettempdir(), root)


def run(args: argparse.Namespace, key: str | None) -> int:
    """Play one tab's drill (the process is already confined)."""
    from drill import results

    facilitation = Facilitation.served(key) if key else None
    # Its result is signed with a key derived from serve's (the row says "served"; a row changed
    # afterwards fails its signature and is not ranked).
    signing = results.signing_key(key) if key else None
    # A second tab of a team whose drill is live joins it (drill.gameday.crewjoin): the crew's
    # code of a drill of this serve is derived from the key, which the partial keeps.
    crew_code_of = functools.partial(crew_code_for, key) if key else None
    served_by = fingerprint(key) if key else None
    del key

    from drill.tui import play

    app = served_app_class()(
        args.scenario,
        args.difficulty,
        args.seed,
        args.speed,
        None,
        served=True,
        facilitation=facilitation,
        ranked=args.ranked,
    )
    app.signing_key = signing
    app.served_by, app.crew_code_of = served_by, crew_code_of
    app.pooled = args.pooled
    return play(app)


def served_app_class():
    """The console app of a served tab: where the facilitator has created teams (drill.gameday.teams),
    the picker's team field takes a join code and the drill plays under that code's team. A
    pre-started tab (`pooled`) builds the served drill before its browser comes (drill.gameday.ahead)."""
    import dataclasses

    from drill.gameday import ahead, teams
    from drill.gameday.crewjoin import join_if_live

    class ServedApp(ahead.BuildsAhead):
        served_by: str | None = None  # the fingerprint of serve's key
        crew_code_of: Callable[[str], str] | None = None  # a drill id -> its crew's join code

        def _picked(self, choice) -> None:
            try:
                known = teams.load()
            except teams.TeamError:
                # Closed, not open: a damaged file must not let anyone play as any team.
                self.notify(
                    "The game day's teams file is damaged: tell the facilitator.",
                    title="Cannot check join codes",
                    severity="error",
                    timeout=10,
                )
                self._pick()
                return
            if choice is not None and known:
                name = teams.team_for(choice.team or "", known)
                if name is None:
                    self.team = None
                    self.notify(
                        "Type your team's join code in the Team field (the facilitator has it).",
                        title="Not a join code of this game day",
                        severity="error",
                        timeout=10,
                    )
                    self._pick()
                    return
                choice = dataclasses.replace(choice, team=name)
            code_of = self.crew_code_of
            if choice is not None and code_of is not None and join_if_live(self, choice.team, self.served_by, code_of):
                return
            super()._picked(choice)

    return ServedApp


def main(argv: list[str] | None = None) -> int:
    key = os.environ.pop(KEY_ENV, None)
    args = parse_args(argv)
    confine()
    code = 1
    try:
        code = run(args, key)
    except SystemExit as exc:  # a SIGTERM or SIGHUP, unwound through play()
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001  (shown on stderr, which drill serve logs)
        traceback.print_exc()
    finally:
        # The drill is recorded by now (play's own unwinding). Leave at once: an interpreter's
        # shutdown would wait for the web driver's input thread, and a tab must end on SIGTERM.
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os._exit(code if isinstance(code, int) else 1)


if __name__ == "__main__":
    raise SystemExit(main())
