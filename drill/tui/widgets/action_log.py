"""The action log: every command submitted, its progress while it runs, and its result.

Results longer than a line or two show their first line here; Enter (or a click) on an action
posts `ActionLog.Opened` and the console opens the whole result in a scrollable view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from drill.session.snapshot import ActionRow
from drill.tui.format import literal

PREVIEW_LINES = 2
BAR = 10


def progress_bar(progress: float, width: int = BAR) -> str:
    full = int(round(max(0.0, min(1.0, progress)) * width))
    return "▰" * full + "▱" * (width - full)


def action_prompt(a: ActionRow) -> Text:
    text = Text()
    text.append(f"{a.clock} ", style="dim")
    if a.who:  # a drill worked by a crew: who gave it (a name someone typed: literal)
        text.append(literal(a.who) + " ", style="magenta")
    text.append(literal(a.command), style="bold")
    if a.status == "running":
        text.append(f"  {progress_bar(a.progress)} {a.progress:4.0%}", style="cyan")
    elif a.status == "refused":
        text.append("  refused", style="bold yellow")
    else:
        text.append("  done", style="green")
    lines = a.result.splitlines() if a.result else []
    for line in lines[:PREVIEW_LINES]:
        text.append("\n  " + literal(line.strip()), style="yellow" if a.status == "refused" else "")
    if len(lines) > PREVIEW_LINES:
        text.append(f"\n  … {len(lines) - PREVIEW_LINES} more lines: Enter to read", style="dim italic")
    return text


class ActionLog(OptionList):
    DEFAULT_CSS = """
    ActionLog { height: 1fr; border: none; padding: 0; }
    ActionLog:focus { border: none; }
    """

    @dataclass
    class Opened(Message):
        action_id: int

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._shown: dict[int, ActionRow] = {}
        self._empty = True

    def on_mount(self) -> None:
        self._show_empty()

    def _show_empty(self) -> None:
        self.set_options(
            [
                Option(
                    Text("No actions yet. Press : and type a command (? for help).", style="dim"),
                    id="empty",
                    disabled=True,
                )
            ]
        )

    def show(self, actions: Sequence[ActionRow]) -> bool:
        changed = False
        for a in actions:
            before = self._shown.get(a.id)
            if before == a:
                continue
            changed = True
            if self._empty:
                self.clear_options()
                self._empty = False
            key = f"a{a.id}"
            if before is None:
                self.add_option(Option(action_prompt(a), id=key))
                self.highlighted = self.option_count - 1
            else:
                self.replace_option_prompt(key, action_prompt(a))
            self._shown[a.id] = a
        return changed

    def action(self, action_id: int) -> ActionRow | None:
        return self._shown.get(action_id)

    @on(OptionList.OptionSelected)
    def _opened(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id.startswith("a"):
            self.post_message(self.Opened(int(event.option.id[1:])))
