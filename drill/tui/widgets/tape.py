"""The order tape: a live sample of child orders and their fills, appended in one batch a frame."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Log, Static

from drill.session.snapshot import TapeRow

HEADER = f"{'time':<8} {'server':<8} {'side':<4} {'qty':>5} {'symbol':<6} {'price':>9} status"


def tape_line(row: TapeRow) -> str:
    return (f"{row.clock:<8} {row.server:<8} {row.side:<4} {row.shares:>5,} {row.symbol:<6} "
            f"{row.price:>9,.2f} {row.status}")


class TapeLog(Log):
    """A Log that measures its new lines on the spot. Log measures them in a thread worker, one
    thread per write; at 30 writes a second of short fixed-format lines that costs more than
    measuring. (Private hooks of Textual 8's Log: if they go, the stock behaviour remains.)"""

    if hasattr(Log, "_update_maximum_width"):
        def _update_size(self, updates: int, lines: list[str]) -> None:  # type: ignore[override]
            if lines:
                self._update_maximum_width(updates, max(len(line) for line in lines))


class TapeView(Vertical):
    DEFAULT_CSS = """
    TapeView { height: 1fr; }
    TapeView > .tape--header { height: 1; color: $text-muted; text-style: bold; }
    TapeView > TapeLog { height: 1fr; overflow-x: hidden; overflow-y: auto; }
    """

    MAX_LINES = 400

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._last_at: int | None = None
        self.lines_written = 0

    def compose(self) -> ComposeResult:
        yield Static(HEADER, classes="tape--header")
        yield TapeLog(max_lines=self.MAX_LINES, highlight=False, auto_scroll=True)

    def show(self, rows: Sequence[TapeRow]) -> int:
        """Append the rows newer than the last one shown. Rows of one sim tick share a time and
        always arrive together, so the time alone says what is new."""
        last = self._last_at
        new = [r for r in rows if last is None or r.at > last]
        if new:
            log = self.query_one(Log)
            # Follow the newest rows unless the trainee is scrolling back through the tape. (The
            # Log's own auto-scroll gives up for good once it is off the end, which happens
            # whenever the tab is hidden while rows arrive.)
            follow = not log.has_focus or log.is_vertical_scroll_end
            log.write_lines([tape_line(r) for r in new], scroll_end=False)
            if follow:
                log.scroll_end(animate=False, immediate=True, x_axis=False)
            self._last_at = new[-1].at
            self.lines_written += len(new)
        return len(new)
