"""A scrollable modal for long text: an action's result, a message, an alert."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from drill.tui.format import literal


class TextScreen(ModalScreen[str | None]):
    """Dismisses with None, or with the command of an offered action (e.g. "ack A1")."""

    DEFAULT_CSS = """
    TextScreen { align: center middle; }
    TextScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    TextScreen .text--title { height: auto; text-style: bold; }
    TextScreen .text--meta { height: auto; color: $text-muted; }
    TextScreen VerticalScroll { height: auto; max-height: 75vh; margin-top: 1; }
    TextScreen .text--keys { height: 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape,q,enter", "dismiss_none", "Close"),
    ]

    def __init__(self, title: str, body: str, meta: str = "", offers: Sequence[tuple[str, str, str]] = (), **kwargs):
        """`offers`: (key, label, command) for actions the reader can take from here."""
        super().__init__(**kwargs)
        self._title, self._body, self._meta = literal(title), literal(body), literal(meta)
        self._offers = {key: (label, command) for key, label, command in offers}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self._title), classes="text--title")
            if self._meta:
                yield Static(Text(self._meta), classes="text--meta")
            with VerticalScroll():
                yield Static(Text(self._body), classes="text--body")
            keys = [f"{k} {label}" for k, (label, _) in self._offers.items()]
            keys += ["↑↓ scroll", "Esc close"]
            yield Static(" · ".join(keys), classes="text--keys")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def on_key(self, event: events.Key) -> None:
        offer = self._offers.get(event.key)
        if offer is not None:
            event.stop()
            self.dismiss(offer[1])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
