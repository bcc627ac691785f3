"""A block chart of the loss over the trading session, or of the gross exposure where the
difficulty hides the loss. Drawn with eighth-block characters; no plotting dependency.

Where the loss is hidden the chart shows only what the risk monitor has caught up with:
points later than its view are not drawn, so the chart never reveals more than the monitor.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from drill.money import nice_ceiling
from drill.session.snapshot import Snapshot
from drill.timefmt import fmt_clock
from drill.tui import format as fmt

BLOCKS = " ▁▂▃▄▅▆▇█"
AXIS_W = 8


def series_of(snap: Snapshot) -> tuple[str, list[tuple[int, float]]]:
    """The chart's title and points. The last point is the snapshot's own figure, the one the
    header shows, at its instant: the curve is sampled every few seconds, and a chart that
    ended at its last sample read a different loss from the header for a while."""
    if snap.loss_usd is not None:
        points = [(p.at, p.loss_usd) for p in snap.curve if p.at < snap.now]
        return "Loss", [*points, (snap.now, snap.loss_usd)]
    seen_until = snap.now - round(snap.monitor_lag_s * 1000)
    points = [(p.at, p.exposure_usd) for p in snap.curve if p.at < seen_until]
    return "Exposure (risk monitor)", [*points, (seen_until, snap.exposure_usd)]


def headline(snap: Snapshot) -> float:
    """The figure the chart's title shows: the header's loss, or its exposure."""
    return series_of(snap)[1][-1][1]


def columns(series: Sequence[tuple[int, float]], x0: int, x1: int, width: int) -> list[float | None]:
    """One value per column (the largest in its span); None for columns not reached yet."""
    out: list[float | None] = [None] * width
    if width <= 0 or x1 <= x0:
        return out
    span = (x1 - x0) / width
    for at, value in series:
        i = min(width - 1, max(0, int((at - x0) / span)))
        cur = out[i]
        out[i] = value if cur is None else max(cur, value)
    # A column with no sample inside a reached stretch carries its left neighbour's value.
    last = max((i for i, v in enumerate(out) if v is not None), default=-1)
    for i in range(1, last + 1):
        if out[i] is None:
            out[i] = out[i - 1]
    return out


def draw(
    title: str, series: Sequence[tuple[int, float]], x0: int, x1: int, width: int, height: int, style: str = "red"
) -> Text:
    text = Text(no_wrap=True, overflow="crop")
    if width < AXIS_W + 4 or height < 1:
        return text
    latest = series[-1][1] if series else None
    text.append(f"{title}: {fmt.usd(latest, unknown='no data yet')}"[:width], style="bold")
    if height == 1:
        return text
    plot_w = width - AXIS_W
    _draw_bars(text, series, x0, x1, plot_w, max(1, height - 2), style)
    if height >= 3:
        text.append("\n")
        left, right = fmt_clock(x0)[:5], fmt_clock(x1)[:5]
        gap = max(1, plot_w - len(left) - len(right))
        text.append(" " * (AXIS_W - 1) + "└" + left + "─" * gap + right, style="dim")
    return text


def _draw_bars(
    text: Text, series: Sequence[tuple[int, float]], x0: int, x1: int, plot_w: int, rows: int, style: str
) -> None:
    """The plot's rows, top first: each column a bar in eighths of a row, under a round top."""
    peak = max((v for _, v in series), default=0.0)
    top = nice_ceiling(peak)
    cols = columns(series, x0, x1, plot_w)
    for r in range(rows, 0, -1):
        text.append("\n")
        label = (fmt.usd_round(top) if peak > 0 else "") if r == rows else ("$0" if r == 1 else "")
        text.append(label.rjust(AXIS_W - 1)[: AXIS_W - 1] + "│", style="dim")
        for v in cols:
            if v is None:
                text.append(" ")
            else:
                eighths = int(round(max(0.0, v) / top * rows * 8)) - (r - 1) * 8
                text.append(BLOCKS[max(0, min(8, eighths))], style=style)


class Chart(Widget):
    DEFAULT_CSS = """
    Chart { height: 1fr; min-height: 3; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._title = "Loss"
        self._series: list[tuple[int, float]] = []
        self._x0 = 0
        self._x1 = 1
        self._key: tuple | None = None

    def show(self, snap: Snapshot, until: int | None = None) -> bool:
        """Chart the snapshot's curve from the open to `until` (the scenario's end by default)."""
        title, series = series_of(snap)
        end = snap.end if until is None else until
        key = (title, len(series), series[-1] if series else None, snap.open, end)
        if key == self._key:
            return False
        self._key = key
        self._title, self._series = title, series
        self._x0, self._x1 = snap.open, end
        self.refresh()
        return True

    def render(self) -> Text:
        style = "red" if self._title == "Loss" else "yellow"
        return draw(self._title, self._series, self._x0, self._x1, self.size.width, self.size.height, style)
