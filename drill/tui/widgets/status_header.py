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


def title_line(snap: Snapshot, width: int | None = None, *, seed: bool = True) -> Text:
    """The scenario's title, then difficulty and seed (not in ranked play: with the seed a team
    could look up the hidden fault). Where space is short the title is cut, not the difficulty."""
    text = Text(no_wrap=True, overflow="ellipsis")
    suffix = f" · {snap.difficulty}" + (f" · seed {snap.seed}" if seed else "")
    title = snap.title
    if width is not None and len(title) + len(suffix) > width:
        room = max(8, width - len(suffix))
        title = title[: room - 1].rstrip() + "…" if len(title) > room else title
    text.append(title, style="bold")
    text.append(suffix, style="dim")
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


# Labels from the widest to the narrowest: a narrow terminal gets shorter words, never a cut figure.
MONEY_LABELS = (
    ("Loss ", "  Capital left ", "  Capital ", "  Collateral "),
    ("Loss ", "  Left ", "  Capital ", "  Collat. "),
    ("Loss ", " Left ", " Cap ", " Coll "),
)


def money_line(snap: Snapshot, compact: int = 0) -> Text:
    loss_label, left_label, capital_label, collateral_label = MONEY_LABELS[min(compact, len(MONEY_LABELS) - 1)]
    text = Text(no_wrap=True, overflow="ellipsis")
    if snap.loss_usd is not None:
        text.append(loss_label, style="dim")
        text.append(fmt.usd(snap.loss_usd), style="bold red" if snap.loss_usd > 0 else "bold")
        text.append(left_label, style="dim")
        left = snap.capital_left_usd if snap.capital_left_usd is not None else snap.capital_usd
        text.append(fmt.usd(left), style="bold" if left > 0 else "bold white on red")
    else:
        # The firm could not see its loss that morning: neither can the trainee.
        text.append(loss_label, style="dim")
        text.append("?", style="bold")
        text.append(capital_label, style="dim")
        text.append(fmt.usd(snap.capital_usd), style="bold")
    text.append(collateral_label, style="dim")
    text.append(fmt.usd(snap.collateral_usd), style="bold")
    return text


def monitor_line(snap: Snapshot, compact: int = 0) -> Text:
    """The risk monitor's exposure; narrower, it drops "as of" (the lag says the same), then
    shortens its words."""
    lagging = snap.loss_usd is None or snap.monitor_lag_s >= 5
    text = Text(no_wrap=True)
    text.append("Exposure " if compact < 2 else "Exp ", style="dim")
    text.append(fmt.usd(snap.exposure_usd), style="bold yellow")
    if compact == 0:
        text.append(f" as of {snap.monitor_as_of}", style="dim")
    if lagging:
        text.append(", lag " if compact < 2 else " lag ", style="dim")
        text.append(f"{snap.monitor_lag_s:,.0f}s", style="bold" if snap.monitor_lag_s >= 60 else "")
    return text


# (money, monitor) compactness, tried in turn: the monitor gives way before the money does.
ROW_LEVELS = ((0, 0), (0, 1), (0, 2), (1, 2), (2, 2))


def money_row(snap: Snapshot, width: int) -> Text:
    """The second row: the money (never cut) and the risk monitor, each as wide as fits."""
    for money_level, monitor_level in ROW_LEVELS:
        money, monitor = money_line(snap, money_level), monitor_line(snap, monitor_level)
        if money.cell_len + 2 + monitor.cell_len <= width:
            return fit_row(money, monitor, width)
    money = money_line(snap, ROW_LEVELS[-1][0])
    if snap.loss_usd is not None:  # the loss says more than the exposure: it keeps the row
        return fit_row(money, Text(), width)
    return fit_row(money, monitor_line(snap, ROW_LEVELS[-1][1]), width)


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


TOP_FIELDS = ("title", "difficulty", "seed", "clock", "zone", "phase")
MONEY_FIELDS = (
    "loss_usd",
    "capital_left_usd",
    "capital_usd",
    "collateral_usd",
    "exposure_usd",
    "monitor_as_of",
    "monitor_lag_s",
)


class StatusHeader(Widget):
    """Two rows drawn in one render: an update repaints the header without a layout pass."""

    DEFAULT_CSS = """
    StatusHeader {
        height: 2;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, *, show_seed: bool = True, **kwargs):
        super().__init__(**kwargs)
        self._rows: tuple[Snapshot, Snapshot, float, bool] | None = None
        self._show_seed = show_seed

    def show(self, snap: Snapshot, speed: float, paused: bool, money: Snapshot | None = None) -> bool:
        """The clock row from `snap`; the money row from `money` (default `snap`): the console
        passes the snapshot its chart last drew, so the two always show the same figure."""
        rows = (snap, money or snap, speed, paused)
        if self._rows is not None and self._same(rows):
            return False
        self._rows = rows
        self.refresh()
        return True

    def _same(self, rows) -> bool:
        # What the header shows, not the whole snapshot: a new tape row is no reason to repaint.
        assert self._rows is not None  # show() compares only once there is a frame shown
        (a, ma, sa, pa), (b, mb, sb, pb) = self._rows, rows
        return (
            (sa, pa) == (sb, pb)
            and all(getattr(a, f) == getattr(b, f) for f in TOP_FIELDS)
            and all(getattr(ma, f) == getattr(mb, f) for f in MONEY_FIELDS)
        )

    def render(self) -> Text:
        if self._rows is None:
            return Text()
        width = self.content_size.width
        snap, money, speed, paused = self._rows
        clock = clock_line(snap, speed, paused)
        out = fit_row(title_line(snap, width - clock.cell_len - 1, seed=self._show_seed), clock, width)
        out.append("\n")
        out.append_text(money_row(money, width))
        return out
