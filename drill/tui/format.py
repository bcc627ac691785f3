"""Number formatting shared by the console's widgets and screens."""

from __future__ import annotations


def zone(snap) -> str:
    """The scenario clock's time-zone label (older snapshots carried none: US Eastern)."""
    return getattr(snap, "zone", None) or "ET"


def usd(value: float | None, unknown: str = "?") -> str:
    """Compact dollars: $950, $12,345, $123.4K, $26.46M, $1.23B."""
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


def usd_round(value: float) -> str:
    """Dollars for round figures (chart axes): $0, $500, $20K, $2.5M, $500M, $1B."""
    v = abs(value)
    sign = "-" if value < 0 else ""
    for unit, div in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if v >= div:
            return f"{sign}${v / div:g}{unit}"
    return f"{sign}${v:g}"


def usd_full(value: float) -> str:
    return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"


def speed(value: float) -> str:
    return f"{value:g}x"


def rate(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.0f}"
    return f"{value:.1f}"


def ratio(value: float) -> str:
    if value == 0:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def crop_left(text: str, width: int) -> str:
    """Keep the end of `text` (a path's file name matters most) within `width` cells."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    if width == 1:
        return "…"
    return "…" + text[-(width - 1):]


_CONTROL = {i: f"\\x{i:02x}" for i in (*range(0x20), 0x7F) if chr(i) not in "\n\t"}
_CONTROL.update({i: f"\\x{i:02x}" for i in range(0x80, 0xA0)})  # C1 controls (CSI is 0x9b)


def literal(text: str) -> str:
    """`text` made safe to draw: control characters (an escape sequence typed or pasted into a
    command, a journal path, scenario text) shown as `\\x1b`, never sent to the terminal.
    Markup needs no escaping here: callers draw through `rich.text.Text`, which parses none."""
    return text.translate(_CONTROL)
