"""The console's panels, each one unit: its id, title, key, help line, the widget it shows and how
that widget renders a frame. The console's tabs, their keys and the help screen are all built
from `PANELS`; adding a panel is one class here (and, if it needs one, a widget).

What never changes during a drill (the title, the controls, the runbook, whether there is a
canary dashboard) is the session's `ConsoleSetup`, read once when the console opens; what changes
is the `Frame`: one snapshot plus the console's own clock state, rendered by every panel at the
same instant.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from drill.session.snapshot import ConsoleSetup, Snapshot
from drill.tui.widgets.action_log import ActionLog
from drill.tui.widgets.chart import Chart
from drill.tui.widgets.message_list import AlertList, MessageList
from drill.tui.widgets.positions import PositionsView
from drill.tui.widgets.releases import ReleasesView
from drill.tui.widgets.tape import TapeView


@dataclass(frozen=True)
class Frame:
    """One instant of the drill as every panel renders it."""

    snap: Snapshot
    speed: float
    paused: bool


class Panel(ABC):
    """One tab of the console. Subclasses set the class attributes and build/render one widget."""

    id: str = ""
    title: str = ""
    key: str = ""  # the number key that shows it
    help: str = ""  # what it shows, for the help screen
    widget_id: str = ""  # the id of the widget `show` renders ("-side" for the copy beside the tabs)
    focus: str | None = ""  # when chosen by key, focus the widget (""), a part of it ("Log") or nothing (None)
    every_frame: bool = False  # follows every frame (cheap, or it must keep up); else every few
    while_hidden: bool = False  # rendered while its tab is hidden (it keeps a count or a position)
    side: int = 0  # on a wide screen it sits beside the tabs instead of in them: 1 on top, 2 below
    side_style: str = "height: 1fr;"  # CSS for its copy beside the tabs

    @property
    def deferred(self) -> bool:
        """Its tab's content is mounted when the tab is first shown, not with the console: a
        panel nobody has looked at costs the first frame nothing (the runbook's Markdown alone is
        half the console's widgets). A panel rendered while hidden must exist from the start."""
        return not self.while_hidden

    def available(self, fixed: ConsoleSetup) -> bool:
        return True

    def unavailable(self) -> str:
        return f"No {self.title.lower()} in this difficulty."

    def compose(self, fixed: ConsoleSetup, widget_id: str) -> Iterator[Widget]:
        """The pane's content: the widget `show` renders (with `widget_id`), and any notes."""
        yield self.widget(fixed, widget_id)

    @abstractmethod
    def widget(self, fixed: ConsoleSetup, widget_id: str) -> Widget:
        """Build the widget this panel renders into."""

    @abstractmethod
    def show(self, widget: Widget, frame: Frame) -> None:
        """Render one frame into the widget."""

    def unread(self, widget: Widget) -> int:
        """How many new items its tab label counts (0: no count)."""
        return 0

    def revealed(self, widget: Widget) -> None:  # noqa: B027 -- a hook: most panels do nothing here
        """Its tab was just chosen and it has caught up: anything it does on being shown."""


class ActionsPanel(Panel):
    id, title, key, widget_id = "actions", "Actions", "1", "actions-tab"
    help = "every command, its progress while it runs, and its result"
    every_frame = while_hidden = True
    side = 2

    def widget(self, fixed: ConsoleSetup, widget_id: str) -> Widget:
        return ActionLog(id=widget_id)

    def show(self, widget: Widget, frame: Frame) -> None:
        assert isinstance(widget, ActionLog)
        widget.show(frame.snap.actions)


class TapePanel(Panel):
    id, title, key, widget_id = "tape", "Tape", "2", "tape-view"
    help = "a live sample of child orders and fills, following the clock (scroll up to hold it)"
    focus = "Log"
    every_frame = while_hidden = True

    def widget(self, fixed: ConsoleSetup, widget_id: str) -> Widget:
        return TapeView(id=widget_id)

    def show(self, widget: Widget, frame: Frame) -> None:
        assert isinstance(widget, TapeView)
        widget.show(frame.snap.tape)

    def revealed(self, widget: Widget) -> None:
        assert isinstance(widget, TapeView)
        widget.call_after_refresh(widget.follow)  # it has a size again: back to the newest row


class InboxPanel(Panel):
    id, title, key, widget_id = "inbox", "Inbox", "3", "inbox-list"
    help = "emails, newest at the bottom; the tab counts the unread"
    while_hidden = True
    kind = "email"

    def widget(self, fixed: ConsoleSetup, widget_id: str) -> Widget:
        return MessageList(self.kind, id=widget_id)

    def show(self, widget: Widget, frame: Frame) -> None:
        assert isinstance(widget, MessageList)
        widget.show(frame.snap.inbox if self.kind == "email" else frame.snap.calls)

    def unread(self, widget: Widget) -> int:
        assert isinstance(widget, MessageList)
        return widget.unread


class AlertsPanel(Panel):
    id, title, key, widget_id = "alerts", "Alerts", "4", "alerts-list"
    help = "the monitoring alerts, open or acknowledged; the tab counts the unread"
    while_hidden = True

    def compose(self, fixed: ConsoleSetup, widget_id: str) -> Iterator[Widget]:
        if not fixed.alerts_enabled:
            yield Static("No alerts in this difficulty: nothing was designed to warn you.", classes="panel-note")
        yield self.widget(fixed, widget_id)

    def widget(self, fixed: ConsoleSetup, widget_id: str) -> Widget:
        return AlertList("alert", id=widget_id)

    def show(self, widget: Widget, frame: Frame) -> None:
        assert isinstance(widget, AlertList)
        widget.show(frame.snap.alerts)

    def unread(self, widget: Widget) -> int:
        assert isinstance(widget, AlertList)
        return widget.unread


class CallsPanel(InboxPanel):
    id, title, key, widget_id = "calls", "Calls", "5", "calls-list"
    help = "phone calls, newest at the bottom; the tab counts the unread"
    kind = "call"


class PositionsPanel(Panel):
    id, title, key, widget_id = "positions", "Positions", "6", "positions-view"
    help = "the firm's largest positions as the risk monitor shows them, and how far it lags"

    def widget(self, fixed: ConsoleSetup, widget_id: str) -> Widget:
        return PositionsView(id=widget_id)

    def show(self, widget: Widget, frame: Frame) -> None:
        assert isinstance(widget, PositionsView)
        widget.show(frame.snap)


class ChartPanel(Panel):
    id, title, key, widget_id = "chart", "Chart", "7", "chart-tab"
    help = "the loss over the session (the exposure, where the loss is hidden): the header's figure"
    focus = None  # on the frames it is drawn the header's money row reads the same snapshot
    side = 1
    side_style = "height: 9; padding: 0 1;"

    def widget(self, fixed: ConsoleSetup, widget_id: str) -> Widget:
        return Chart(id=widget_id)

    def show(self, widget: Widget, frame: Frame) -> None:
        assert isinstance(widget, Chart)
        widget.show(frame.snap)


class RunbookPanel(Panel):
    id, title, key, widget_id = "runbook", "Runbook", "8", "runbook-view"
    help = "the incident runbook, where the difficulty has one"

    def widget(self, fixed: ConsoleSetup, widget_id: str) -> Widget:
        return RunbookView(fixed.runbook, id=widget_id)

    def show(self, widget: Widget, frame: Frame) -> None:
        pass  # the runbook does not change during a drill


class CanaryPanel(Panel):
    id, title, key, widget_id = "canary", "Canary", "9", "releases-view"
    help = "each release's servers side by side: a canary should look like the rest of the fleet"
    focus = None

    def available(self, fixed: ConsoleSetup) -> bool:
        return fixed.canary

    def unavailable(self) -> str:
        return "No canary dashboard in this difficulty."

    def widget(self, fixed: ConsoleSetup, widget_id: str) -> Widget:
        return ReleasesView(id=widget_id)

    def show(self, widget: Widget, frame: Frame) -> None:
        assert isinstance(widget, ReleasesView)
        widget.show(frame.snap.releases)


class RunbookView(VerticalScroll):
    """The runbook's Markdown, or a note where the difficulty has none. Markdown is imported
    only where there is a runbook: a console without one starts without it."""

    DEFAULT_CSS = """
    RunbookView { height: 1fr; padding: 0 1; }
    RunbookView .panel-note { color: $text-muted; height: auto; }
    """

    def __init__(self, runbook: str | None, **kwargs):
        super().__init__(**kwargs)
        self.runbook = runbook

    def compose(self) -> ComposeResult:
        if self.runbook:
            from textual.widgets import Markdown

            yield Markdown(self.runbook)
        else:
            yield Static("There is no runbook in this difficulty.", classes="panel-note")


# Tab order; each panel's key is its place here, so keys do not move between difficulties.
PANELS: tuple[Panel, ...] = (
    ActionsPanel(),
    TapePanel(),
    InboxPanel(),
    AlertsPanel(),
    CallsPanel(),
    PositionsPanel(),
    ChartPanel(),
    RunbookPanel(),
    CanaryPanel(),
)
BY_ID = {p.id: p for p in PANELS}


def available(fixed: ConsoleSetup) -> tuple[Panel, ...]:
    return tuple(p for p in PANELS if p.available(fixed))


def key_range(panels: tuple[Panel, ...]) -> str:
    """ "1 … 9", or the keys one by one where some are missing."""
    keys = [p.key for p in panels]
    if keys == [str(i + 1) for i in range(len(keys))] and len(keys) > 2:
        return f"1 … {keys[-1]}"
    return " ".join(keys)
