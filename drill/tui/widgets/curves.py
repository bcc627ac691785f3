"""Loss curves side by side: the trainee's drill and its counterfactuals, with the trainee's
commands marked on the time axis. A Rich renderable sized to the space it is given; no plotting
dependency."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from drill.money import nice_ceiling
from drill.timefmt import fmt_clock
from drill.tui import format as fmt
from drill.tui.widgets.chart import columns

COLOURS = {
    "trainee": "bold red",
    "best": "green",
    "earliest": "cyan",
    "earlier": "blue",
    "without": "magenta",
    "play": "yellow",
    "historical": "yellow",
}
AXIS_W = 10


class CurvesPlot:
    """series: (label, kind, ((t_ms, loss), ...)); the first is the trainee's (drawn on top)."""

    def __init__(self, series, markers, start_t: int, end_t: int, height: int = 10):
        self.series = [s for s in series if s[2]]
        self.markers = markers
        self.start_t, self.end_t = start_t, max(end_t, start_t + 60_000)
        self.height = max(3, height)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(10, options.max_width - AXIS_W - 3)  # room for a scrollbar beside it
        top = self._top()
        out = Text(no_wrap=True, overflow="crop")
        for row, cells in enumerate(self._grid(width, top)):
            label = fmt.usd(top) if row == 0 else ("$0" if row == self.height - 1 else "")
            out.append(f"{label:>{AXIS_W - 1}}│", style="dim")
            for cell in cells:
                out.append(" ") if cell is None else out.append(cell[0], style=cell[1])
            out.append("\n")
        out.append(" " * (AXIS_W - 1) + "└", style="dim")
        out.append(self._command_marks(width), style="bright_white")
        out.append("\n")
        left, right = fmt_clock(self.start_t)[:5], fmt_clock(self.end_t)[:5]
        out.append(" " * AXIS_W + left + " " * max(1, width - len(left) - len(right)) + right, style="dim")
        yield out

    def _top(self) -> float:
        """The axis's round top. Scaled to the trainee's drill and its what-ifs; the scenario's
        plays (the historical one can be a hundred times larger) are clipped at the top rather
        than flatten the rest."""
        scaled = [pts for _, kind, pts in self.series if kind not in ("play", "historical", "best")]
        if not scaled:
            scaled = [pts for _, _, pts in self.series]
        return nice_ceiling(max((v for pts in scaled for _, v in pts), default=0.0))

    def _grid(self, width: int, top: float) -> list[list[tuple[str, str] | None]]:
        """The plot's cells, top row first: a (character, style) where a curve passes."""
        height = self.height
        grid: list[list[tuple[str, str] | None]] = [[None] * width for _ in range(height)]
        # Others first, the trainee last: the trainee's curve is never hidden.
        for _label, kind, pts in list(reversed(self.series)):
            style = COLOURS.get(kind, "white")
            mark = "━" if kind == "trainee" else "─"
            inside = [(t, v) for t, v in pts if self.start_t <= t <= self.end_t]
            for x, v in enumerate(columns(inside, self.start_t, self.end_t, width)):
                if v is not None:
                    y = min(height - 1, int(v / top * (height - 1) + 0.5)) if top else 0
                    grid[height - 1 - y][x] = ("↑" if v > top else mark, style)
        return grid

    def _command_marks(self, width: int) -> str:
        """The time axis with a ▲ under each of the trainee's commands."""
        span = (self.end_t - self.start_t) / width
        axis = [" "] * width
        for m in self.markers:
            x = int((m.t - self.start_t) / span)
            if 0 <= x < width:
                axis[x] = "▲"
        return "".join(axis)


def legend(series) -> Text:
    text = Text()
    for label, kind, pts in series:
        if not pts:
            continue
        text.append("━ " if kind == "trainee" else "─ ", style=COLOURS.get(kind, "white"))
        text.append(f"{label} {fmt.usd(pts[-1][1])}  ")
    text.append("▲ your commands", style="dim")
    return text
