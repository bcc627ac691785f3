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
        longer = len(message) > len(self.message)
        self.kind = kind
        self.message = message = literal(message)
        # One row, always: no layout pass needed, unless the journal must make room.
        self.update(Text(FEEDBACK_MARK.get(kind, "") + message, style=FEEDBACK_STYLE.get(kind, "")), layout=False)
        if self.parent is not None and (longer or len(message) < JOURNAL_MIN):
            for journal in self.parent.query_children(JournalLabel):
                journal.refresh(layout=True)

    @property
    def cells(self) -> int:
        """Cells the message needs, with its mark."""
        return len(FEEDBACK_MARK.get(self.kind, "")) + len(self.message)


JOURNAL_MIN = len("journal …") + 12  # narrower than this the journal is not worth showing


class JournalLabel(Widget):
    """The journal's path, cut from the left when space is short: the file name matters most.
    The message beside it comes first: the path takes only the room the message leaves."""

    DEFAULT_CSS = """
    JournalLabel { width: auto; height: 1; color: $text-muted; padding-left: 1; }
    """

    path: reactive[str] = reactive("", layout=True)

    def __init__(self, path: str, **kwargs):
        super().__init__(**kwargs)
        self.path = literal(path)

    def get_content_width(self, container, viewport) -> int:
        full = len("journal ") + len(self.path)
        feedback = next((w for w in self.parent.children if isinstance(w, Feedback)), None) if self.parent else None
        if feedback is None:
            return full
        room = container.width - feedback.cells - 2  # a gap, and this label's own padding
        return full if room >= full else (room if room >= JOURNAL_MIN else 0)

    def render(self) -> Text:
        label = "journal "
        if self.size.width < JOURNAL_MIN:
            return Text()
        return Text(label + crop_left(self.path, self.size.width - len(label)), no_wrap=True)
