"""The order tape: a live sample of child orders and their fills, appended in one batch a frame."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Log, Static

from drill.session.snapshot import TapeRow

SYMBOL_W = 6  # wider where a scenario's symbols are (futures: "ES-JUN10")


def tape_header(with_server: bool = True, symbol_w: int = SYMBOL_W) -> str:
    server = f"{'server':<8} " if with_server else ""
    return f"{'time':<8} {server}{'side':<4} {'qty':>5} {'symbol':<{symbol_w}} {'price':>9} status"


HEADER = tape_header()


def tape_line(row: TapeRow, with_server: bool = True, symbol_w: int = SYMBOL_W) -> str:
    """One row. Where the difficulty hides which server sent an order, the row carries no
    server and the tape has no server column."""
    server = f"{row.server:<8} " if with_server else ""
    return (
        f"{row.clock:<8} {server}{row.side:<4} {row.shares:>5,} {row.symbol:<{symbol_w}} "
        f"{row.price:>9,.2f} {row.status}"
    )


class TapeLog(Log):
    """A Log that follows the newest row unless the trainee scrolled back to read.

    Whether it follows is remembered, not inferred from the scroll position: while its tab is
    hidden the Log has no size, so its position says nothing, and a tape that inferred it lost
    the clock for good once a tab switch left it short of the end.

    It also measures its new lines on the spot. Log measures them in a thread worker, one
    thread per write; at 30 writes a second of short fixed-format lines that costs more than
    measuring. (Private hooks of Textual 8's Log: if they go, the stock behaviour remains.)"""

    held = False  # the trainee scrolled back: hold the view until they return to the end

    # Every write grows a Log's virtual size, which Textual treats as a layout change: the whole
    # screen reflowed and every widget on it repainted, once a simulated second at 1x (a third of
    # a served tab's CPU at 1x). The tape's box never changes with its content; only its scrollbar
    # does. So a new size repaints the tape and moves its scrollbar, and lays out only when the
    # scrollbar comes or goes.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def watch_virtual_size(self, size: Size) -> None:
        needs_bar = size.height > self.container_size.height
        if needs_bar != self.show_vertical_scrollbar or not hasattr(self, "_scroll_update"):
            self.refresh(layout=True)
        else:
            self._scroll_update(size)  # the scrollbar's thumb (Textual 8, as layout would)

    if hasattr(Log, "_update_maximum_width"):

        def _update_size(self, updates: int, lines: list[str]) -> None:  # type: ignore[override]
            if lines:
                self._update_maximum_width(updates, max(len(line) for line in lines))

    def _hold(self) -> None:
        self.held = True

    def _release_at_end(self) -> None:
        self.held = self.scroll_target_y < self.max_scroll_y

    def action_scroll_up(self) -> None:
        self._hold()
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._hold()
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self._hold()
        super().action_scroll_home()

    def _on_mouse_scroll_up(self, event) -> None:
        self._hold()
        super()._on_mouse_scroll_up(event)

    def action_scroll_down(self) -> None:
        super().action_scroll_down()
        self._release_at_end()

    def action_page_down(self) -> None:
        super().action_page_down()
        self._release_at_end()

    def _on_mouse_scroll_down(self, event) -> None:
        super()._on_mouse_scroll_down(event)
        self._release_at_end()

    def action_scroll_end(self) -> None:
        self.held = False
        super().action_scroll_end()


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
        self.last_row: TapeRow | None = None  # the newest row written
        self._with_server: bool | None = None
        self._symbol_w = SYMBOL_W

    def compose(self) -> ComposeResult:
        yield Static(HEADER, classes="tape--header")
        yield TapeLog(max_lines=self.MAX_LINES, highlight=False, auto_scroll=False)

    def show(self, rows: Sequence[TapeRow]) -> int:
        """Append the rows newer than the last one shown. Rows of one sim tick share a time and
        always arrive together, so the time alone says what is new."""
        last = self._last_at
        new = [r for r in rows if last is None or r.at > last]
        if new:
            if self._with_server is None:  # the first rows say whether the difficulty names servers
                self._with_server = any(r.server for r in new)
                self._symbol_w = max(SYMBOL_W, *(len(r.symbol) for r in new))
                self.query_one(".tape--header", Static).update(tape_header(self._with_server, self._symbol_w))
            log = self.query_one(TapeLog)
            log.write_lines([tape_line(r, self._with_server, self._symbol_w) for r in new], scroll_end=False)
            self._last_at = new[-1].at
            self.last_row = new[-1]
            self.follow()
        return len(new)

    def follow(self) -> None:
        """Show the newest row, unless the trainee is holding the view to read back."""
        log = self.query_one(TapeLog)
        if not log.held:
            log.scroll_end(animate=False, immediate=True, x_axis=False)

    @property
    def at_newest(self) -> bool:
        """The newest row written is on screen (or the tape is not on screen at all)."""
        log = self.query_one(TapeLog)
        return log.max_scroll_y <= log.scroll_y + 0.5
