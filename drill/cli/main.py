"""The `drill` command line. Headless commands never import Textual; `play` (and no command at
all) open the console."""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from pathlib import Path
from typing import NoReturn, cast

from drill import __version__
from drill.cli import (  # light: their heavy imports are inside their handlers
    crew_cmd,
    debrief_cmd,
    gameday_cmd,
    results_cmd,
    watch_cmd,
)
from drill.cli.args import EXIT_FAIL, EXIT_OK, EXIT_USAGE, UsageError, error_line
from drill.cli.args import printable as _printable
from drill.cli.args import seed as _seed
from drill.cli.args import speed as _speed
from drill.money import usd


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        # argparse quotes what was typed whole: a pasted 100,000 characters would be the line.
        message = re.sub(r"\S{200,}", lambda m: m.group()[:40] + "\u2026", message)
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="drill", description="Incident-response drills on a simulated live market.")
    p.add_argument("--version", action="version", version=f"drill {__version__}")
    sub = p.add_subparsers(dest="cmd", parser_class=_Parser)
    _add_drill_parsers(sub)
    _add_scenario_check_parsers(sub)
    _add_bench_parser(sub)
    debrief_cmd.add_parser(sub)
    results_cmd.add_parser(sub)
    gameday_cmd.add_parsers(sub)
    watch_cmd.add_parser(sub)
    crew_cmd.add_parser(sub)
    return p


def _add_drill_parsers(sub) -> None:
    """list, play, run and replay: choosing, playing and re-simulating drills."""
    s = sub.add_parser("list", help="show the bundled scenarios")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("play", help="play a drill in the console")
    s.add_argument("scenario", nargs="?")
    s.add_argument("--difficulty")
    s.add_argument("--seed", type=_seed)
    s.add_argument("--speed", type=_speed, default=1.0)
    s.add_argument("--journal")
    s.add_argument("--paused", action="store_true", help="start with the clock paused")
    s.add_argument("--team", help="the team name to tag the registry and the result with")
    s.add_argument(
        "--crew",
        metavar="NAME",
        help="open the drill to a crew (drill join, with the join code printed here); you play as NAME",
    )

    s = sub.add_parser("run", help="run a drill headless and print the outcome")
    s.add_argument("scenario")
    s.add_argument("--difficulty")
    s.add_argument("--seed", type=_seed)
    s.add_argument("--actions", help="file of 'HH:MM:SS COMMAND [ARGS]' lines")
    s.add_argument("--journal", help="write the journal here")
    s.add_argument("--json", action="store_true")
    s.add_argument(
        "--results",
        metavar="PATH|URL",
        help="record the result in this results store: a SQLite file or postgresql://user@host/db "
        "(default: $DRILL_RESULTS_URL, else the data directory's)",
    )
    s.add_argument("--team", help="the team name to record the result under")

    s = sub.add_parser("replay", help="re-simulate a journal and check it reproduces exactly")
    s.add_argument("journal")
    s.add_argument("--json", action="store_true")


def _add_scenario_check_parsers(sub) -> None:
    """validate, calibrate and selftest: checking a scenario before anyone plays it."""
    s = sub.add_parser("validate", help="check scenario directories, scenario.toml files or actions files")
    s.add_argument("paths", nargs="+")

    s = sub.add_parser("calibrate", help="compare a scenario's historical play with the public record")
    s.add_argument("scenario")
    s.add_argument("--seeds", type=int, default=0, help="also show the mean over seeds 1..N")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser(
        "selftest",
        help="play every blind policy against a scenario over many seeds",
        description="Fairness: strategies that use no information about the incident (cancel loops, "
        "stopping everything, restart loops...) must grade no better than the scenario's "
        "scoring.blind_best_grade, and its best play better than that, at every seed.",
    )
    s.add_argument("scenario")
    s.add_argument(
        "--seeds", type=int, default=20, help="how many seeds: the scenario's own and variants 1..N-1 (default 20)"
    )
    s.add_argument("--json", action="store_true")


def _add_bench_parser(sub) -> None:
    s = sub.add_parser("bench", help="measure the engine (or, with --tui, the console)")
    s.add_argument("--json", action="store_true")
    s.add_argument("--tui", action="store_true")
    s.add_argument("--watch", action="store_true", help="seeking in a watched drill (drill watch)")
    s.add_argument(
        "--debrief",
        action="store_true",
        help="a cold `drill debrief` of a ten-command knightmare journal against its `drill run` (the ratio), and in the console, the drill's end to its last what-if",
    )
    s.add_argument("--repeat", type=int, default=3, help="runs to take the median of (engine and debrief benches)")


