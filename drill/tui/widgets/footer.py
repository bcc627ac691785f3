"""The key bar at the bottom of every screen, rebuilt only when what it shows changes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's Footer rebuilds all of its keys (a widget each, styled twice as it mounts)
    whenever the screen's bindings may have changed: on every change of focus, including the
    first, when nothing it shows has changed. This one rebuilds them only when the keys it would
    show differ from the ones it shows: a screen's start and each focus change cost less (about
    0.1 CPU-s from a served tab's picker to its console). It draws exactly what Footer draws."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple | None = None  # the keys of its last composition

    def _keys(self, screen: Screen) -> tuple:
        """What a composition shows: every binding it lists, whether it works and its tooltip."""
        return tuple(
            (binding.key, binding.key_display, binding.description, binding.action, binding.group, enabled, tooltip)
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show or binding.action == "command_palette"
        )

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._keys(self.screen)
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        if self._shown is not None and self.is_attached and screen is self.screen and self._keys(screen) == self._shown:
            return
        super().bindings_changed(screen)
