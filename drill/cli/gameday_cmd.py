"""`drill serve` (the console in a browser, one drill per tab) and `drill facilitate` (the
facilitator's console). Their heavy imports (aiohttp, textual-serve, Textual) are in the handlers."""

from __future__ import annotations

import re

from drill.cli.args import integer_between

TOKEN_ARG = re.compile(r"^([0-9a-f]{8})=([A-Za-z0-9_-]{16,64})$")


def add_parsers(subparsers) -> None:
    _add_serve_parser(subparsers)
    _add_facilitate_parser(subparsers)


def _add_serve_parser(subparsers) -> None:
    from drill.cli.args import seed as _seed
    from drill.cli.args import speed as _speed
    from drill.gameday.defaults import DEFAULT_HOST, DEFAULT_MAX_DRILLS, DEFAULT_POOL, DEFAULT_PORT

    s = subparsers.add_parser(
        "serve",
        help="serve the console to browsers: every tab is its own drill",
        description="Serve the console through textual-serve. Every browser tab is its own drill, "
        "writing only in the data directory. Loopback only unless --host says otherwise.",
    )
    s.add_argument("scenario", nargs="?", help="a bundled scenario every tab plays (default: a picker)")
    s.add_argument("--difficulty")
    s.add_argument("--seed", type=_seed)
    s.add_argument("--speed", type=_speed, default=1.0)
    s.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST}, loopback)")
    s.add_argument("--port", type=_port, default=DEFAULT_PORT)
    s.add_argument("--public-url", help="the URL browsers use, if not http://HOST:PORT (a proxy, a name)")
    s.add_argument("--max-drills", type=_drills, default=DEFAULT_MAX_DRILLS, help="tabs playing at once")
    s.add_argument(
        "--pool",
        type=_pool,
        default=DEFAULT_POOL,
        metavar="N",
        help=f"tabs started ahead of their browsers, at their picker (default {DEFAULT_POOL}; at most "
        "--max-drills; each holds memory: see docs/gameday.md)",
    )
    s.add_argument(
        "--grace",
        type=_grace,
        default=None,
        metavar="SECONDS",
        help="a reloaded or reconnecting tab re-attaches to its running drill within this long "
        "(default 30; 0: a closed tab ends its drill at once)",
    )
    s.add_argument(
        "--results",
        metavar="PATH|URL",
        help="the results store every tab records into: a SQLite file, or postgresql://user@host/db "
        "shared by several serve hosts (then drills also register and take facilitator commands "
        "through it); default: $DRILL_RESULTS_URL, else the data directory's",
    )
    s.add_argument(
        "--ranked",
        action="store_true",
        help="ranked play: the speed is fixed and only the facilitator pauses (drill facilitate)",
    )


def _add_facilitate_parser(subparsers) -> None:
    s = subparsers.add_parser(
        "facilitate",
        help="the facilitator's console: running drills, hidden truth, injects, leaderboard",
        description="Attach to drills running on this machine with their tokens (or a drill serve's key) "
        "and steer them. Typing a token in the app keeps it out of the process list.",
    )
    s.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="DRILL_ID=TOKEN",
        help="attach to this drill at start (repeatable)",
    )
    s.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="KEY",
        help="a drill serve's facilitator key: attach to every drill it serves (repeatable)",
    )
    s.add_argument(
        "--results",
        metavar="PATH|URL",
        help="the results store: with postgresql://user@host/db, every drill registered there (any "
        "host's) is listed and steered through it; default: $DRILL_RESULTS_URL, else the data "
        "directory's",
    )


_port = integer_between(1, 65535)


_drills = integer_between(1, 200)
_pool = integer_between(0, 200)


def _grace(text: str) -> float:
    import argparse
    import math

    try:
        n = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(n) and 0 <= n <= 3600):
        raise argparse.ArgumentTypeError(f"must be between 0 and 3600 seconds: {text!r}")
    return n


