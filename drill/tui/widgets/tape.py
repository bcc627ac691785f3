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


class TapeView(Vertical):
    DEFAULT_CSS = """
    TapeView { height: 1fr; }
    TapeView > .tape--header { height: 1; color: $text-muted; text-style: bold; }
    TapeView > Log { height: 1fr; }
    """

    MAX_LINES = 400

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._last_at: int | None = None
        self.lines_written = 0

    def compose(self) -> ComposeResult:
        yield Static(HEADER, classes="tape--header")
        yield Log(max_lines=self.MAX_LINES, highlight=False, auto_scroll=True)

    def show(self, rows: Sequence[TapeRow]) -> int:
        """Append the rows newer than the last one shown. Rows of one sim tick share a time and
        always arrive together, so the time alone says what is new."""
        last = self._last_at
        new = [r for r in rows if last is None or r.at > last]
        if new:
            self.query_one(Log).write_lines([tape_line(r) for r in new])
            self._last_at = new[-1].at
            self.lines_written += len(new)
        return len(new)
