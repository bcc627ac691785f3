"""`drill debrief JOURNAL [--format md|json|html] [--out PATH]`: the debrief of a drill, exported."""

from __future__ import annotations

import sys
from pathlib import Path

from drill.cli.args import integer_between

FORMATS = ("md", "json", "html")


def add_parser(subparsers) -> None:
    s = subparsers.add_parser(
        "debrief",
        help="the debrief of a drill: score card, timeline, loss curves, counterfactuals, review",
        description="Re-simulate a journal and its counterfactuals; write a Markdown postmortem (with the chart "
        "as an SVG file beside it), JSON with every figure, or a self-contained HTML page.",
    )
    s.add_argument("journal")
    s.add_argument("--format", choices=FORMATS, default="md", help="md (default), json or html")
    s.add_argument("--out", help="write here (default: md and json to stdout, html next to the journal)")
    s.add_argument("--workers", type=_workers, default=2, help="re-simulation processes (default 2)")
    s.add_argument("--no-cache", action="store_true", help="re-simulate everything, ignoring cached results")


_workers = integer_between(1, 16)  # re-simulation processes


def _beside(path: Path, suffix: str) -> Path:
    """x.jsonl -> x.debrief.svg: next to the journal, never over it."""
    return path.with_name(path.stem + ".debrief" + suffix)


def _write(path: Path, text: str, what: str) -> None:
    from drill.cli.args import UsageError
    from drill.paths import special_file

    why = special_file(path, writing=True)
    if why is not None:
        raise UsageError(f"{path}: {what}: {why}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: {what}: cannot write ({exc.strerror})") from None


def run(args) -> int:
    from drill.cli.args import EXIT_OK, UsageError
    from drill.debrief import DebriefError, build

    journal = Path(args.journal)
    out = Path(args.out) if args.out else None
    from drill.paths import special_file

    why = special_file(out, writing=True) if out is not None else None
    if why is not None:  # refused before the re-simulations, and never waited on (a FIFO)
        raise UsageError(f"{out}: --out: {why}")
    if out is not None and out.resolve() == journal.resolve():
        raise UsageError(f"{out}: --out: would overwrite the journal")
    tty = sys.stderr.isatty()

    def progress(d) -> None:
        if tty and not d.complete:
            print(f"\rdrill debrief: re-simulating {d.done}/{d.total} \u2026", end="", file=sys.stderr, flush=True)

    try:
        d = build(journal, progress=progress, workers=args.workers, cache=not args.no_cache)
    except DebriefError as exc:
        raise UsageError(str(exc)) from None
    finally:
        if tty:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
    for w in d.warnings:
        print(f"drill debrief: warning: {w}", file=sys.stderr)
    written = _EXPORTS[args.format](d, journal, out)
    for p in written:
        print(f"drill debrief: wrote {p}", file=sys.stderr)
    return EXIT_OK


def _export_json(d, journal: Path, out: Path | None) -> list[Path]:
    from drill.debrief.export import to_json

    return _emit(to_json(d), out)


def _export_markdown(d, journal: Path, out: Path | None) -> list[Path]:
    """The Markdown and its chart: beside the journal when the Markdown goes to stdout (linked
    absolutely: stdout may land anywhere), else beside --out (linked relatively: moving both
    keeps the link)."""
    from drill.debrief.chart import svg
    from drill.debrief.export import to_markdown

    if out is None:
        chart = _beside(journal, ".svg")
        ref = str(chart.resolve())
    else:
        chart = out.with_suffix(".svg") if out.suffix != ".svg" else out.with_name(out.name + ".chart.svg")
        ref = chart.name
    _write(chart, svg(d), "chart")
    return [*_emit(to_markdown(d, ref), out), chart]


def _export_html(d, journal: Path, out: Path | None) -> list[Path]:
    from drill.debrief.export import to_html

    target = out or _beside(journal, ".html")
    _write(target, to_html(d), "--out" if out else "html")
    return [target]


def _emit(text: str, out: Path | None) -> list[Path]:
    """Text to stdout, or to --out (then the one file written)."""
    if out is None:
        sys.stdout.write(text)
        return []
    _write(out, text, "--out")
    return [out]


# What `--format` writes, and where: each returns the files it wrote.
_EXPORTS = {"json": _export_json, "md": _export_markdown, "html": _export_html}
