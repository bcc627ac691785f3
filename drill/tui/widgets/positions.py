"""Positions as the risk monitor shows them: its view lags the market, so it says when from."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from drill.session.snapshot import Snapshot
from drill.tui import format as fmt


def positions_table(snap: Snapshot) -> Table:
    table = Table(box=None, expand=False, pad_edge=False, show_edge=False, padding=(0, 1))
    table.add_column("symbol", style="bold")
    table.add_column("shares", justify="right")
    table.add_column("value", justify="right")
    table.add_column("side")
    for p in snap.positions:
        side = Text("long", style="green") if p.shares > 0 else Text("short", style="red")
        table.add_row(p.symbol, f"{p.shares:,}", fmt.usd(abs(p.usd)), side)
    return table


class PositionsView(VerticalScroll):
    DEFAULT_CSS = """
    PositionsView { height: 1fr; }
    PositionsView > .positions--title { height: auto; color: $text-muted; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._key: tuple | None = None
        self._rows = -1

    def compose(self) -> ComposeResult:
        yield Static("", classes="positions--title")
        yield Static("", classes="positions--table")

    def show(self, snap: Snapshot) -> bool:
        key = (snap.monitor_as_of, snap.positions, snap.monitor_lag_s)
        if key == self._key:
            return False
        self._key = key
        title = Text()
        title.append("Risk monitor as of ", style="dim")
        title.append(snap.monitor_as_of, style="bold")
        title.append(f" (lag {snap.monitor_lag_s:,.0f}s) ", style="dim")
        title.append("gross ", style="dim")
        title.append(fmt.usd(snap.exposure_usd), style="bold")
        self.query_one(".positions--title", Static).update(title, layout=False)
        body = positions_table(snap) if snap.positions else Text("No positions on the monitor.", style="dim")
        # Its height changes only with the number of rows: only then is a layout pass needed.
        self.query_one(".positions--table", Static).update(body, layout=len(snap.positions) != self._rows)
        self._rows = len(snap.positions)
        return True
