"""The console's header: scenario, sim clock, speed, phase, and the money as the difficulty shows it.

Where the difficulty hides the true loss (historical), the header shows what the firm could see:
the risk monitor's gross exposure, the instant its view is from, and how far it lags.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from drill.session.snapshot import Snapshot
from drill.tui import format as fmt

PHASE_STYLE = {
    "pre-open": "bold white on blue",
    "open": "bold white on green",
    "incident": "bold white on red",
    "contained": "bold black on yellow",
    "recovered": "bold white on green",
    "ended": "bold white on grey37",
}


def title_line(snap: Snapshot) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(snap.title, style="bold")
    text.append(f" · {snap.difficulty} · seed {snap.seed}", style="dim")
    return text


def clock_line(snap: Snapshot, speed: float, paused: bool) -> Text:
    text = Text(no_wrap=True)
    text.append(snap.clock, style="bold")
    text.append(f" {fmt.zone(snap)} ")
    if paused:
        text.append(" PAUSED ", style="bold black on yellow")
    else:
        text.append(f" ▶ {fmt.speed(speed)} ", style="bold")
    text.append(" ")
    text.append(f" {snap.phase.upper()} ", style=PHASE_STYLE.get(snap.phase, "bold reverse"))
    return text


def money_line(snap: Snapshot) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if snap.loss_usd is not None:
        text.append("Loss ", style="dim")
        text.append(fmt.usd(snap.loss_usd), style="bold red" if snap.loss_usd > 0 else "bold")
        text.append("  Capital left ", style="dim")
        left = snap.capital_left_usd if snap.capital_left_usd is not None else snap.capital_usd
        text.append(fmt.usd(left), style="bold" if left > 0 else "bold white on red")
    else:
        # The firm could not see its loss that morning: neither can the trainee.
        text.append("Loss ", style="dim")
        text.append("?", style="bold")
        text.append("  Capital ", style="dim")
        text.append(fmt.usd(snap.capital_usd), style="bold")
    text.append("  Collateral ", style="dim")
    text.append(fmt.usd(snap.collateral_usd), style="bold")
    return text


def monitor_line(snap: Snapshot) -> Text:
    text = Text(no_wrap=True)
    text.append("Exposure ", style="dim")
    text.append(fmt.usd(snap.exposure_usd), style="bold yellow")
    text.append(f" as of {snap.monitor_as_of}", style="dim")
    if snap.loss_usd is None or snap.monitor_lag_s >= 5:
        text.append(", lag ", style="dim")
        text.append(f"{snap.monitor_lag_s:,.0f}s", style="bold" if snap.monitor_lag_s >= 60 else "")
    return text


def fit_row(left: Text, right: Text, width: int) -> Text:
    """One header row: `left` cut to leave room for `right`, which keeps its place at the right."""
    if width <= 0:
        return Text()
    right = right.copy()
    right.truncate(width)
    room = width - right.cell_len
    left = left.copy()
    if left.cell_len > max(0, room - 1):
        left.truncate(max(0, room - 1), overflow="ellipsis")
    row = Text(no_wrap=True)
    row.append_text(left)
    row.append(" " * (width - left.cell_len - right.cell_len))
    row.append_text(right)
    return row


class StatusHeader(Widget):
    """Two rows drawn in one render: an update repaints the header without a layout pass."""

    DEFAULT_CSS = """
    StatusHeader {
        height: 2;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._rows: tuple[Text, Text, Text, Text] | None = None

    def show(self, snap: Snapshot, speed: float, paused: bool) -> bool:
        rows = (title_line(snap), clock_line(snap, speed, paused), money_line(snap), monitor_line(snap))
        if rows == self._rows:
            return False
        self._rows = rows
        self.refresh()
        return True

    def render(self) -> Text:
        if self._rows is None:
            return Text()
        width = self.content_size.width
        title, clock, money, monitor = self._rows
        out = fit_row(title, clock, width)
        out.append("\n")
        out.append_text(fit_row(money, monitor, width))
        return out
