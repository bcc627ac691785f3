"""Text formatting shared by the debrief's exports (no UI library)."""

from __future__ import annotations

from drill.timefmt import fmt_duration


def usd(x: float | None) -> str:
    if x is None:
        return "n/a"
    sign = "-" if x < 0 else ""
    a = abs(x)
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.2f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.1f}M"
    return f"{sign}${a:,.0f}"


def usd_delta(x: float | None) -> str:
    if x is None:
        return "n/a"
    if abs(x) < 0.5:
        return "same"
    return ("+" if x > 0 else "-") + usd(abs(x))


def from_fault(seconds: float | None) -> str:
    """A moment against the fault (its first erroneous order): "3m02s after the fault"."""
    if seconds is None:
        return "with no erroneous order to count from"
    if seconds < 0:
        return f"{fmt_duration(-seconds * 1000)} before the fault"
    return f"{fmt_duration(seconds * 1000)} after the fault"