def run_serve(args) -> int:
    from drill.cli.args import UsageError

    _check_served_scenario(args)
    _check_teams()
    if not args.host or any(c.isspace() for c in args.host):
        raise UsageError(f"drill serve: --host: not an address: {args.host!r}")
    if args.public_url is not None and not re.match(r"^https?://[^\s/]+/?$", args.public_url):
        raise UsageError(f"drill serve: --public-url: expected http(s)://HOST[:PORT], got {args.public_url!r}")
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        raise UsageError("drill serve: textual-serve is not installed (pip install textual-serve)") from None
    loc = _share_results("drill serve", args.results)
    from drill.gameday.serve import serve
    from drill.store import POSTGRESQL

    try:
        return serve(
            args.scenario,
            args.difficulty,
            args.seed,
            args.speed,
            args.host,
            args.port,
            args.public_url,
            args.max_drills,
            args.ranked,
            args.grace,
            results=str(loc) if loc.kind == POSTGRESQL or args.results is not None else None,
            pool=args.pool,
        )
    except OSError as exc:  # socket.gaierror (an unknown name) is one too
        raise UsageError(f"drill serve: cannot listen on {args.host}:{args.port} ({exc.strerror or exc})") from None


def _check_teams() -> None:
    """A damaged teams file stops serve before it starts (tabs would refuse every join code)."""
    from drill.cli.args import UsageError
    from drill.gameday.teams import TeamError, load

    try:
        load()
    except TeamError as exc:
        raise UsageError(f"drill serve: {exc}") from None


def _check_served_scenario(args) -> None:
    """A served drill plays a bundled scenario (no paths), and a difficulty or seed needs one."""
    from drill.cli.args import UsageError
    from drill.scenario import ScenarioError, bundled_ids, load

    if args.scenario is None:
        if args.difficulty is not None or args.seed is not None:
            raise UsageError("drill serve: --difficulty and --seed need a scenario")
        if args.ranked:
            raise UsageError("drill serve: --ranked needs a scenario (every ranked team plays the same drill)")
        return
    if args.scenario not in bundled_ids():
        raise UsageError(
            f"drill serve: {args.scenario!r}: a served drill plays a bundled scenario "
            f"(have: {', '.join(bundled_ids())}); no paths"
        )
    try:
        spec = load(args.scenario).spec
    except ScenarioError as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    if args.difficulty is not None and args.difficulty not in spec.difficulties:
        raise UsageError(
            f"drill serve: --difficulty: {args.difficulty!r} is not a difficulty of {spec.id} "
            f"(have: {', '.join(spec.difficulties)})"
        )


def _share_results(command: str, target: str | None):
    """Open the results store named by --results (or DRILL_RESULTS_URL) to fail early, in one line;
    hand it on to every process started from here through DRILL_RESULTS_URL. Returns where it is."""
    import os

    from drill import results
    from drill.cli.args import UsageError
    from drill.store import ENV_URL, SQLITE

    try:
        if target is None and not os.environ.get(ENV_URL, "").strip():
            return results.locate(None)  # the data directory's file, made when a drill first records
        loc = results.check(target)
    except results.ResultsError as exc:
        raise UsageError(f"{command}: --results: {exc}") from None
    if target is not None:
        kept = loc.path.resolve() if loc.kind == SQLITE and loc.path is not None else loc.url
        assert kept is not None  # a SQLite location has its path, a PostgreSQL one its URL
        os.environ[ENV_URL] = str(kept)
    return loc


def run_facilitate(args) -> int:
    import sys

    from drill.cli.args import UsageError

    tokens: dict[str, str] = {}
    for item in args.token:
        m = TOKEN_ARG.match(item)
        if not m:
            raise UsageError(
                "drill facilitate: --token: expected DRILL_ID=TOKEN (the id is 8 hex digits), as the drill printed it"
            )
        tokens[m.group(1)] = m.group(2)
    for key in args.key:
        if not re.match(r"^[A-Za-z0-9_-]{16,64}$", key):
            raise UsageError("drill facilitate: --key: not a facilitator key (as drill serve printed it)")
    loc = _share_results("drill facilitate", args.results)
    if not sys.stdout.isatty():
        raise UsageError("drill facilitate: no terminal to show the facilitator's console in")
    from drill.gameday.facilitator import FacilitatorApp
    from drill.store import POSTGRESQL

    print(f"drill facilitate: results store {loc}", flush=True)
    app = FacilitatorApp(tokens=tokens, keys=list(args.key), store=loc if loc.kind == POSTGRESQL else None)
    app.run()
    return 0
