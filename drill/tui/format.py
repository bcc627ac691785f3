"""Number formatting shared by the console's widgets and screens."""

from __future__ import annotations

from drill.money import usd, usd_round  # noqa: F401  (the one money style; widgets read it as fmt.usd)


def zone(snap) -> str:
    """The scenario clock's time-zone label (older snapshots carried none: US Eastern)."""
    return getattr(snap, "zone", None) or "ET"


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
    return "…" + text[-(width - 1) :]


_CONTROL = {i: f"\\x{i:02x}" for i in (*range(0x20), 0x7F) if chr(i) not in "\n\t"}
_CONTROL.update({i: f"\\x{i:02x}" for i in range(0x80, 0xA0)})  # C1 controls (CSI is 0x9b)


def literal(text: str) -> str:
    """`text` made safe to draw: control characters (an escape sequence typed or pasted into a
    command, a journal path, scenario text) shown as `\\x1b`, never sent to the terminal.
    Markup needs no escaping here: callers draw through `rich.text.Text`, which parses none."""
    return text.translate(_CONTROL)
