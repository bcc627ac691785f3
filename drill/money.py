"""Money as a person reads it: the one style for every figure drill shows or prints (the console,
the debrief and its exports, the leaderboards, the facilitator's console, the command line), and
the round steps a chart's axis is drawn to. No UI library: the core and the exports use it too."""

from __future__ import annotations

import math


def usd(value: float | None, unknown: str = "?") -> str:
    """Compact dollars: $950, $12,345 below ten thousand... $123.4K, $26.46M, $1.23B. `unknown`
    stands for a figure nobody has (a hidden loss, a missing one)."""
    if value is None:
        return unknown
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v < 10_000:
        return f"{sign}${v:,.0f}"
    if v < 1_000_000:
        return f"{sign}${v / 1e3:,.1f}K"
    if v < 1_000_000_000:
        return f"{sign}${v / 1e6:,.2f}M"
    return f"{sign}${v / 1e9:,.2f}B"


def usd_delta(value: float | None, unknown: str = "n/a") -> str:
    """A change in dollars, signed: +$1.20M, -$350.0K, or "same" below half a dollar."""
    if value is None:
        return unknown
    if abs(value) < 0.5:
        return "same"
    return ("+" if value > 0 else "-") + usd(abs(value))


def usd_round(value: float) -> str:
    """Dollars for round figures (chart axes): $0, $500, $20K, $2.5M, $500M, $1B."""
    v = abs(value)
    sign = "-" if value < 0 else ""
    for unit, div in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if v >= div:
            return f"{sign}${v / div:g}{unit}"
    return f"{sign}${v:g}"


def nice_ceiling(value: float) -> float:
    """The next 1, 2, 2.5 or 5 times a power of ten at or above `value` (a chart's top)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * 10**exp
        # A value a float's last bit above a round step (log10 of 1e6 is exact, of 3e-7 not)
        # still takes that step.
        if top >= value * (1 - 1e-12):
            return float(top)
    return float(10 ** (exp + 1))