def main(argv: list[str] | None = None) -> int:
    # A path with undecodable bytes must print, not crash a strict UTF-8 stream.
    for stream in (sys.stdout, sys.stderr):
        try:
            # A stand-in for the stream may lack reconfigure: the AttributeError below.
            cast(io.TextIOWrapper, stream).reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    try:
        args = build_parser().parse_args(argv)
        handler = {
            None: _cmd_play,
            "play": _cmd_play,
            "list": _cmd_list,
            "run": _cmd_run,
            "replay": _cmd_replay,
            "validate": _cmd_validate,
            "bench": _cmd_bench,
            "calibrate": _cmd_calibrate,
            "selftest": _cmd_selftest,
            "debrief": debrief_cmd.run,
            "results": results_cmd.run,
            "serve": gameday_cmd.run_serve,
            "facilitate": gameday_cmd.run_facilitate,
            "watch": watch_cmd.run,
            "join": crew_cmd.run,
        }[args.cmd]
        return handler(args)
    except UsageError as exc:
        print(error_line(str(exc)), file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        # A file the command could not use (a name too long, a directory where a file should
        # be): one line naming it, never a traceback.
        name = exc.filename if exc.filename is not None else "drill"
        print(error_line(f"{name}: {exc.strerror or exc}"), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("drill: interrupted", file=sys.stderr)
        return 130


# Errors of the engine's own kinds become one line and exit code 2.
def _load(name: str):
    from drill.scenario import ScenarioError, load

    try:
        return load(name)
    except ScenarioError as exc:
        more = len(exc.problems) - 1
        extra = f" (and {more} more: drill validate lists them all)" if more else ""
        raise UsageError(str(exc.problems[0]) + extra) from None


def _cmd_list(args) -> int:
    from drill.scenario import ScenarioError, bundled_ids, load

    rows = []
    for sid in bundled_ids():
        try:
            sc = load(sid)
        except ScenarioError as exc:
            raise UsageError(str(exc).splitlines()[0]) from None
        rows.append(
            {
                "id": sc.id,
                "title": sc.spec.title,
                "difficulties": list(sc.spec.difficulties),
                "default_difficulty": sc.spec.default_difficulty,
                "summary": sc.spec.summary,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for r in rows:
        diffs = ", ".join(d + ("*" if d == r["default_difficulty"] else "") for d in r["difficulties"])
        print(f"{r['id']:<14} {r['title']}\n{'':<14} {r['summary']}\n{'':<14} difficulties: {diffs}  (* default)")
    return EXIT_OK


def _session_args(args):
    from drill.session import Session, SessionError

    sc, diff = _scenario_and_difficulty(args)
    return sc, diff, Session, SessionError


def _scenario_and_difficulty(args):
    """The scenario named on the command line and the difficulty to play it in (its default when
    none is given); one line and exit code 2 for either that is wrong."""
    sc = _load(args.scenario)
    diff = args.difficulty or sc.spec.default_difficulty
    if diff not in sc.spec.difficulties:
        raise UsageError(
            f"drill: --difficulty: {diff!r} is not a difficulty of {sc.id} (have: {', '.join(sc.spec.difficulties)})"
        )
    return sc, diff


def _cmd_run(args) -> int:
    # Everything typed is checked (scenario, actions, journal, results store) before the engine,
    # the session and the debrief's cache are imported: a mistake costs a fraction of a drill.
    from drill.paths import default_journal_path
    from drill.session.script import ScriptError, read_script

    sc, diff = _scenario_and_difficulty(args)
    lines = []
    if args.actions:
        try:
            lines = read_script(args.actions)
        except ScriptError as exc:
            raise UsageError(str(exc)) from None
    # Every headless drill keeps a journal (the debrief and --verify need one) and is recorded.
    journal = args.journal or str(default_journal_path(sc.id))
    _check_writable(journal)
    db = _results_store_for_run(args)
    from drill import results
    from drill.session.headless import run_script

    try:
        outcome = run_script(
            sc, diff, args.seed, lines, journal, args.actions or "<actions>", on_end=_for_debrief(journal)
        )
    except ScriptError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps(outcome.to_dict(), indent=2))
    else:
        print(_summary(outcome))
    try:
        rid = results.record(outcome, journal, team=args.team, path=db, source=results.SOURCE_SCRIPT)
    except results.ResultsError as exc:
        print(f"drill run: result not recorded: {exc}", file=sys.stderr)
        return EXIT_FAIL
    where = f"  journal       {journal}\n  recorded      result #{rid} in {db}"
    print(where, file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


def _for_debrief(journal: str):
    """The finished drill's own figures go to the debrief's cache: `drill debrief` of this journal
    then re-simulates only its what-ifs, not the morning just played."""

    def store(session) -> None:
        from drill.debrief.warm import cache_own_drill

        cache_own_drill(session, journal)

    return store


def _results_store_for_run(args):
    """The results store `drill run` records into, and its --team, checked before the drill runs."""
    from drill import results

    try:
        db = results.check(args.results)
    except results.ResultsError as exc:
        raise UsageError(f"drill run: --results: {exc}") from None
    if args.team is not None and not (0 < len(args.team.strip()) <= results.MAX_TEAM_CHARS and args.team.isprintable()):
        raise UsageError(f"drill run: --team: must be 1 to {results.MAX_TEAM_CHARS} printable characters")
    return db


def _check_writable(path: str) -> None:
    from drill.paths import open_for_writing, special_file

    p = Path(path)
    why = special_file(p, writing=True)
    if why is not None:
        raise UsageError(f"{path}: --journal: {why}")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with open_for_writing(p, "a"):
            pass
    except OSError as exc:
        raise UsageError(f"{path}: --journal: cannot write ({exc.strerror})") from None


def _summary(o) -> str:
    lines = [
        f"{o.scenario} ({o.difficulty}, seed {o.seed}): ended {o.ended_at} by {o.ended_by}",
        f"  contained     {'at ' + o.contained_at if o.contained else 'NO: erroneous orders could still follow'}",
        f"  loss          {usd(o.loss_usd)}{'  BANKRUPT' if o.bankrupt else ''}",
        f"  collateral    {usd(o.collateral_usd)}",
        f"  score         {usd(o.score_usd)}  grade {o.grade}",
        f"  runaway       {o.runaway_parent_orders:,} parent orders, {o.executions:,} executions, {o.shares:,} shares in {o.symbols} symbols",
        f"  inventory     long {usd(o.long_usd)} in {o.long_symbols}, short {usd(o.short_usd)} in {o.short_symbols}",
        f"  warnings      {o.emails_before_open} emails before the open; faulty: {', '.join(o.faulty_servers) or 'none'}",
    ]
    if o.actions:
        lines.append("  actions")
        for a in o.actions:
            lines.append(f"    {a.at} {a.command:<22} {a.first_line}")
    return "\n".join(lines)


def _cmd_replay(args) -> int:
    from drill.scenario import ScenarioError
    from drill.session.journal import JournalError
    from drill.session.replay import replay
    from drill.session.session import SessionError

    try:
        report = replay(args.journal)
    except (JournalError, SessionError) as exc:
        raise UsageError(str(exc)) from None
    except ScenarioError as exc:
        raise UsageError(f"{args.journal}: header.scenario: {str(exc).splitlines()[0]}") from None
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    elif report.ok:
        extra = " (the journal was cut short: reproduced up to its last record)" if report.cut_short else ""
        print(f"{args.journal}: reproduced exactly: {report.checked_commands} commands{extra}")
    else:
        print(f"{args.journal}: DIVERGED: {report.divergence}")
    return EXIT_OK if report.ok else EXIT_FAIL


def _cmd_validate(args) -> int:
    from drill.scenario.loader import SCENARIO_FILE
    from drill.session.validate import validate_actions_file, validate_scenario

    problems: list[str] = []
    for path in args.paths:
        p = Path(path)
        if not p.exists():
            problems.append(f"{path}: file: not found")
            continue
        found = validate_actions_file(p) if p.suffix == ".actions" else validate_scenario(p)
        problems.extend(found)
        if not found:
            print(_printable(f"{p / SCENARIO_FILE if p.is_dir() else p}: ok"))
    for line in problems:  # a path is whatever was typed: its control characters escaped
        print(error_line(line), file=sys.stderr)
    return EXIT_USAGE if problems else EXIT_OK


def _cmd_calibrate(args) -> int:
    from dataclasses import asdict

    from drill.session.calibrate import calibrate, markdown

    sc = _load(args.scenario)
    if not 0 <= args.seeds <= 200:
        raise UsageError("drill calibrate: --seeds: must be between 0 and 200")
    if not sc.spec.calibration:
        raise UsageError(
            f"{sc.directory / 'scenario.toml'}: calibration: the scenario cites no figures to calibrate to"
        )
    from drill.session.script import ScriptError

    try:
        rows = calibrate(sc, args.seeds)
    except ScriptError as exc:  # the scenario's historical play does not fit its own clock
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
    else:
        print(markdown(sc, rows, args.seeds))
    return EXIT_OK if all(r.ok for r in rows) else EXIT_FAIL


def _cmd_selftest(args) -> int:
    from dataclasses import asdict

    from drill.session.selftest import judge, run_selftest, selftest_seeds

    sc = _load(args.scenario)
    if not 1 <= args.seeds <= 200:
        raise UsageError("drill selftest: --seeds: must be between 1 and 200")
    verdicts = judge(sc, run_selftest(sc, selftest_seeds(sc, args.seeds)))
    if args.json:
        print(json.dumps([asdict(v) for v in verdicts], indent=2))
    else:
        print(
            f"{sc.id}: blind policies may grade no better than {sc.spec.scoring.blind_best_grade}; "
            f"grades by seed over {args.seeds} seeds"
        )
        for v in verdicts:
            print(f"  {'ok  ' if v.ok else 'FAIL'} {v.difficulty:<12} {v.policy:<24} {v.summary}")
    return EXIT_OK if all(v.ok for v in verdicts) else EXIT_FAIL


def _cmd_bench(args) -> int:
    if args.tui:
        from drill.tui import bench_console

        result = bench_console(args.json)
    elif args.watch:
        from drill.session.rewind_bench import bench_watch

        result = bench_watch()
    elif args.debrief:
        from drill.debrief.bench import ratio, ratio_lines
        from drill.tui.debrief_bench import bench_console_debrief, console_lines

        if not 1 <= args.repeat <= 50:
            raise UsageError("drill bench: --repeat: must be between 1 and 50")
        result = {"ratio": ratio("ten-commands", args.repeat), "console": bench_console_debrief()}
        if not args.json:
            print("\n".join(ratio_lines(result["ratio"]) + console_lines(result["console"])))
            return EXIT_OK
    else:
        from drill.bench import bench_engine

        if not 1 <= args.repeat <= 50:
            raise UsageError("drill bench: --repeat: must be between 1 and 50")
        result = bench_engine(args.repeat)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for k, v in result.items():
            print(f"{k:<20} {v}")
    return EXIT_OK


def _cmd_play(args) -> int:
    scenario = getattr(args, "scenario", None)
    difficulty = getattr(args, "difficulty", None)
    if scenario is not None:
        sc, difficulty, _, _ = _session_args(args)
        scenario = str(sc.directory)
    journal = getattr(args, "journal", None)
    if journal:
        _check_writable(journal)
    team = getattr(args, "team", None)
    if team is not None:
        from drill import results

        team = " ".join(team.split())
        if not (0 < len(team) <= results.MAX_TEAM_CHARS and team.isprintable()):
            raise UsageError(f"drill play: --team: must be 1 to {results.MAX_TEAM_CHARS} printable characters")
    crew = _crew_name(getattr(args, "crew", None))
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # The console reads keys from a terminal: without one (a pipe, a service) it would run
        # unseen, or wait for input that never comes.
        prog = "drill play" if getattr(args, "cmd", None) else "drill"
        raise UsageError(
            f"{prog}: no terminal to play in; try 'drill run SCENARIO' for a headless drill or 'drill --help'"
        )
    from drill.tui import run_console

    return run_console(
        scenario,
        difficulty,
        getattr(args, "seed", None),
        getattr(args, "speed", 1.0),
        journal,
        paused=getattr(args, "paused", False),
        team=team,
        crew=crew,
    )


def _crew_name(name: str | None) -> str | None:
    """--crew NAME, checked as a crew member's name is (one line and exit code 2 if not)."""
    if name is None:
        return None
    from drill.session.crew import CrewError, clean_name

    try:
        return clean_name(name)
    except CrewError as exc:
        raise UsageError(f"drill play: --crew: {exc}") from None


if __name__ == "__main__":
    raise SystemExit(main())
