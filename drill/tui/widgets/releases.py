"""The canary dashboard: each release's servers side by side, over the last few seconds.

A canary is read by comparison: the new release should look like the old one. Where it sends
more children per parent, or fills orders beyond what was asked, the row says so in red."""

from __future__ import annotations

from rich.console import Group, JustifyMethod
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from drill.session.snapshot import ReleaseRow


def releases_table(rows: tuple[ReleaseRow, ...]) -> Table:
    table = Table(box=None, expand=False, pad_edge=False, show_edge=False, padding=(0, 1))
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("release", "left"),
        ("servers", "right"),
        ("parents/s", "right"),
        ("child/s", "right"),
        ("fills/s", "right"),
        ("bad fills/s", "right"),
        ("out:in", "right"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify)
    base = next((r for r in rows if not r.current and r.servers), None)
    for r in rows:
        label = Text(r.release, style="bold")
        if r.current:
            label.append(" new", style="cyan")
        bad = Text(f"{r.erroneous_fills_per_s:,.1f}", style="bold red" if r.erroneous_fills_per_s else "")
        ratio = "∞" if r.out_in == float("inf") else f"{r.out_in:,.1f}" if r.servers else "-"
        out_in = Text(ratio)
        if base is not None and r is not base and r.servers and r.out_in > 1.5 * max(base.out_in, 0.1):
            out_in.stylize("bold red")
        table.add_row(
            label,
            str(r.servers),
            f"{r.parents_per_s:,.1f}",
            f"{r.children_per_s:,.1f}",
            f"{r.fills_per_s:,.1f}",
            bad,
            out_in,
        )
    return table


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
