"""The command palette's drill commands: every command this difficulty offers, arguments filled in
("stop smars-3", "disable-flag RLP", "ack A2"), submitted exactly as if typed."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from drill.tui.messages import RunCommand


class DrillCommands(Provider):
    def _console(self):
        from drill.tui.screens.console import ConsoleScreen

        screen = self.screen
        return screen if isinstance(screen, ConsoleScreen) else None

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
