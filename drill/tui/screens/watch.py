"""Watching a drill: the trainee's console, read-only, re-simulating the drill's journal.

The screen is the console itself (the same header, fleet table and panels, rendered from the same
snapshots), driven by a `Recording` instead of a live drill: the clock plays, pauses, runs at 1x
to 60x and seeks, and every snapshot comes from the journal re-simulated to that instant
(drill.session.rewind keeps resumable states, so a seek re-simulates minutes, not the morning).
A command typed here is never sent anywhere: the one door to a world, `Session.submit`, is not
reachable from this screen at all.

A live drill is watched by following its journal as it grows (`live`): the watcher's clock runs on
its own, and a command journaled for an instant the watcher has already passed rewinds it to
take the command in its place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.widget import Widget

from drill.session.journal import read
from drill.session.replay import Mark, scenario_for
from drill.session.rewind import Frame, Rewinder, RewindError
from drill.session.snapshot import ConsoleSetup, Snapshot
from drill.timefmt import fmt_clock, parse_clock
from drill.tui.controller import SimClock
from drill.tui.screens.console import FRAME_S, ConsoleScreen
from drill.tui.widgets.command_line import CommandLine
from drill.tui.widgets.status_line import Feedback

SEEK_STEP_MS = 60_000  # , and . move one simulated minute
RELOAD_EVERY_S = 0.5  # how often a live drill's journal is looked at
REFUSAL = "A recording: nothing typed reaches the drill (seek HH:MM, next, prev)."


class Recording:
    """What the console's screen drives, over a journal being watched: the clock it plays with and
    the snapshots of the re-simulated drill. It has no way to submit a command."""

    def __init__(
        self,
        source: Rewinder,
        *,
        speed: float = 1.0,
        paused: bool = False,
        live: bool = False,
        wall: Callable[[], float] = time.monotonic,
    ):
        self.source = source
        self.live = live
        self.loaded = scenario_for(read(source.path))  # the briefing, for the console's b key
        self.clock = SimClock(speed, paused, wall)
        self._frame: Frame = source.frame
        self._wall = wall
        self._reloaded = wall()

    # what the console reads ------------------------------------------------------------------
    @property
    def journal_path(self) -> Path:
        return self.source.path

    def setup(self) -> ConsoleSetup:
        return self._frame.info.setup

    @property
    def now(self) -> int:
        return self._frame.snap.now

    @property
    def start(self) -> int:
        return self._frame.info.start

    @property
    def limit(self) -> int:
        return self._frame.info.limit

    @property
    def marks(self) -> tuple[Mark, ...]:
        return self._frame.info.marks

    @property
    def at_end(self) -> bool:
        """At the last instant there is: the drill ended there (a quit drill's end is not a
        finished world), or a journal cut short stops there."""
        return self.now >= self.limit and (not self.live or self._frame.info.known_until is None)

    def snapshot(self) -> Snapshot:
        return self._frame.snap

    # moving through it -------------------------------------------------------------------------
    def frame(self) -> int:
        """The console's tick: the clock's share of sim time (and, live, the journal's news)."""
        before = self._frame
        if self.live and self._wall() - self._reloaded >= RELOAD_EVERY_S:
            self._reloaded = self._wall()
            self._frame = self.source.reload()
        ms = self.clock.step_ms()
        if ms and self.now < self.limit:
            self._frame = self.source.advance_to(min(self.now + ms, self.limit))
        if self._frame is before:
            return 0
        # What the journal brought may change the picture without moving the clock: still a frame.
        return (self._frame.snap.now - before.snap.now) or 1

    def advance(self, ms: int) -> None:
        self._frame = self.source.advance_to(min(self.now + int(ms), self.limit))

    def reload_now(self) -> None:
        """Take in what a live drill's journal gained, without waiting for the next look."""
        self._reloaded = self._wall()
        self._frame = self.source.reload()

    def seek(self, at: int) -> None:
        self._frame = self.source.seek(at)

    def next_mark(self) -> Mark | None:
        return next((m for m in self.marks if m.t > self.now), None)

    def previous_mark(self) -> Mark | None:
        return next((m for m in reversed(self.marks) if m.t < self.now), None)


class Timeline(Widget):
    """One row: the drill's span, each of the trainee's commands a ◆, and where the watcher is."""

    DEFAULT_CSS = """
    Timeline { height: 1; padding: 0 1; background: $panel; }
    """

    def __init__(self, recording: Recording, **kwargs):
        super().__init__(**kwargs)
        self.recording = recording

    def render(self) -> Text:
        rec = self.recording
        start, end, now = rec.start, max(rec.limit, rec.start + 1), rec.now
        left, right = fmt_clock(start)[:5], fmt_clock(end)[:5]
        width = max(10, self.size.width - len(left) - len(right) - 4)
        bar = ["─"] * width

        def cell(t: int) -> int:
            return min(width - 1, max(0, (t - start) * (width - 1) // (end - start)))

        for m in rec.marks:
            bar[cell(m.t)] = "◆"
        here = cell(now)
        text = Text(f"{left} ", style="dim")
        text.append("".join(bar[:here]), style="green")
        text.append("●", style="bold reverse")
        text.append("".join(bar[here + 1 :]), style="dim")
        text.append(f" {right}", style="dim")
        return text


class WatchScreen(ConsoleScreen):
    """The console over a recording: the trainee's view, with the watcher's keys for time."""

    DEFAULT_CSS = (
        ConsoleScreen.DEFAULT_CSS
        + """
    #command-bar { height: 3; }
    """
    )

    BINDINGS = [
        # The footer has room for the watcher's keys: the command line's is in the help.
        *(
            replace(b, show=False) if b.action == "focus_command" else b
            for b in ConsoleScreen.BINDINGS
            if isinstance(b, Binding) and b.action != "app.quit"
        ),
        # Leaving a recording ends nothing: no question asked (and a facilitator's desk stays open).
        Binding("q", "leave", "Quit", tooltip="stop watching"),
        Binding("comma", "step(-1)", "-1 min", key_display=",", show=False, tooltip="back one simulated minute"),
        Binding("full_stop", "step(1)", "+1 min", key_display=".", show=False, tooltip="forward one simulated minute"),
        Binding(
            "left_square_bracket",
            "previous_command",
            "Prev cmd",
            key_display="[",
            tooltip="back to the trainee's previous command",
        ),
        Binding(
            "right_square_bracket",
            "next_command",
            "Next cmd",
            key_display="]",
            tooltip="on to the trainee's next command",
        ),
        Binding("g", "goto", "Seek", tooltip="seek to a time: type seek HH:MM"),
    ]

    def __init__(self, recording: Recording, *, blink: bool = True, frame_s: float = FRAME_S, **kwargs):
        super().__init__(recording, blink=blink, frame_s=frame_s, **kwargs)  # type: ignore[arg-type]
        self.recording = recording
        self.lost = False  # the re-simulation stopped answering

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # ":" focuses the command line; once it has focus, ":" is the colon in "seek 09:41". (Not
        # "once it holds text": a burst of keys reaches this check before the line has typed the
        # keys ahead of the colon.)
        if action == "focus_command" and isinstance(self.focused, CommandLine):
            return False
        return super().check_action(action, parameters)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#command-bar").mount(Timeline(self.recording, id="timeline"), before=0)
        self._w.line.colon_after_text = True  # "seek 09:41" is typed, colon and all
        self._w.line.placeholder = "a recording: nothing typed reaches the drill (seek HH:MM, next, prev)"
        what = "a live drill, following its journal" if self.recording.live else "a recording"
        self._w.feedback.say(f"Watching {what}: space plays/pauses, , . a minute, [ ] commands, g seeks, ? help.")

    def render_snapshot(self, snap: Snapshot, full: bool = True) -> None:
        super().render_snapshot(snap, full)
        for timeline in self.query(Timeline):
            timeline.refresh()

    def refresh_now(self, full: bool = True) -> None:
        super().refresh_now(full)
        if not self.snap.finished and self.recording.at_end:
            self._finish(self.snap)  # a drill the trainee quit: its last instant is the end

    def _finish(self, snap: Snapshot) -> None:
        # The trainee's console went on to the debrief here; a watcher stays, to look back (the
        # console's own _finish would stop the frames for good).
        self.drill.clock.pause()
        self._w.feedback.say(f"The drill ended at {snap.clock}: [ and , look back, seek HH:MM goes anywhere.")

    # commands: time only --------------------------------------------------------------------
    def submit_command(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        feedback = self.query_one(Feedback)
        words = text.split()
        verb = words[0].lower()
        if verb == "seek" and len(words) == 2:
            try:
                at = parse_clock(words[1])
            except ValueError:
                feedback.say(f"seek: {words[1]!r} is not a time: seek HH:MM or HH:MM:SS", "error")
                return
            self.seek_to(at)
        elif verb in ("next", "prev", "previous") and len(words) == 1:
            self.action_next_command() if verb == "next" else self.action_previous_command()
        else:
            feedback.say(REFUSAL, "refused")

    def seek_to(self, at: int) -> bool:
        """Go to `at`; False when it could not (said on the status line)."""
        rec = self.recording
        if self.lost:
            return False
        if not rec.start <= at <= rec.limit:
            self._w.feedback.say(
                f"seek: {fmt_clock(at)} is outside this drill ({fmt_clock(rec.start)} to {fmt_clock(rec.limit)})",
                "error",
            )
            return False
        try:
            rec.seek(at)
        except RewindError as exc:
            self._lost(exc)
            return False
        self._w.feedback.say(f"At {fmt_clock(rec.now)}{' (paused)' if rec.clock.paused else ''}.")
        self._dirty = True
        self.refresh_now()
        return True

    def frame(self) -> None:
        if self.lost:
            return
        try:
            super().frame()
        except RewindError as exc:
            self._lost(exc)

    def _lost(self, exc: RewindError) -> None:
        """The re-simulation is gone (its process killed, say): the screen stays, frozen on the
        last snapshot, and says so in one line."""
        self.lost = True
        self.recording.clock.pause()
        self._w.feedback.say(f"{exc}: q leaves", "error")

    def action_step(self, minutes: int) -> None:
        rec = self.recording
        self.seek_to(max(rec.start, min(rec.limit, rec.now + minutes * SEEK_STEP_MS)))

    def action_next_command(self) -> None:
        mark = self.recording.next_mark()
        if mark is None:
            self._w.feedback.say("No command after this point.", "info")
            return
        if self.seek_to(mark.t):
            self._w.feedback.say(f"{mark.clock} {mark.by}: {mark.command}")  # say() shows it literally

    def action_previous_command(self) -> None:
        mark = self.recording.previous_mark()
        if mark is None:
            self._w.feedback.say("No command before this point.", "info")
            return
        if self.seek_to(mark.t):
            self._w.feedback.say(f"{mark.clock} {mark.by}: {mark.command}")  # say() shows it literally

    def action_help(self) -> None:
        from drill.tui.screens.help import HelpScreen, help_markdown

        console_help = help_markdown(self.fixed, self.panels, self.active_keys())
        note = (
            "# Help: watching a drill\n\nRead-only. The only commands here are `seek HH:MM[:SS]`, `next` "
            "and `prev`; the commands listed below are the trainee's, shown in the action log as given.\n"
        )
        self.app.push_screen(HelpScreen(console_help.replace("# Help\n", note, 1)))

    def action_leave(self) -> None:
        self.dismiss(None)

    def action_goto(self) -> None:
        self.action_focus_command()
        line = self._w.line
        line.value = "seek "
        line.cursor_position = len(line.value)


class WatchApp(App[int]):
    """`drill watch`: one recording (or live drill) in the console, read-only."""

    TITLE = "drill watch"
    CSS = """
    Screen { background: $background; }
    """
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(
        self,
        source: Rewinder,
        *,
        speed: float = 1.0,
        paused: bool = False,
        live: bool = False,
        at: int | None = None,
        blink: bool = True,
        frame_s: float = FRAME_S,
        wall: Callable[[], float] = time.monotonic,
    ):
        super().__init__()
        if at is not None:
            source.seek(at)
        self.recording = Recording(source, speed=speed, paused=paused, live=live, wall=wall)
        self.watch_screen = WatchScreen(self.recording, blink=blink, frame_s=frame_s)

    def on_mount(self) -> None:
        self.push_screen(self.watch_screen, lambda _: self.exit(0))
