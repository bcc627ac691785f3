"""A crew member's console: the drill's own console, following its journal, with a command door.

Several people work one drill (issue 16): the console that started it owns the world; everyone
else joins with the crew's join code and a role. This screen is the watcher's (the same panels,
rendered from the journal re-simulated as it grows) with one difference: what is typed goes to
the owner's console over its channel (drill.hosting.crew.CrewDoor), which submits it as this
member, journals it with the member's name and role, and refuses it there if the role may not
give it. Nothing here submits to a session; the answer is shown on the status line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from drill.commands import CommandError, parse_command
from drill.hosting.channel import ChannelError
from drill.hosting.crew import CrewDoor, Joined, OwnerClock, Reply
from drill.session.crew import MAX_NAME_CHARS, CrewError, CrewMember
from drill.session.rewind import Rewinder
from drill.tui.screens.console import FRAME_S
from drill.tui.screens.watch import Recording, WatchScreen
from drill.tui.widgets.status_line import Feedback

TIME_WORDS = ("seek", "next", "prev", "previous")  # the watcher's own, answered here
CATCH_UP_MS = 1_000  # behind the owner's clock by more than this: jump to it
AHEAD_MS = 3_000  # ahead of the owner's clock by more than this (the owner paused): go back to it
FOLLOW_EVERY_S = 2.0  # how often the owner's clock is asked for


@dataclass
class Answered(Message):
    """The owner's console answered a command (or could not be reached)."""

    text: str
    reply: Reply | None
    error: str | None


@dataclass
class OwnerTicked(Message):
    """Where the owner's clock was a moment ago."""

    clock: OwnerClock


