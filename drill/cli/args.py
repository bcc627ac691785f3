"""What every `drill` subcommand shares: exit codes, the one-line usage error, and the argument
types of options more than one subcommand takes (--seed, --speed). Imported by main.py and the
*_cmd.py modules alike, so none of them imports another."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from drill.commands import MAX_SPEED
from drill.seeds import SEED_RANGE, is_seed

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


def printable(text: str) -> str:
    """Control characters escaped, newlines included: a hostile file name must not drive the
    terminal or break the one-line contract."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


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
