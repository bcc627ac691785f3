"""What every `drill` subcommand shares: exit codes, the one-line usage error, and the argument
types of options more than one subcommand takes (--seed, --speed). Imported by main.py and the
*_cmd.py modules alike, so none of them imports another."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from drill.commands import MAX_SPEED
from drill.printable import printable
from drill.seeds import SEED_RANGE, is_seed

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


# At most this much of one error line: a 100,000-character file name is still one readable line.
MAX_ERROR_CHARS = 400


def error_line(text: str) -> str:
    """One line for the terminal: control characters escaped, and a huge value cut in the middle,
    so the start (what was typed) and the end (the field and the reason) both stay."""
    line = printable(text)
    if len(line) <= MAX_ERROR_CHARS:
        return line
    head, tail = MAX_ERROR_CHARS // 2, MAX_ERROR_CHARS // 2 - 40
    return f"{line[:head]}…({len(line) - head - tail:,} characters)…{line[-tail:]}"


def integer_between(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer from `low` to `high`, else one line naming the range (and at
    most 40 characters of what was typed)."""

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text[:40]!r}") from None
        if not low <= n <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}: {text[:40]!r}")
        return n

    return parse


def seed(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text[:40]!r}") from None
    if not is_seed(value):
        raise argparse.ArgumentTypeError(f"must be {SEED_RANGE}: {text[:40]!r}")
    return value


def speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text[:40]!r}") from None
    if not 0 < value <= MAX_SPEED:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {MAX_SPEED:g}: {text[:40]!r}")
    return value