class CrewScreen(WatchScreen):
    """The console of one crew member: the drill as it happens, and commands sent to its owner."""

    BINDINGS = [b for b in WatchScreen.BINDINGS if not (isinstance(b, Binding) and b.key == "q")] + [
        Binding("q", "leave", "Leave", tooltip="leave the crew (the drill goes on)"),
    ]

    def __init__(self, recording: Recording, door: CrewDoor, joined: Joined, **kwargs):
        super().__init__(recording, **kwargs)
        self.door = door
        self.joined = joined

    def on_mount(self) -> None:
        # Textual runs the watcher's and the console's on_mount after this one (each class's
        # handler in turn): what is said here is said once theirs have run.
        self.call_after_refresh(self._introduce)

    def _introduce(self) -> None:
        self.set_interval(FOLLOW_EVERY_S, self._ask_clock, name="crew-follow")
        member = self.door.member
        self._w.line.placeholder = f"a command, given as {member.label}"
        owner = f" with {self.joined.owner}" if self.joined.owner else ""
        self._w.feedback.say(f"Joined as {member.label}{owner}: : and a command, ? help, q leaves.")

    def submit_command(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        if text.split()[0].lower() in TIME_WORDS:
            super().submit_command(text)  # seek, next, prev: this console's own view
            return
        feedback = self.query_one(Feedback)
        try:
            parse_command(text)
        except CommandError as exc:
            feedback.say(str(exc), "error")
            return
        feedback.say(f"{text}: sent to the drill…", "info")
        self._send(text)

    @work(thread=True, group="crew-command")
    def _send(self, text: str) -> None:
        try:
            reply, error = self.door.send(text), None
        except ChannelError as exc:
            reply, error = None, str(exc)
        self.post_message(Answered(text, reply, error))

    @on(Answered)
    def _answered(self, event: Answered) -> None:
        feedback = self.query_one(Feedback)
        if event.reply is None:
            feedback.say(event.error or "refused", "refused")
            return
        feedback.say(event.reply.message, "ok" if event.reply.accepted else "refused")
        self._catch_up(event.reply.t)

    @work(thread=True, exclusive=True, group="crew-follow", exit_on_error=False)
    def _ask_clock(self) -> None:
        try:
            self.post_message(OwnerTicked(self.door.clock()))
        except ChannelError:
            pass  # the owner's console is busy or gone: the journal still says what happened

    @on(OwnerTicked)
    def _follow(self, event: OwnerTicked) -> None:
        """Run as the owner's clock runs: its speed and pause, and its instant (the member's own
        view may drift between looks, by the wall time a frame takes here and there)."""
        if self.lost or self.ended or self.recording.at_end:
            return
        owner, clock = event.clock, self.recording.clock
        clock.set_speed(owner.speed)
        if owner.paused and not clock.paused:
            clock.pause()
        elif not owner.paused and clock.paused:
            clock.resume()
        if self.recording.now - owner.t > AHEAD_MS:
            self.seek_to(owner.t)
        else:
            self._catch_up(owner.t)

    def _catch_up(self, owner_now: int) -> None:
        """Take in the journal's news at once, and come up to the owner's clock if behind it: the
        command just given shows here as it does on the owner's console."""
        rec = self.recording
        rec.reload_now()
        if owner_now - rec.now > CATCH_UP_MS:
            rec.advance(owner_now - rec.now)
        self._dirty = True
        self.refresh_now()

    def action_help(self) -> None:
        from drill.tui.screens.help import HelpScreen, help_markdown

        console_help = help_markdown(self.fixed, self.panels, self.active_keys())
        only = "".join(
            f"- `{verb}`: only the {' or the '.join(roles)}\n" for verb, roles in sorted(self.joined.only.items())
        )
        note = (
            f"# Help: one of the crew ({self.door.member.label})\n\nEvery command typed here is given to the "
            "drill as you, and the journal names you. Roles of this drill: "
            f"{', '.join(self.joined.roles)}.\n\n{only or 'Every role may give every command.'}\n"
        )
        self.app.push_screen(HelpScreen(console_help.replace("# Help\n", note, 1)))


class JoinScreen(Screen[CrewMember | None]):
    """Joining a drill that is already being played: your name, then your role (Enter on each)."""

    DEFAULT_CSS = """
    JoinScreen { align: center middle; }
    JoinScreen > Vertical { width: 64; max-width: 95%; height: auto; border: thick $accent; padding: 1 2; }
    JoinScreen .join--title { text-style: bold; height: auto; }
    JoinScreen .join--detail { color: $text-muted; height: auto; margin: 1 0; }
    JoinScreen OptionList { height: auto; max-height: 8; }
    """

    # Up and down reach the roles from the name field too: keys typed in a burst (a paste, a
    # browser's keys sent at once) arrive before the focus has moved to the roles.
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "role(1)", "Next role", show=False),
        Binding("up", "role(-1)", "Previous role", show=False),
    ]

    def __init__(self, title: str, roles: tuple[str, ...], only: dict[str, list[str]], **kwargs):
        super().__init__(**kwargs)
        self._title, self.roles, self.only = title, roles, only
        self._named_once = False

    def compose(self) -> ComposeResult:
        reserved = "; ".join(f"{verb}: only the {' or the '.join(r)}" for verb, r in sorted(self.only.items()))
        with Vertical():
            yield Static(Text(f"Join the drill: {self._title}"), classes="join--title")
            yield Static(
                Text(
                    "Your team's drill is already running: join it as one of its crew. Type your name "
                    f"(Enter), then choose your role (Enter). {reserved or 'Every role may give every command.'}"
                ),
                classes="join--detail",
            )
            yield Input(placeholder="your name", max_length=MAX_NAME_CHARS, id="crew-name")
            yield OptionList(*(Option(Text(role), id=role) for role in self.roles), id="crew-role")
            yield Static("", id="crew-error")

    def on_mount(self) -> None:
        self.query_one("#crew-name", Input).focus()

    @on(Input.Submitted, "#crew-name")
    def _named(self) -> None:
        roles = self.query_one("#crew-role", OptionList)
        if self._named_once:  # a second Enter that reached the name field: the role highlighted
            self._choose(self.roles[roles.highlighted or 0])
            return
        self._named_once = True
        roles.focus()
        if roles.highlighted is None:
            roles.highlighted = 0

    def action_role(self, step: int) -> None:
        roles = self.query_one("#crew-role", OptionList)
        roles.highlighted = max(0, min(len(self.roles) - 1, (roles.highlighted or 0) + step))

    @on(OptionList.OptionSelected, "#crew-role")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(str(event.option.id))

    def _choose(self, role: str) -> None:
        try:
            member = CrewMember.of(self.query_one("#crew-name", Input).value, role)
        except CrewError as exc:
            self._named_once = False
            self.query_one("#crew-error", Static).update(Text(str(exc), style="bold red"))
            self.query_one("#crew-name", Input).focus()
            return
        self.dismiss(member)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CrewApp(App[int]):
    """`drill join`: one member's console on a drill another console owns."""

    TITLE = "drill join"
    CSS = """
    Screen { background: $background; }
    """
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(
        self,
        source: Rewinder,
        door: CrewDoor,
        joined: Joined,
        *,
        blink: bool = True,
        frame_s: float = FRAME_S,
        wall: Callable[[], float] = time.monotonic,
    ):
        super().__init__()
        self.recording = Recording(source, speed=joined.speed, paused=joined.paused, live=True, wall=wall)
        self.crew_screen = CrewScreen(self.recording, door, joined, blink=blink, frame_s=frame_s)

    def on_mount(self) -> None:
        self.push_screen(self.crew_screen, lambda _: self.exit(0))
