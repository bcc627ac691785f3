"""Help: the panels, the keys, and the commands this scenario and difficulty offer."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from drill.commands import TRAINEE_VERBS, VERBS
from drill.session.snapshot import ConsoleSetup
from drill.tui.panels import Panel, key_range

# Keys that belong to the command line and the lists rather than to the console.
WIDGET_KEYS = (
    ("Tab / ↑ ↓", "in the command line: complete; walk the history"),
    ("→", "in the command line: accept the grey suggestion"),
    ("Enter", "open the selected message, alert or action result; on a server, prepare `inspect`"),
    ("ctrl+p", "command palette: every command with its arguments filled in"),
)

# The parts of the console that are always on screen, above the tabs.
REGIONS = (
    ("Header", "scenario, sim clock, speed, phase, loss or exposure, capital left, collateral"),
    (
        "Fleet",
        "each server: release, flags it knows, state, parent orders in, child orders and fills per "
        "second, children sent per parent received (out:in)",
    ),
)


def cell(text: str) -> str:
    """Scenario text in a Markdown table cell: a `|` would start another column."""
    return text.replace("|", "\\|")


def help_markdown(fixed: ConsoleSetup, panels: Sequence[Panel], keys: Sequence[tuple[str, str]]) -> str:
    """Help for this drill: the console's working `keys`, its `panels` and the commands the
    difficulty offers; nothing else."""
    return "\n".join([*_keys_section(panels, keys), *_panels_section(panels), *_commands_section(fixed)])


def _keys_section(panels: Sequence[Panel], keys: Sequence[tuple[str, str]]) -> list[str]:
    tabs = ", ".join(p.title.lower() for p in panels)
    lines = ["# Help", "", "## Keys", "", "| key | does |", "| --- | --- |"]
    lines += [f"| `{k}` | {d} |" for k, d in keys]
    lines += [f"| `{key_range(tuple(panels))}` | switch tabs ({tabs}) |"]
    lines += [f"| `{k}` | {d} |" for k, d in WIDGET_KEYS]
    return lines


def _panels_section(panels: Sequence[Panel]) -> list[str]:
    lines = ["", "## Panels", "", "| panel | key | shows |", "| --- | --- | --- |"]
    lines += [f"| {name} | | {d} |" for name, d in REGIONS]
    lines += [f"| {p.title} | `{p.key}` | {p.help} |" for p in panels]
    return lines


def _commands_section(fixed: ConsoleSetup) -> list[str]:
    """The commands this difficulty offers, the ones it does not, and what they act on."""
    lines = ["", f"## Commands in this drill ({cell(fixed.difficulty)})", "", "| command | does |", "| --- | --- |"]
    lines += [f"| `{VERBS[v].usage}` | {VERBS[v].summary} |" for v in fixed.controls if v in TRAINEE_VERBS]
    missing = [v for v in TRAINEE_VERBS if v not in fixed.controls]
    if missing:
        lines += ["", "Not available in this difficulty: " + ", ".join(f"`{v}`" for v in missing) + "."]
    lines += [
        "",
        f"Servers: {cell(', '.join(fixed.servers)) or 'none'}. Flags: {cell(', '.join(fixed.flags)) or 'none'}.",
        "",
        "Every command takes simulated time; the market does not wait. A command still running "
        "is not queued again: wait for its result.",
    ]
    return lines


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
