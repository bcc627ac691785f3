"""`drill results`: the drills recorded in the results store, a leaderboard, and verification of an
entry by replaying its journal. Everything printed from the store is data, not terminal input:
control characters come escaped."""

from __future__ import annotations

import json

from drill.money import usd


def add_parser(subparsers) -> None:
    from drill.cli.args import seed as _seed

    s = subparsers.add_parser(
        "results",
        help="recorded drills, the leaderboard, or --verify an entry",
        description="List the drills recorded in the results store (newest first), rank them (--leaderboard), "
        "or replay one entry's journal to check it (--verify ID). Leaderboards rank drills played "
        "live (console or served) and list headless scripted runs apart.",
    )
    s.add_argument(
        "--results",
        metavar="PATH|URL",
        help="the results store: a SQLite file, sqlite:///path or postgresql://user@host/db "
        "(default: $DRILL_RESULTS_URL, else results.sqlite in the data directory)",
    )
    s.add_argument("--scenario")
    s.add_argument("--difficulty")
    s.add_argument("--seed", type=_seed)
    s.add_argument("--team")
    s.add_argument("--limit", type=_positive, help="at most this many entries (per board with --leaderboard)")
    s.add_argument("--json", action="store_true")
    mode = s.add_mutually_exclusive_group()
    mode.add_argument("--leaderboard", action="store_true", help="rank by score per scenario, difficulty and seed")
    mode.add_argument("--verify", type=_positive, metavar="ID", help="replay entry ID's journal and check its result")
    mode.add_argument(
        "--journal",
        type=_positive,
        metavar="ID",
        help="print the journal stored with entry ID (it travels with the result: "
        "drill results --journal 7 > 7.jsonl && drill debrief 7.jsonl, on any host)",
    )
    s.add_argument("--best-per-team", action="store_true", help="leaderboard: each team's best entry only")
    s.add_argument(
        "--include-scripted",
        action="store_true",
        help="leaderboard: rank headless scripted runs with the played drills",
    )
    s.add_argument(
        "--key",
        metavar="KEY",
        help="a drill serve's facilitator key: check the signatures of the results it recorded "
        "(a row that fails is flagged and unranked)",
    )


def _positive(text: str) -> int:
    import argparse

    from drill.results import MAX_LIMIT

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text[:40]!r}") from None
    if not 1 <= n <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_LIMIT:,}: {text[:40]!r}")
    return n


def _board_lines(b, clean) -> list[str]:
    out = [clean(f"{b.scenario} \u00b7 {b.difficulty} \u00b7 seed {b.seed}")]
    head = f"  {'rank':>4}  {'score':>10}  grade  {'contained':<9}  {'team':<16}  {'id':>5}  {'source':<7}  recorded"

    def row(rank: str, e, note: str = "") -> str:
        grade = "DNF" if e.dnf else e.grade
        return (
            f"  {rank:>4}  {usd(e.score_usd):>10}  {clean(grade)[:5]:^5}  {clean(e.contained_at or 'never')[:9]:<9}  "
            f"{clean(e.team or '-')[:16]:<16}  {e.id:>5}  {clean(e.source)[:7]:<7}  {clean(e.recorded_at)}{note}"
        )

    out.append(head)
    out += [row(str(i), e) for i, e in enumerate(b.entries, 1)]
    if not b.entries:
        out.append("        (no drills played live yet)")
    if b.apart:
        out.append("  listed apart, not ranked (scripted runs):")
        out += [row("-", e) for e in b.apart]
    if b.flagged:
        out.append("  flagged, not ranked:")
        out += [row("!", f.entry, f"  {clean(f.reason)}") for f in b.flagged]
    return out


def run(args) -> int:
    from drill import results
    from drill.cli.args import UsageError

    key = results.signing_key(args.key) if args.key else None
    try:
        path = results.locate(args.results)  # str(path) names it for a person, any password masked
        if args.verify is not None:
            return _verify(args, path, key)
        if args.journal is not None:
            return _print_journal(args, path)
        if args.leaderboard:
            return _print_leaderboard(args, path, key)
        return _print_entries(args, path)
    except results.ResultsError as exc:
        raise UsageError(str(exc)) from None


def _filters(args) -> dict:
    return dict(scenario=args.scenario, difficulty=args.difficulty, seed=args.seed, team=args.team)


def _verify(args, path, key: bytes | None) -> int:
    from drill import results
    from drill.cli.args import EXIT_FAIL, EXIT_OK
    from drill.cli.args import printable as clean

    v = results.verify(args.verify, path, signing_key=key)
    if args.json:
        shown = {"id": v.entry.id, "ok": v.ok, "field": v.field, "message": v.message, "journal": v.entry.journal}
        print(json.dumps(shown, indent=2))
    else:
        print(clean(f"result #{v.entry.id} ({v.entry.journal}): {'' if v.ok else 'FAILED: '}{v.message}"))
    return EXIT_OK if v.ok else EXIT_FAIL


def _print_journal(args, path) -> int:
    from drill import results
    from drill.cli.args import EXIT_OK
    from drill.cli.args import printable as clean

    text = results.stored_journal(args.journal, path)
    print("\n".join(clean(line) for line in text.splitlines()))  # a journal's JSON is ASCII: unchanged
    return EXIT_OK


def _print_leaderboard(args, path, key: bytes | None) -> int:
    from drill import results
    from drill.cli.args import EXIT_OK
    from drill.cli.args import printable as clean

    sources = results.SOURCES if args.include_scripted else results.PLAYED
    boards = results.leaderboard(
        path, best_per_team=args.best_per_team, limit=args.limit, signing_key=key, sources=sources, **_filters(args)
    )
    if args.json:
        print(json.dumps([b.to_dict() for b in boards], indent=2))
        return EXIT_OK
    if not boards:
        print(clean(f"no results in {path}"))
    for b in boards:
        print("\n".join(_board_lines(b, clean)))
    return EXIT_OK


def _print_entries(args, path) -> int:
    from drill import results
    from drill.cli.args import EXIT_OK
    from drill.cli.args import printable as clean

    rows = results.entries(path, limit=args.limit, **_filters(args))
    if args.json:
        print(json.dumps([e.to_dict() for e in rows], indent=2))
        return EXIT_OK
    if not rows:
        print(clean(f"no results in {path}"))
        return EXIT_OK
    print(
        f"{'id':>5}  {'recorded':<25}  {'team':<14}  {'scenario':<12}  {'difficulty':<10}  {'seed':>10}  "
        f"{'score':>10}  grade  {'contained':<9}  {'source':<7}  journal"
    )
    for e in rows:
        grade = "DNF" if e.dnf else e.grade
        print(
            f"{e.id:>5}  {clean(e.recorded_at)[:25]:<25}  {clean(e.team or '-')[:14]:<14}  {clean(e.scenario)[:12]:<12}  "
            f"{clean(e.difficulty)[:10]:<10}  {e.seed:>10}  {usd(e.score_usd):>10}  {clean(grade)[:5]:^5}  "
            f"{clean(e.contained_at or 'never')[:9]:<9}  {clean(e.source)[:7]:<7}  {clean(e.journal or '-')}"
        )
    return EXIT_OK
