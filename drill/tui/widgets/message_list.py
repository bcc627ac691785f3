"""Inbox, exchange calls and alerts: lists of messages, oldest first and newest at the bottom
(where the list follows it), with what is still unread.

Selecting a message (Enter or a click) posts `MessageList.Opened`; the console opens it and
marks it read. The lists are rebuilt only when a message arrives or an alert changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from drill.session.snapshot import AlertRow, MessageRow
from drill.tui.format import literal


class MessageList(OptionList):
    DEFAULT_CSS = """
    MessageList {
        height: 1fr;
        border: none;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        padding: 0;
    }
    MessageList:focus { border: none; }
    """

    @dataclass
    class Opened(Message):
        list: MessageList
        key: str

    def __init__(self, kind: str, **kwargs):
        super().__init__(**kwargs)
        self.kind = kind
        # MessageRow here, AlertRow in AlertList: each class's prompt reads the rows it is given.
        self._rows: dict[str, Any] = {}
        self.read: set[str] = set()
        self._signature: tuple = ()

    # -- content ----------------------------------------------------------------------------------
    def _key(self, row) -> str:
        return str(row.id)

    def _signature_of(self, rows: Sequence) -> tuple:
        return (len(rows), rows[-1].id if rows else None)

    def prompt(self, row: MessageRow) -> Text:
        unread = self._key(row) not in self.read
        text = Text()
        text.append("● " if unread else "  ", style="bold cyan" if unread else "")
        text.append(f"{row.clock} ", style="dim")
        text.append(f"{literal(row.sender)}: ", style="bold" if unread else "")
        text.append(literal(row.subject), style="bold" if unread else "")
        return text

    def show(self, rows: Sequence) -> bool:
        """Bring the list up to date; returns True when it changed. Messages only ever arrive
        or change, so new ones are appended (the list lays out only those) and changed ones
        re-prompted: an inbox of a hundred emails is never rebuilt."""
        signature = self._signature_of(rows)
        if signature == self._signature:
            return False
        self._signature = signature
        following = self.highlighted is None or self.highlighted == self.option_count - 1
        new: list[Option] = []
        for row in rows:
            key = self._key(row)
            before = self._rows.get(key)
            self._rows[key] = row
            if before is None:
                new.append(Option(self.prompt(row), id=key))
            elif before != row:
                self.replace_option_prompt(key, self.prompt(row))
        if new:
            self.add_options(new)
            if following:
                # The newest is at the bottom; keep it in view unless the trainee moved away.
                self.highlighted = self.option_count - 1
        return True

    def mark_read(self, key: str) -> None:
        if key in self._rows and key not in self.read:
            self.read.add(key)
            self.replace_option_prompt(key, self.prompt(self._rows[key]))

    def row(self, key: str):
        return self._rows[key]

    @property
    def unread(self) -> int:
        return sum(1 for k in self._rows if k not in self.read)

    @on(OptionList.OptionSelected)
    def _opened(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Opened(self, event.option.id))


class AlertList(MessageList):
    def _signature_of(self, rows: Sequence[AlertRow]) -> tuple:
        return tuple((r.id, r.acked) for r in rows)

    def prompt(self, row: AlertRow) -> Text:  # type: ignore[override]
        unread = self._key(row) not in self.read
        text = Text()
        text.append("● " if unread else "  ", style="bold cyan" if unread else "")
        text.append(f"{row.clock} ", style="dim")
        text.append(f"{row.id:<4}", style="bold red" if not row.acked else "dim")
        text.append("acked " if row.acked else "OPEN  ", style="dim" if row.acked else "bold red")
        text.append(literal(row.label), style="bold" if unread else "")
        return text

    @property
    def open_ids(self) -> list[str]:
        return [k for k, r in self._rows.items() if not r.acked]
