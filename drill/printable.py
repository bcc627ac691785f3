"""Text from outside (file names, team names, a file's own lines) made safe to show in a terminal.
One definition for every layer; it imports nothing, so a usage error stays cheap."""

from __future__ import annotations


def printable(text: str) -> str:
    """Control characters (newlines, terminal escapes) shown escaped: a problem is one line, and a
    hostile file must not drive the reader's terminal."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
