"""The line under the command line: feedback on the last command (left) and the journal (right)."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from drill.tui.format import crop_left, literal

FEEDBACK_STYLE = {"ok": "green", "error": "bold red", "refused": "bold yellow", "info": "dim"}
FEEDBACK_MARK = {"ok": "✓ ", "error": "✗ ", "refused": "⚠ ", "info": ""}


class Feedback(Static):
    kind = "info"
    message = ""

    DEFAULT_CSS = """
    Feedback { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def say(self, message: str, kind: str = "info") -> None:
        self.kind = kind
        self.message = message = literal(message)
        # One row, always: no layout pass needed.
        self.update(Text(FEEDBACK_MARK.get(kind, "") + message, style=FEEDBACK_STYLE.get(kind, "")), layout=False)


class JournalLabel(Widget):
    """The journal's path, cut from the left when space is short: the file name matters most."""

    DEFAULT_CSS = """
    JournalLabel { width: auto; max-width: 60%; height: 1; color: $text-muted; padding-left: 1; }
    """

    path: reactive[str] = reactive("", layout=True)

    def __init__(self, path: str, **kwargs):
        super().__init__(**kwargs)
        self.path = literal(path)

    def get_content_width(self, container, viewport) -> int:
        return len("journal ") + len(self.path)

    def render(self) -> Text:
        label = "journal "
        return Text(label + crop_left(self.path, self.size.width - len(label)), no_wrap=True)
