"""Messages shared across the console's screens and widgets (widget-specific ones live in the
widget that posts them)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from drill.session import Submission


@dataclass
class RunCommand(Message):
    """Submit this command line to the drill (from the palette, a message view, a key)."""

    text: str


@dataclass
class ResolveFinished(Message):
    """A `resolve` that ran in a worker thread is done (the session may have simulated to the end)."""

    text: str
    submission: Submission | None
    error: str | None
