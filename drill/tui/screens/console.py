"""The operator console: the live drill.

One timer drives everything. Each frame advances the session by the wall time elapsed times the
speed (whole milliseconds, capped per chunk; see `Drill.frame`), takes one snapshot and renders
it inside `batch_update()`. Widgets diff what they show against the snapshot and touch only what
changed; nothing is pushed to the UI per simulation event.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize, ScreenResume
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static, TabbedContent, TabPane

from drill.commands import TRAINEE_VERBS, VERBS, CommandError, parse_command
from drill.session.snapshot import Snapshot
from drill.tui import format as fmt
from drill.tui.completion import Completer
from drill.tui.controller import SPEEDS, Drill, faster, slower
from drill.tui.messages import ResolveFinished, RunCommand
from drill.tui.palette import DrillCommands
from drill.tui.panels import BY_ID, PANELS, Frame, Panel, available
from drill.tui.screens.text_view import TextScreen
from drill.tui.widgets.action_log import PREVIEW_LINES, ActionLog
from drill.tui.widgets.command_line import CommandLine
from drill.tui.widgets.fleet import FleetTable
from drill.tui.widgets.footer import KeyFooter
from drill.tui.widgets.message_list import AlertList, MessageList
from drill.tui.widgets.status_header import StatusHeader
from drill.tui.widgets.status_line import Feedback, JournalLabel

FRAME_S = 1 / 30
SLOW_EVERY = 6  # timer frames between redraws of the heavy panels (5 a second at 30 frames)
# A frame renders once the sim has moved this much since the last render: every timer frame from
# 5x up, ten a second at 1x (the clock shows whole seconds; a served tab at 1x drew 30 frames a
# second that mostly showed the same screen). The heavy panels also wait for a new sim second.
RENDER_AFTER_SIM_MS = 100
WIDE_AT = 110  # columns from which the side panels (the action log and the chart) get a column of their own


def side_id(panel: Panel) -> str:
    """The id of a side panel's copy beside the tabs (a wide screen shows that one)."""
    return f"{panel.id}-side"


