"""Help: the panels, the keys, and the commands this scenario and difficulty offer."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from drill.commands import VERBS

KEYS = (
    (":", "focus the command line (Esc leaves it)"),
    ("Tab / ↑ ↓", "in the command line: complete; walk the history"),
    ("→", "in the command line: accept the grey suggestion"),
    ("space", "pause / resume the clock"),
    ("+ / -", "speed up / slow down (1, 2, 5, 10, 30, 60x)"),
    ("1 … 8", "switch tabs (actions, tape, inbox, alerts, calls, positions, chart, runbook)"),
    ("Enter", "open the selected message, alert or action result; on a server, prepare `inspect`"),
    ("r (ctrl+r while typing)", "read the latest finished action's whole result"),
    ("b", "the briefing again"),
    ("ctrl+p", "command palette: every command with its arguments filled in"),
    ("?", "this help"),
    ("q / ctrl+q", "quit (asks first while the drill runs)"),
)

PANELS = (
    ("Header", "scenario, sim clock (US Eastern), speed, phase, loss or exposure, capital left, collateral"),
    ("Fleet", "each server: release, flags it knows, state, parent orders in, child orders and fills per "
              "second, children sent per parent received (out:in)"),
    ("Actions", "every command, its progress while it runs, and its result"),
    ("Tape", "a live sample of child orders and fills"),
    ("Inbox / Alerts / Calls", "messages, newest at the bottom; the tab shows how many are unread"),
    ("Positions", "the firm's largest positions as the risk monitor shows them, and how far it lags"),
    ("Chart", "the loss over the session (the exposure, where the loss is hidden)"),
    ("Runbook", "the incident runbook, where the difficulty has one"),
)


def help_markdown(controls: Sequence[str], servers: Sequence[str], flags: Sequence[str], difficulty: str) -> str:
    lines = ["# Help", "", "## Keys", "", "| key | does |", "| --- | --- |"]
    lines += [f"| `{k}` | {d} |" for k, d in KEYS]
    lines += ["", "## Panels", "", "| panel | shows |", "| --- | --- |"]
    lines += [f"| {p} | {d} |" for p, d in PANELS]
    lines += ["", f"## Commands in this drill ({difficulty})", "", "| command | does |", "| --- | --- |"]
    lines += [f"| `{VERBS[v].usage}` | {VERBS[v].summary} |" for v in controls if v in VERBS]
    missing = [v for v in VERBS if v not in controls]
    if missing:
        lines += ["", "Not available in this difficulty: " + ", ".join(f"`{v}`" for v in missing) + "."]
    lines += ["", f"Servers: {', '.join(servers) or 'none'}. Flags: {', '.join(flags) or 'none'}.",
              "", "Every command takes simulated time; the market does not wait."]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 95%; max-width: 110; height: 90%;
        border: thick $accent; background: $surface;
    }
    HelpScreen VerticalScroll { height: 1fr; padding: 0 1; }
    HelpScreen .help--keys { height: 1; color: $text-muted; padding: 0 1; }
    """

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, markdown: str, **kwargs):
        super().__init__(**kwargs)
        self._markdown = markdown

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll():
                yield Markdown(self._markdown)
            yield Static("↑↓ scroll · Esc close", classes="help--keys")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
