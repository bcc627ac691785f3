"""The command palette's drill commands: every command this difficulty offers, arguments filled in
("stop smars-3", "disable-flag RLP", "ack A2"), submitted exactly as if typed."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from drill.tui.messages import RunCommand


class Commands(Protocol):
    def commands(self) -> Iterable[tuple[str, str]]:
        """Every command line on offer, with a one-line summary."""


@runtime_checkable
class OffersCommands(Protocol):
    """A screen the palette can fill: it offers commands (or None before a drill) and takes the
    message a chosen one sends. The console is one; the palette needs nothing else of it."""

    completer: Commands | None

    def post_message(self, message: RunCommand) -> bool: ...


class DrillCommands(Provider):
    def _console(self) -> OffersCommands | None:
        screen = self.screen
        return screen if isinstance(screen, OffersCommands) else None

    def _run(self, console, text: str) -> None:
        console.post_message(RunCommand(text))

    async def discover(self) -> Hits:
        console = self._console()
        if console is None or console.completer is None:
            return
        for text, summary in console.completer.commands():
            yield DiscoveryHit(text, partial(self._run, console, text), help=summary)

    async def search(self, query: str) -> Hits:
        console = self._console()
        if console is None or console.completer is None:
            return
        matcher = self.matcher(query)
        for text, summary in console.completer.commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self._run, console, text), text=text, help=summary)