class ConsoleScreen(Screen[None]):
    COMMANDS = {DrillCommands}
    AUTO_FOCUS = "FleetTable"

    DEFAULT_CSS = """
    ConsoleScreen { layout: vertical; }
    #main { height: 1fr; }
    #left { width: 1fr; height: 1fr; }
    #side { display: none; }
    #fleet-panel { height: auto; }
    #tabs { height: 1fr; }
    #tabs TabPane { padding: 0; height: 1fr; }
    #tabs ContentSwitcher { height: 1fr; }
    .panel-note { color: $text-muted; padding: 0 1; height: auto; }

    ConsoleScreen.-wide #left { width: 79; }
    ConsoleScreen.-wide #side { display: block; width: 1fr; height: 1fr; border-left: solid $panel-lighten-2; }
    ConsoleScreen.-wide #fleet-panel { border-bottom: solid $panel-lighten-2; }
    #side .side-title { height: 1; text-style: bold; padding: 0 1; background: $panel; }

    #command-bar { height: 2; background: $panel; }
    #command-row { height: 1; }
    #prompt { width: 2; padding-left: 1; text-style: bold; }
    #command { border: none; height: 1; padding: 0; width: 1fr; background: $panel; }
    #command:focus { background: $boost; }
    #status-row { height: 1; padding: 0 1; }
    """ + "".join(f"#{side_id(p)} {{ {p.side_style} }}\n" for p in PANELS if p.side)

    # The tooltip is the key's line in the help screen, which lists the bindings that work now.
    BINDINGS = [
        # Priority: the app runs these the moment the key arrives, before routing the keys that
        # follow it, so ":stop smars-1⏎" typed fast (or pasted by tmux) all lands in the line.
        Binding(
            "colon",
            "focus_command",
            "Command",
            key_display=":",
            priority=True,
            tooltip="focus the command line (Esc leaves it)",
        ),
        Binding("escape", "leave_command", "Leave", show=False, priority=True),
        Binding("space", "toggle_pause", "Pause", tooltip="pause / resume the clock"),
        Binding(
            "plus,equals_sign",
            "faster",
            "Faster",
            key_display="+",
            tooltip=f"speed up ({', '.join(f'{s:g}' for s in SPEEDS)}x)",
        ),
        Binding("minus", "slower", "Slower", key_display="-", tooltip="slow down"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="this help"),
        Binding("b", "briefing", "Briefing", show=False, tooltip="the briefing again"),
        Binding(
            "r,ctrl+r",
            "read_result",
            "Result",
            show=False,
            key_display="r (ctrl+r while typing)",
            tooltip="read the latest finished action's whole result",
        ),
        Binding("q", "app.quit", "Quit", tooltip="quit (asks first while the drill runs; ctrl+q too)"),
        *(Binding(p.key, f"show_tab('{p.id}')", p.title, show=False) for p in PANELS),
    ]

    def __init__(self, drill: Drill, *, blink: bool = True, frame_s: float = FRAME_S, held: bool = False, **kwargs):
        """`held`: built before its drill begins (a served tab's console, ready before its trainee
        comes): no frames until `begin()`."""
        super().__init__(**kwargs)
        self.drill = drill
        self.held = held
        self.blink = blink
        self.frame_s = frame_s
        self.snap: Snapshot = drill.snapshot()
        self.fixed = drill.setup()  # what never changes while the drill runs
        self.panels = available(self.fixed)
        self.completer = Completer(
            self.fixed.controls,
            self.fixed.servers,
            self.fixed.flags,
            alerts=lambda: [a.id for a in self.snap.alerts if not a.acked] if "ack" in self.fixed.controls else [],
        )
        self.frames = 0  # renders, for the bench and for tests
        self._resumed = False  # shown once already (its styles are then as fresh as its mount made them)
        self.wide = False
        self.busy = False  # a resolve runs in a worker thread: leave the session alone
        self.ended = False
        self._dirty = False
        self._timer: Timer | None = None
        self._unread: dict[str, int] = {}
        self._composed_in_tabs: set[str] = set()  # the panels whose tab copy compose built
        self._focus_when_shown: str | None = None  # a deferred panel chosen by key, until it is mounted
        self._ticks = 0
        self._full_at_tick = 0  # the timer frame of the last redraw of the heavy panels
        self._owed_ms = 0  # sim ms advanced since the last render
        self._status: dict[int, str] = {}  # action id -> status last rendered
        self._w: SimpleNamespace = SimpleNamespace()
        self._money: Snapshot = self.snap  # the snapshot the header's money row and the chart read

    # -- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        snap, fixed = self.snap, self.fixed
        # The width's class before the children mount: set after, it restyles every one of them.
        wide = self.app.size.width >= WIDE_AT
        self.set_class(wide, "-wide")
        yield StatusHeader(id="header", show_seed=not self.drill.clock.ranked)
        with Horizontal(id="main"):
            with Vertical(id="left"):
                with Vertical(id="fleet-panel"):
                    releases = sorted({r.release for r in snap.fleet})
                    yield FleetTable(fixed.servers, releases, columns=snap.fleet_columns, flags=fixed.flags, id="fleet")
                # On a wide screen the side panels' tabs are hidden: the first shown is the first other.
                first = next((p for p in self.panels if not (wide and p.side)), self.panels[0])
                with TabbedContent(id="tabs", initial=first.id):
                    for panel in self.panels:
                        with TabPane(panel.title, id=panel.id):  # our own words: no markup to fear
                            if self._in_tab_from_the_start(panel, wide):
                                yield from panel.compose(fixed, panel.widget_id)
            with Vertical(id="side"):
                for panel in sorted((p for p in self.panels if p.side), key=lambda p: p.side):
                    yield Static(Text(panel.title), classes="side-title")
                    yield from panel.compose(fixed, side_id(panel))
        with Vertical(id="command-bar"):
            with Horizontal(id="command-row"):
                yield Static(":", id="prompt")
                yield CommandLine(
                    self.completer,
                    id="command",
                    blink=self.blink,
                    placeholder="press : then type a command (Tab completes, ? for help)",
                )
            with Horizontal(id="status-row"):
                yield Feedback(id="feedback")
                yield JournalLabel(fixed.journal_path or "(none)", id="journal")
        yield KeyFooter()

    def _in_tab_from_the_start(self, panel: Panel, wide: bool) -> bool:
        """Whether a panel's widget is composed into its tab with the console. A deferred panel
        waits for its tab's first showing; so does a side panel's tab copy on a wide screen,
        where its tab is hidden and the copy beside the tabs is the one shown (it is mounted if
        the screen narrows and its tab is chosen, and renders the live frame then)."""
        composed = not panel.deferred and not (panel.side and wide)
        if composed:
            self._composed_in_tabs.add(panel.id)
        return composed

    def on_mount(self) -> None:
        q = self.query_one
        self._w = SimpleNamespace(
            header=q(StatusHeader),
            fleet=q(FleetTable),
            tabs=q("#tabs", TabbedContent),
            feedback=q(Feedback),
            line=q(CommandLine),
        )
        # A deferred panel's widget joins these when its tab is first shown (`_tab_activated`).
        self._panel_widgets = {p.id: q(f"#{p.widget_id}") for p in self.panels if p.id in self._composed_in_tabs}
        self._side_widgets = {p.id: q(f"#{side_id(p)}") for p in self.panels if p.side}
        self._say_clock()
        self._apply_layout(self.app.size.width)  # and the first render
        self._timer = self.set_interval(self.frame_s, self.frame, name="drill-frame", pause=self.held)

    def _say_clock(self) -> None:
        self._w.feedback.say(
            "The clock is paused: space starts it."
            if self.drill.clock.paused
            else "The clock runs. : for the command line, ? for help."
        )

    def begin(self) -> None:
        """The drill of a console built ahead begins now: its journal (opened by now) is named,
        its frames start, and it shows the drill as it stands (its clock as the caller set it)."""
        self.held = False
        self.fixed = dataclasses.replace(self.fixed, journal_path=self.drill.setup().journal_path)
        self.show_journal(self.fixed.journal_path or "(none)")
        self._say_clock()
        self._dirty = True
        self.refresh_now()
        if self._timer is not None:
            self._timer.resume()

    def show_journal(self, path: str) -> None:
        """Name the journal on the status line. A name as long as the one shown is repainted in
        place: a change of width lays out the whole console (about 0.02 CPU-s)."""
        label, shown = self.query_one(JournalLabel), fmt.literal(path)
        if len(shown) == len(label.path):
            label.set_reactive(JournalLabel.path, shown)
            label.refresh()
        else:
            label.path = shown

    def on_screen_resume(self, event: ScreenResume) -> None:
        # Its first resume comes right after its mount, which styled every widget: restyling them
        # all again (Textual's default) cost a served tab about 0.05 CPU-s before its console.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_resize(self, event: Resize) -> None:
        self._apply_layout(event.size.width)

    def _apply_layout(self, width: int) -> None:
        if not hasattr(self._w, "header"):
            return  # not mounted yet
        wide = width >= WIDE_AT
        if wide == self.wide and self.frames:
            return
        self.wide = wide
        self.set_class(wide, "-wide")
        self._place_side_panels(wide)
        self.render_snapshot(self.snap)

    def _place_side_panels(self, wide: bool) -> None:
        """On a wide screen the side panels leave the tabs (a tab showing one gives way to the
        first that stays); on a narrow one they come back as tabs."""
        tabs = self.query_one("#tabs", TabbedContent)
        for panel in (p for p in self.panels if p.side):
            (tabs.hide_tab if wide else tabs.show_tab)(panel.id)
        if wide and BY_ID[tabs.active].side:
            tabs.active = next(p.id for p in self.panels if not p.side)

    # -- the frame --------------------------------------------------------------------------------
    def frame(self) -> None:
        """The timer's tick: advance by the wall time elapsed, then render one snapshot."""
        if self.ended or self.busy:
            return
        self._ticks += 1
        advanced = self.drill.frame()
        self._owed_ms += advanced
        # What is owed is rendered when enough of it has built up, or when the sim stops moving
        # (a pause, the end): the last moments are never left unshown.
        if self._dirty or self._owed_ms >= RENDER_AFTER_SIM_MS or (self._owed_ms and not advanced):
            self.refresh_now(full=self._dirty or self._heavy_due())

    def _heavy_due(self) -> bool:
        """The heavy panels (the fleet's rates, the chart, the header's money) redraw at most every
        SLOW_EVERY timer frames, and only once the sim shows a new second: once a second at 1x,
        five times a second at 60x."""
        now = self.snap.now + self._owed_ms  # where this frame's snapshot will be
        return self._ticks - self._full_at_tick >= SLOW_EVERY and now // 1000 != self._money.now // 1000

    def refresh_now(self, full: bool = True) -> None:
        """Take one snapshot and render it (and go to the debrief if the drill has ended)."""
        if self.ended or self.busy:
            return
        self._dirty = False
        self._owed_ms = 0
        snap = self.drill.snapshot()
        with self.app.batch_update():
            self.render_snapshot(snap, full)
        if snap.finished:
            self._finish(snap)

    def step(self, ms: int) -> None:
        """Advance the drill by exactly `ms` of sim time and render (tests, scripted demos)."""
        if self.ended or self.busy:
            return
        self.drill.advance(ms)
        self.refresh_now()

    def render_snapshot(self, snap: Snapshot, full: bool = True) -> None:
        """Render one snapshot: every panel reads this one frame. The clock and the panels that
        must keep up (the tape, the action log) follow every frame; the heavier ones (`full`)
        every few frames: a table of 72 cells redrawn 30 times a second costs more than anyone
        can read. The header's money row changes with the chart, on the frames the chart is
        drawn, from the same snapshot. A hidden panel waits for its tab, unless it keeps a count
        or a position (`while_hidden`)."""
        self.snap = snap
        self.frames += 1
        w = self._w
        clock = self.drill.clock
        frame = Frame(snap, clock.speed, clock.paused)
        if full:
            self._money = snap  # the header's figures change when the chart's do, from this snapshot
            self._full_at_tick = self._ticks
        w.header.show(snap, clock.speed, clock.paused, money=self._money)
        if full:
            w.fleet.show(snap.fleet)
        for panel, widget in self._shown_widgets():
            if full or panel.every_frame:
                panel.show(widget, frame)
        self._report_finished(snap)
        if full:
            self._label_tabs()

    def _shown_widgets(self):
        """(panel, widget) for each panel to render now: where it is shown, or must keep up."""
        active = self._w.tabs.active
        for panel in self.panels:
            if panel.side and self.wide:
                yield panel, self._side_widgets[panel.id]
            elif (panel.id == active or panel.while_hidden) and panel.id in self._panel_widgets:
                yield panel, self._panel_widgets[panel.id]

    def _report_finished(self, snap: Snapshot) -> None:
        # Say so on the status line when an action finishes (once, whichever log is showing).
        for a in snap.actions:
            before = self._status.get(a.id)
            self._status[a.id] = a.status
            if before == "running" and a.status != "running":
                lines = a.result.splitlines()
                more = " (r reads it all)" if len(lines) > PREVIEW_LINES else ""
                kind = "refused" if a.status == "refused" else "ok"
                self._w.feedback.say(f"{a.command}: {lines[0] if lines else 'done'}{more}", kind)

    def _label_tabs(self) -> None:
        tabs = self._w.tabs
        for panel in self.panels:
            widget = self._panel_widgets.get(panel.id)
            n = panel.unread(widget) if widget is not None else 0  # (a panel never shown has counted nothing)
            if self._unread.get(panel.id, 0) != n:
                self._unread[panel.id] = n
                label = Text(panel.title)
                if n:
                    label.append(f" {n}", style="bold")
                tabs.get_tab(panel.id).label = label

    @on(TabbedContent.TabActivated, "#tabs")
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # A panel that waited while hidden catches up the moment it is shown; a deferred one is
        # mounted first. The screen draws nothing while this handler awaits the mount, so the
        # pane's first frame already shows the live data.
        panel = BY_ID.get(event.pane.id or "")
        if panel is None or panel not in self.panels:
            return
        if panel.id not in self._panel_widgets:
            await event.pane.mount_all(panel.compose(self.fixed, panel.widget_id))
            self._panel_widgets[panel.id] = event.pane.query_one(f"#{panel.widget_id}")
        clock = self.drill.clock
        widget = self._panel_widgets[panel.id]
        panel.show(widget, Frame(self._money, clock.speed, clock.paused))  # what the header shows
        panel.revealed(widget)
        if self._focus_when_shown == panel.id:
            self._focus_when_shown = None
            self._focus_panel(panel)

    def _finish(self, snap: Snapshot) -> None:
        if self.ended:
            return
        self.ended = True
        if self._timer is not None:
            self._timer.stop()
        # The console runs inside DrillApp, which imports it: naming that class here would be a cycle.
        self.app.call_later(self.app.show_debrief, snap)  # type: ignore[attr-defined]

    # -- commands ---------------------------------------------------------------------------------
    def submit_command(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        feedback = self.query_one(Feedback)
        self.query_one(CommandLine).remember(text)
        if self.ended:
            feedback.say("The drill has ended.", "error")
            return
        if self.busy:
            feedback.say("Wait: resolve is still simulating.", "refused")
            return
        try:
            command = parse_command(text)
        except CommandError as exc:
            feedback.say(self._unknown_verb(text) or str(exc), "error")
            return
        if command.verb == "resolve":
            self.busy = True
            feedback.say("resolve: checking the incident (this may simulate to the scenario's end)…", "info")
            self._resolve(text)
            return
        try:
            sub = self.drill.submit(text)
        except CommandError as exc:
            feedback.say(str(exc), "error")
            return
        feedback.say(sub.message, "ok" if sub.accepted else "refused")
        self._dirty = True
        self.refresh_now()

    def _unknown_verb(self, text: str) -> str | None:
        """For a verb that does not exist, a message that fits the status line: the commands of
        this drill it could be (the vocabulary's own message lists every verb there is)."""
        word = text.split()[0]
        if word.lower() in VERBS:
            return None
        near = [v for v in self.fixed.controls if v in TRAINEE_VERBS and v.startswith(word.lower()[:2])]
        guess = f"did you mean {' or '.join(near[:3])}? " if near else ""
        return f"unknown command {word!r}: {guess}Tab completes; Esc then ? for help"

    @work(thread=True, exclusive=True, group="resolve")
    def _resolve(self, text: str) -> None:
        # The only place the session is used off the UI thread; `busy` keeps the timer away and
        # the drill's lock keeps everything else away until it is done.
        try:
            sub, error = self.drill.submit(text), None
        except CommandError as exc:
            sub, error = None, str(exc)
        self.post_message(ResolveFinished(text, sub, error))

    @on(ResolveFinished)
    def _resolved(self, event: ResolveFinished) -> None:
        self.busy = False
        feedback = self.query_one(Feedback)
        if event.error is not None:
            feedback.say(event.error, "error")
        elif event.submission is not None:
            feedback.say(event.submission.message, "ok" if event.submission.accepted else "refused")
        self._dirty = True
        self.refresh_now()

    @on(RunCommand)
    def _run_command(self, event: RunCommand) -> None:
        self.submit_command(event.text)

    @on(Input.Submitted, "#command")
    def _command_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit_command(event.value)  # the line cleared itself on Enter

    @on(CommandLine.Candidates)
    def _candidates(self, event: CommandLine.Candidates) -> None:
        self.query_one(Feedback).say("  ".join(event.candidates), "info")

    @on(DataTable.RowSelected, "#fleet")
    def _server_selected(self, event: DataTable.RowSelected) -> None:
        server = event.row_key.value
        line = self.query_one(CommandLine)
        line.value = f"inspect {server}"
        line.cursor_position = len(line.value)
        line.focus()
        self.query_one(Feedback).say(f"Enter runs it; edit it first for another command on {server}.", "info")

    # -- reading ----------------------------------------------------------------------------------
    @on(MessageList.Opened)
    def _message_opened(self, event: MessageList.Opened) -> None:
        lst = event.list
        row = lst.row(event.key)
        lst.mark_read(event.key)
        self._label_tabs()
        if isinstance(lst, AlertList):
            offers = []
            if "ack" in self.fixed.controls and not row.acked:
                offers.append(("a", "acknowledge", f"ack {row.id}"))
            meta = f"raised {row.clock} {fmt.zone(self.snap)} · {'acknowledged' if row.acked else 'open'}"
            screen = TextScreen(f"{row.id}: {row.label}", row.detail, meta, offers)
        else:
            kind = "call" if row.kind == "call" else "email"
            screen = TextScreen(row.subject, row.body, f"{kind} from {row.sender} at {row.clock} {fmt.zone(self.snap)}")
        self.app.push_screen(screen, self._after_reading)

    def _after_reading(self, command: str | None) -> None:
        if command:
            self.submit_command(command)

    @on(ActionLog.Opened)
    def _action_opened(self, event: ActionLog.Opened) -> None:
        self._open_action(event.action_id)

    def _open_action(self, action_id: int) -> None:
        action = next((a for a in self.snap.actions if a.id == action_id), None)
        if action is None:
            return
        meta = f"submitted {action.clock} {fmt.zone(self.snap)} · {action.status}"
        if action.status == "running":
            body = f"Still running: {action.progress:.0%} of {action.duration_ms // 1000}s."
        else:
            body = action.result or "(no result text)"
        self.app.push_screen(TextScreen(action.command, body, meta))

    def action_read_result(self) -> None:
        done = [a for a in self.snap.actions if a.status != "running"]
        if not done:
            self.query_one(Feedback).say("No finished action to read yet.", "info")
            return
        self._open_action(done[-1].id)

    # -- keys -------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_command":
            return isinstance(self.focused, CommandLine)
        return True

    def action_leave_command(self) -> None:
        self.set_focus(self.query_one(FleetTable))

    def action_focus_command(self) -> None:
        # Focus now, not on the next idle (as `focus()` would): keys typed right after ":"
        # (a fast typist, a paste, tmux send-keys) must land in the command line.
        self.set_focus(self.query_one(CommandLine))

    def action_toggle_pause(self) -> None:
        refusal = self.drill.clock.trainee_refusal("pause")
        if refusal:
            self.query_one(Feedback).say(refusal, "refused")
            return
        paused = self.drill.clock.toggle()
        self.query_one(Feedback).say("Paused." if paused else f"Running at {self.drill.clock.speed:g}x.", "info")
        self._dirty = True
        self.refresh_now()

    def action_faster(self) -> None:
        self._set_speed(faster(self.drill.clock.speed))

    def action_slower(self) -> None:
        self._set_speed(slower(self.drill.clock.speed))

    def _set_speed(self, speed: float) -> None:
        refusal = self.drill.clock.trainee_refusal("speed")
        if refusal:
            self.query_one(Feedback).say(refusal, "refused")
            return
        self.drill.clock.set_speed(speed)
        self.query_one(Feedback).say(f"Speed {speed:g}x.", "info")
        self._dirty = True
        self.refresh_now()

    def action_show_tab(self, name: str) -> None:
        panel = BY_ID[name]
        if panel not in self.panels:
            self._w.feedback.say(panel.unavailable(), "info")
            return
        if self.wide and panel.side:
            widget = self._side_widgets[panel.id]
            if panel.focus is None:
                self._w.feedback.say(
                    f"On a wide screen the {panel.title.lower()} is always shown, at the right.", "info"
                )
            else:
                widget.focus()
            return
        self._w.tabs.active = name
        if panel.focus is None:
            return
        if name in self._panel_widgets:
            self._focus_panel(panel)
        else:
            self._focus_when_shown = name  # a deferred panel takes focus once it is mounted

    def _focus_panel(self, panel: Panel) -> None:
        widget = self._panel_widgets[panel.id]
        target = widget.query_one(panel.focus) if panel.focus else widget
        # The pane is displayed on the next refresh; only then can its widget take focus.
        self.call_after_refresh(target.focus)

    # Keys the facilitator may take from the trainee (ranked play, a held pause or speed).
    CLOCK_KEYS = {"toggle_pause": "pause", "faster": "speed", "slower": "speed"}

    def active_keys(self) -> list[tuple[str, str]]:
        """(key, what it does) for each of the console's keys that works now, in binding order:
        in ranked play the clock's keys are the facilitator's, and help says so instead."""
        keys = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            action = binding.action
            if not binding.tooltip or self.check_action(action, ()) is False:
                continue
            refusal = self.drill.clock.trainee_refusal(self.CLOCK_KEYS[action]) if action in self.CLOCK_KEYS else None
            keys.append((binding.key_display or binding.key, f"not now: {refusal}" if refusal else binding.tooltip))
        return keys

    def action_help(self) -> None:
        from drill.tui.screens.help import HelpScreen, help_markdown

        self.app.push_screen(HelpScreen(help_markdown(self.fixed, self.panels, self.active_keys())))

    def action_briefing(self) -> None:
        from drill.tui.screens.briefing import BriefingScreen

        loaded = self.drill.loaded
        self.app.push_screen(
            BriefingScreen(loaded.spec.title, loaded.briefing, starting=False, detail="the clock keeps running")
        )
