"""The command line: an Input with ghost-text suggestions, Tab completion and a history."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input

from drill.tui.completion import Completer
from drill.tui.format import literal

HISTORY_SIZE = 200


class CommandSuggester(Suggester):
    def __init__(self, completer: Completer):
        # Case is handled by the completer; the alert list changes, so no cache.
        super().__init__(use_cache=False, case_sensitive=True)
        self.completer = completer

    async def get_suggestion(self, value: str) -> str | None:
        return self.completer.suggest(value)


class CommandLine(Input):
    BINDINGS = [
        Binding("tab", "complete", "Complete", show=False),
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
    ]

    @dataclass
    class Candidates(Message):
        """Tab found several ways to go on: the console shows them."""

        candidates: list[str]

    def __init__(self, completer: Completer, *, blink: bool = True, **kwargs):
        super().__init__(suggester=CommandSuggester(completer), select_on_focus=False, compact=True, **kwargs)
        self.cursor_blink = blink
        self.completer = completer
        self.history: list[str] = []
        self._cursor: int | None = None  # index into history while browsing it
        self._draft = ""
        self.colon_after_text = False  # see check_consume_key

    async def _on_key(self, event: events.Key) -> None:
        # Textual types a printable key here, on arrival, but runs a bound key (Backspace, the
        # arrows, Enter, Tab) only once the event has bubbled up to the app. In a burst ("2",
        # Backspace, "3", Enter from a paste, a slow link or tmux) the "3" is typed before the
        # Backspace runs, which then deletes the "3": the line ran unchanged. Running this
        # widget's own bindings on arrival keeps every key in the order it was typed.
        # (Textual issue #6605; the app's and screen's priority bindings have already run.)
        # (Textual then calls Input's own `_on_key`, which types printable keys, unless prevented.)
        if event.character == ":" and not (self.colon_after_text and self.value):
            event.stop()  # the console's "to the command line", never typed at the line's start
            event.prevent_default()
            return
        action = self._own_binding(event)
        if action is not None:
            event.stop()
            event.prevent_default()
            self._restart_blink()
            await self.run_action(action)

    def _own_binding(self, event: events.Key) -> str | None:
        """The action this widget binds to the key (in its own or Input's BINDINGS), if any."""
        for key in event.aliases:
            for binding in self._bindings.key_to_bindings.get(key, ()):
                if not binding.priority:
                    return binding.action
        return None

    def _on_paste(self, event: events.Paste) -> None:
        # A paste can carry escape sequences and other control characters: they are typed as
        # their visible escapes (\x1b), so the line never sends them to the terminal.
        # (Textual then calls Input's own `_on_paste` with the text made safe.)
        if event.text:
            event.text = literal(event.text)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # ":" is the console's key for "to the command line" and never part of a command:
        # leave it to that binding rather than typing it. A screen whose commands take a time
        # (the watcher's "seek 09:41") types it once the line holds text.
        if character == ":" and not (self.colon_after_text and self.value):
            return False
        return super().check_consume_key(key, character)

    async def action_submit(self) -> None:
        """Enter: hand the line over and clear it at once, so keys typed right behind Enter (a
        fast typist, a paste, a browser's burst) start the next command instead of being wiped
        when the submission is handled."""
        value = self.value
        self.value = ""
        self.post_message(self.Submitted(self, value, None))

    def remember(self, line: str) -> None:
        line = line.strip()
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
            del self.history[:-HISTORY_SIZE]
        self._cursor = None
        self._draft = ""

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._cursor is None:
            if step > 0:
                return
            self._draft = self.value
            self._cursor = len(self.history)
        self._cursor = max(0, self._cursor + step)
        if self._cursor >= len(self.history):
            self._cursor = None
            self.value = self._draft
        else:
            self.value = self.history[self._cursor]
        self.cursor_position = len(self.value)

    def action_complete(self) -> None:
        line = self.value[: self.cursor_position]
        rest = self.value[self.cursor_position :]
        new, candidates = self.completer.complete(line)
        if new != line:
            self.value = new + rest
            self.cursor_position = len(new)
        if len(candidates) > 1:
            self.post_message(self.Candidates(candidates))
