"""The fleet table: one row per server, updated in place by diffing on the server name.

Columns have fixed widths and the table has no cell padding of its own: each cell is formatted
to its column's width here (a leading space separates columns), so no update ever has to
measure or re-layout the table.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from drill.session.snapshot import ServerRow
from drill.tui import format as fmt

STATE_STYLE = {
    "running": "green",
    "stopped": "yellow",
    "disconnected": "bold red",
    "deploying": "cyan",
    "restarting": "cyan",
}

# (key, label, width without the separating space, right-aligned)
COLUMNS: tuple[tuple[str, str, int, bool], ...] = (
    ("server", "server", 7, False),
    ("release", "release", 17, False),
    ("flags", "flags", 5, False),
    ("state", "state", 12, False),
    ("parents", "parents", 7, True),
    ("children", "child/s", 7, True),
    ("fills", "fills/s", 7, True),
    ("out_in", "out:in", 6, True),
)


def _cells(row: ServerRow) -> dict[str, str]:
    return {
        "server": row.name,
        "release": row.release,
        "flags": ",".join(row.flags) or "-",
        "state": row.state,
        "parents": f"{row.parents_in:,}",
        "children": fmt.rate(row.children_per_s),
        "fills": fmt.rate(row.fills_per_s),
        "out_in": fmt.ratio(row.out_in),
    }


def _fitted_width(
    key: str, label: str, width: int, servers: Sequence[str], releases: Sequence[str], flags: Sequence[str]
) -> int:
    """A column's width, the name columns widened for scenarios with longer names than knightmare's."""
    if key == "server":
        return max([width, *map(len, servers)])
    if key == "release" and releases:
        return max([len(label), *map(len, releases)])
    if key == "flags":
        return max(width, len(",".join(flags)))
    return width


class FleetTable(DataTable):
    DEFAULT_CSS = """
    FleetTable {
        height: auto;
        max-height: 100%;
        scrollbar-size-horizontal: 1;
    }
    """

    def __init__(
        self,
        servers: Sequence[str] = (),
        releases: Sequence[str] = (),
        columns: Sequence[str] | None = None,
        flags: Sequence[str] = (),
        **kwargs,
    ):
        """`columns`: the snapshot's fleet_columns (what the difficulty shows); the server's name
        is always the first. None: every column. Name columns fit this scenario's own names
        (`servers`, `releases`, `flags`), so nothing a scenario names is cut."""
        super().__init__(cursor_type="row", zebra_stripes=True, cell_padding=0, **kwargs)
        self._widths: dict[str, int] = {}
        self._columns = [c for c in COLUMNS if c[0] == "server" or columns is None or c[0] in columns]
        for key, label, width, right in self._columns:
            self._widths[key] = _fitted_width(key, label, width, servers, releases, flags)
            self.add_column(self._fit(key, label, right, "bold"), width=self._widths[key] + 1, key=key)
        self._shown: dict[str, dict[str, str]] = {}

    def _fit(self, key: str, value: str, right: bool, style: str = "") -> Text:
        width = self._widths[key]
        value = value if len(value) <= width else value[: width - 1] + "…"
        return Text(" " + (value.rjust(width) if right else value.ljust(width)), style=style)

    def _cell(self, key: str, value: str) -> Text:
        right = next(r for k, _, _, r in COLUMNS if k == key)
        style = STATE_STYLE.get(value, "") if key == "state" else ""
        return self._fit(key, value, right, style)

    def show(self, rows: Sequence[ServerRow]) -> int:
        """Bring the table up to date; returns how many cells changed."""
        changed = sum(self._show_row(row) for row in rows)
        seen = {row.name for row in rows}
        for name in [n for n in self._shown if n not in seen]:
            self.remove_row(name)
            del self._shown[name]
            changed += 1
        return changed

    def _show_row(self, row: ServerRow) -> int:
        """Add a server's row, or update the cells that changed; how many cells that was."""
        cells = {k: v for k, v in _cells(row).items() if k in self._widths}
        before = self._shown.get(row.name)
        self._shown[row.name] = cells
        if before is None:
            self.add_row(*(self._cell(k, cells[k]) for k, *_ in self._columns), key=row.name)
            return len(cells)
        changed = [(key, value) for key, value in cells.items() if before[key] != value]
        for key, value in changed:
            self.update_cell(row.name, key, self._cell(key, value))
        return len(changed)

    @property
    def selected_server(self) -> str | None:
        if not self.row_count:
            return None
        key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return key.value
