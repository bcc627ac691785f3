"""The scenario's briefing (Markdown), before the drill starts or again during it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Markdown, Static

from drill.tui.widgets.footer import KeyFooter


class BriefingScreen(Screen[bool]):
    """Dismisses with True to start (or go back to) the drill, False to go back to the picker."""

    DEFAULT_CSS = """
    BriefingScreen { align: center top; }
    BriefingScreen > Vertical { width: 100%; max-width: 100; height: 1fr; }
    BriefingScreen .briefing--title { height: auto; padding: 0 1; background: $panel; text-style: bold; }
    BriefingScreen VerticalScroll { height: 1fr; padding: 0 1; }
    BriefingScreen .briefing--keys { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, title: str, markdown: str, *, starting: bool, detail: str = "", **kwargs):
        super().__init__(**kwargs)
        self._title, self._markdown, self._starting, self._detail = title, markdown, starting, detail

    BINDINGS = [
        Binding("enter", "go", "Start"),
        Binding("escape", "back", "Back"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            title = self._title + (f"  ·  {self._detail}" if self._detail else "")
            yield Static(title, classes="briefing--title", markup=False)
            with VerticalScroll():
                yield Markdown(self._markdown)
            keys = (
                "Enter start the drill · Esc back to the picker"
                if self._starting
                else "Enter or Esc back to the console"
            )
            yield Static(keys, classes="briefing--keys")
        yield KeyFooter()

    def on_mount(self) -> None:
        if not self._starting:
            # Seen again from the console: both keys just go back.
            self.query_one(KeyFooter).display = False
        self.query_one(VerticalScroll).focus()

    def action_go(self) -> None:
        self._leave(True)

    def action_back(self) -> None:
        self._leave(not self._starting)

    def _leave(self, result: bool) -> None:
        """Go, the scroller's focus ended quietly first: its blur as the screen goes restyled
        every block of the briefing (about 0.03 CPU-s in a served tab, between the trainee's
        Enter and the console) for a screen nobody sees again (each briefing is shown once)."""
        self.query_one(VerticalScroll).set_reactive(Widget.has_focus, False)
        self.dismiss(result)
