"""`drill results`: the drills recorded in the results store, a leaderboard, and verification of an
entry by replaying its journal."""

from __future__ import annotations

import json


def add_parser(subparsers) -> None:
    from drill.cli.main import _seed

    s = subparsers.add_parser(
        "results", help="recorded drills, the leaderboard, or --verify an entry",
        description="List the drills recorded in the results store (newest first), rank them (--leaderboard), "
                    "or replay one entry's journal to check it (--verify ID).")
    s.add_argument("--results", help="the results database (default: results.sqlite in the data directory)")
    s.add_argument("--scenario")
    s.add_argument("--difficulty")
    s.add_argument("--seed", type=_seed)
    s.add_argument("--team")
    s.add_argument("--limit", type=_positive, help="at most this many entries (per board with --leaderboard)")
    s.add_argument("--json", action="store_true")
    mode = s.add_mutually_exclusive_group()
    mode.add_argument("--leaderboard", action="store_true", help="rank by score per scenario, difficulty and seed")
    mode.add_argument("--verify", type=_positive, metavar="ID", help="replay entry ID's journal and check its result")
    s.add_argument("--best-per-team", action="store_true", help="leaderboard: each team's best entry only")


def _positive(text: str) -> int:
    import argparse

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return n


def _money(x: float) -> str:
    return f"${x / 1e6:,.1f}M" if abs(x) >= 1e6 else f"${x:,.0f}"


def run(args) -> int:
    from drill import results
    from drill.cli.main import EXIT_FAIL, EXIT_OK, UsageError

    path = results.default_path() if args.results is None else args.results
    try:
        if args.verify is not None:
            v = results.verify(args.verify, path)
            if args.json:
                print(json.dumps({"id": v.entry.id, "ok": v.ok, "message": v.message, "journal": v.entry.journal}, indent=2))
            else:
                print(f"result #{v.entry.id} ({v.entry.journal}): {'' if v.ok else 'FAILED: '}{v.message}")
            return EXIT_OK if v.ok else EXIT_FAIL
        filters = dict(scenario=args.scenario, difficulty=args.difficulty, seed=args.seed, team=args.team)
        if args.leaderboard:
            boards = results.leaderboard(path, best_per_team=args.best_per_team, limit=args.limit, **filters)
            if args.json:
                print(json.dumps([b.to_dict() for b in boards], indent=2))
                return EXIT_OK
            if not boards:
                print(f"no results in {path}")
            for b in boards:
                print(f"{b.scenario} \u00b7 {b.difficulty} \u00b7 seed {b.seed}")
                print(f"  {'rank':>4}  {'score':>10}  grade  {'contained':<9}  {'team':<16}  {'id':>5}  recorded")
                for i, e in enumerate(b.entries, 1):
                    print(f"  {i:>4}  {_money(e.score_usd):>10}  {e.grade:^5}  {e.contained_at or 'never':<9}  "
                          f"{(e.team or '-')[:16]:<16}  {e.id:>5}  {e.recorded_at}")
            return EXIT_OK
        rows = results.entries(path, limit=args.limit, **filters)
        if args.json:
            print(json.dumps([e.to_dict() for e in rows], indent=2))
            return EXIT_OK
        if not rows:
            print(f"no results in {path}")
            return EXIT_OK
        print(f"{'id':>5}  {'recorded':<25}  {'team':<14}  {'scenario':<12}  {'difficulty':<10}  {'seed':>10}  "
              f"{'score':>10}  grade  {'contained':<9}  journal")
        for e in rows:
            print(f"{e.id:>5}  {e.recorded_at:<25}  {(e.team or '-')[:14]:<14}  {e.scenario[:12]:<12}  {e.difficulty[:10]:<10}  "
                  f"{e.seed:>10}  {_money(e.score_usd):>10}  {e.grade:^5}  {e.contained_at or 'never':<9}  {e.journal or '-'}")
        return EXIT_OK
    except results.ResultsError as exc:
        raise UsageError(str(exc)) from None
