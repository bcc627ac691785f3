"""Text formatting shared by the debrief's exports (no UI library)."""

from __future__ import annotations

from drill import money
from drill.money import usd_delta  # noqa: F401  (the exports read it here)
from drill.timefmt import fmt_duration


def usd(x: float | None) -> str:
    """A figure in the one money style (drill.money); "n/a" where a document has none."""
    return money.usd(x, unknown="n/a")


def from_fault(seconds: float | None) -> str:
    """A moment against the fault (its first erroneous order): "3m02s after the fault"."""
    if seconds is None:
        return "with no erroneous order to count from"
    if seconds < 0:
        return f"{fmt_duration(-seconds * 1000)} before the fault"
    return f"{fmt_duration(seconds * 1000)} after the fault"
