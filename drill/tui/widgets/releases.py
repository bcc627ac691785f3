"""The canary dashboard: each release's servers side by side, over the last few seconds.

A canary is read by comparison: the new release should look like the old one. Where it sends
more children per parent, or fills orders beyond what was asked, the row says so in red."""

from __future__ import annotations

from rich.console import Group, JustifyMethod
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from drill.session.snapshot import ReleaseRow

_COLUMNS: tuple[tuple[str, JustifyMethod], ...] = (
    ("release", "left"),
    ("servers", "right"),
    ("parents/s", "right"),
    ("child/s", "right"),
    ("fills/s", "right"),
    ("bad fills/s", "right"),
    ("out:in", "right"),
)
OUT_IN_ALARM = 1.5  # a release sending this many times the baseline's children per parent is red


def releases_table(rows: tuple[ReleaseRow, ...]) -> Table:
    table = Table(box=None, expand=False, pad_edge=False, show_edge=False, padding=(0, 1))
    for name, justify in _COLUMNS:
        table.add_column(name, justify=justify)
    base = next((r for r in rows if not r.current and r.servers), None)  # what the others are read against
    for r in rows:
        table.add_row(
            _release_label(r),
            str(r.servers),
            f"{r.parents_per_s:,.1f}",
            f"{r.children_per_s:,.1f}",
            f"{r.fills_per_s:,.1f}",
            Text(f"{r.erroneous_fills_per_s:,.1f}", style="bold red" if r.erroneous_fills_per_s else ""),
            _out_in(r, base),
        )
    return table


def _release_label(r: ReleaseRow) -> Text:
    label = Text(r.release, style="bold")
    if r.current:
        label.append(" new", style="cyan")
    return label


def _out_in(r: ReleaseRow, base: ReleaseRow | None) -> Text:
    """Children out per parent in; red where it is well above the baseline release's."""
    if not r.servers:
        return Text("∞" if r.out_in == float("inf") else "-")
    out_in = Text("∞" if r.out_in == float("inf") else f"{r.out_in:,.1f}")
    if base is not None and r is not base and r.out_in > OUT_IN_ALARM * max(base.out_in, 0.1):
        out_in.stylize("bold red")
    return out_in


class ReleasesView(Static):
    DEFAULT_CSS = """
    ReleasesView { height: auto; padding: 0 1; }
    """

    def __init__(self, **kwargs):
        super().__init__("", **kwargs)
        self._key: tuple | None = None

    def show(self, rows: tuple[ReleaseRow, ...]) -> bool:
        if rows == self._key:
            return False
        self._key = rows
        note = Text("Releases side by side, last 10 s. A canary should look like the rest of the fleet.", style="dim")
        self.update(Group(note, releases_table(rows)) if rows else note)
        return True
