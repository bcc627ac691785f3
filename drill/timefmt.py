"""The scenario clock: wall-clock strings in US Eastern time <-> integer milliseconds.

Sim time is integer milliseconds since midnight ET. Integers keep SimPy's arithmetic exact, so
a drill advanced in many small chunks (the console) and in one go (a replay) reaches exactly
the same instants.
"""

from __future__ import annotations

import datetime as _dt

MS = 1000


def parse_clock(value: object) -> int:
    """'HH:MM:SS' (or 'HH:MM', or a TOML local time) -> ms since midnight."""
    if isinstance(value, _dt.time):
        return ((value.hour * 60 + value.minute) * 60 + value.second) * MS
    h, m, s = _clock_parts(value)
    if h > 23 or m > 59 or s > 59:
        raise ValueError(f"not a time of day: {value!r}")
    return ((h * 60 + m) * 60 + s) * MS


def _clock_parts(value: object) -> tuple[int, int, int]:
    """Hours, minutes and seconds of 'HH:MM:SS' or 'HH:MM' (one or two digits each)."""
    parts = value.strip().split(":") if isinstance(value, str) else []
    if len(parts) not in (2, 3) or not all(p.isdigit() and 1 <= len(p) <= 2 for p in parts):
        raise ValueError(f"expected a time as HH:MM:SS, got {value!r}")
    return int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) == 3 else 0


def fmt_clock(ms: float) -> str:
    """ms since midnight -> 'HH:MM:SS' (truncated to the second)."""
    total = int(ms // MS)
    return f"{total // 3600:02d}:{total // 60 % 60:02d}:{total % 60:02d}"


def fmt_duration(ms: float) -> str:
    total = int(round(ms / MS))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m{total % 60:02d}s"
    return f"{total // 3600}h{total // 60 % 60:02d}m"
