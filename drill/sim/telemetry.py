"""What the firm's screens could show: per-server flow rates, the risk monitor's lagged view of
positions, a sample of the order tape, the loss history, and the inbox, calls and alerts."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

RATE_WINDOW = 10  # ticks averaged for the per-server rates
HISTORY_TICKS = 1800  # positions kept for the risk monitor's lagged view (its lag is capped here)
CURVE_EVERY_MS = 10_000


@dataclass(frozen=True)
class Message:
    id: int
    at: int
    kind: str  # "email" or "call"
    sender: str
    subject: str
    body: str
    signal: bool = False  # points at the fault (for the debrief; never shown as such)


@dataclass
class Alert:
    id: str
    at: int
    kind: str
    label: str
    detail: str
    acked_at: int | None = None


@dataclass(frozen=True)
class TapeEntry:
    at: int
    server: str
    parent: int
    symbol: str
    side: str
    shares: int
    price: float
    status: str  # "filled" or "expired"
    runaway: bool


class FlowRates:
    """Per server over the last few ticks: parents in, children out, fills, and erroneous fills
    (what a canary dashboard compares between releases)."""

    def __init__(self, n_servers: int):
        self.children = np.zeros((RATE_WINDOW, n_servers), dtype=np.int64)
        self.fills = np.zeros((RATE_WINDOW, n_servers), dtype=np.int64)
        self.errors = np.zeros((RATE_WINDOW, n_servers), dtype=np.int64)
        self.parents = np.zeros((RATE_WINDOW, n_servers), dtype=np.int64)
        self.parents_this_tick = np.zeros(n_servers, dtype=np.int64)
        self._i = 0

    def push(self, children: np.ndarray, fills: np.ndarray, errors: np.ndarray | None = None) -> None:
        i = self._i
        self.children[i] = children
        self.fills[i] = fills
        self.errors[i] = 0 if errors is None else errors
        self.parents[i] = self.parents_this_tick
        self.parents_this_tick[:] = 0
        self._i = (i + 1) % RATE_WINDOW

    def per_second(self, tick_s: float) -> tuple[np.ndarray, np.ndarray]:
        span = RATE_WINDOW * tick_s
        return self.children.sum(axis=0) / span, self.fills.sum(axis=0) / span

    def window_sums(self) -> dict[str, np.ndarray]:
        return {
            "children": self.children.sum(axis=0),
            "fills": self.fills.sum(axis=0),
            "errors": self.errors.sum(axis=0),
            "parents": self.parents.sum(axis=0),
        }


class RiskMonitor:
    """A post-trade monitor that digests executions at a fixed capacity: under heavy volume its
    backlog grows and what it shows falls behind (Knight's PMON lagged exactly so)."""

    def __init__(self, n_symbols: int, capacity_per_s: float, base_lag_s: float, tick_ms: int):
        self.capacity_per_tick = capacity_per_s * tick_ms / 1000
        self.capacity_per_s = capacity_per_s
        self.base_lag_ms = int(base_lag_s * 1000)
        self.backlog = 0.0
        self._times = np.zeros(HISTORY_TICKS, dtype=np.int64)
        self._positions = np.zeros((HISTORY_TICKS, n_symbols), dtype=np.int64)
        self._count = 0

    def record(self, at: int, executions: int, position: np.ndarray) -> None:
        self.backlog = max(0.0, self.backlog + executions - self.capacity_per_tick)
        i = self._count % HISTORY_TICKS
        self._times[i] = at
        self._positions[i] = position
        self._count += 1

    def lag_ms(self) -> int:
        return self.base_lag_ms + int(self.backlog / self.capacity_per_s * 1000)

    def view(self, now: int) -> tuple[int, np.ndarray | None]:
        """(the instant the monitor is showing, positions then) or (now, None) before any data."""
        if self._count == 0:
            return now, None
        want = now - self.lag_ms()
        n = min(self._count, HISTORY_TICKS)
        idx = [(self._count - 1 - k) % HISTORY_TICKS for k in range(n)]  # newest first
        for i in idx:
            if self._times[i] <= want:
                return int(self._times[i]), self._positions[i]
        oldest = idx[-1]
        if self._count > HISTORY_TICKS:
            return int(self._times[oldest]), self._positions[oldest]
        return want, np.zeros_like(self._positions[oldest])


class Tape:
    """The last few hundred sampled child orders. A tick's sample is kept as it was drawn, in
    numpy arrays (one chunk per tick, the newest `size` chunks: at least one order each, so
    always enough for `size` rows); `rows()` turns the few asked for into entries. Building
    tuples and names for every sampled order, every tick, cost more than the sampling."""

    def __init__(self, servers: list[str], symbols: list[str], lot: int, size: int = 400):
        self.size = size
        self._servers = servers
        self._symbols = symbols
        self._lot = lot
        # (at, server, parent, symbol, side, price, filled, runaway): the arrays of one tick
        self._chunks: deque[tuple] = deque(maxlen=size)

    def add(
        self,
        at: int,
        server: np.ndarray,
        parent: np.ndarray,
        symbol: np.ndarray,
        side: np.ndarray,
        price: np.ndarray,
        filled: np.ndarray,
        runaway: np.ndarray,
    ) -> None:
        self._chunks.append((at, server, parent, symbol, side, price, filled, runaway))

    def rows(self, last: int) -> list[TapeEntry]:
        """The newest `last` rows of the newest `size` (as a list slice `[-last:]` of them would)."""
        need = self.size if last <= 0 else min(last, self.size)
        picked: list[tuple] = []
        have = 0
        for chunk in reversed(self._chunks):
            if have >= need:
                break
            picked.append(chunk)
            have += len(chunk[2])
        out: list[TapeEntry] = []
        for at, server, parent, symbol, side, price, filled, runaway in reversed(picked):
            for j in range(len(parent)):
                out.append(
                    TapeEntry(
                        at,
                        self._servers[server[j]],
                        int(parent[j]),
                        self._symbols[symbol[j]],
                        "BUY" if side[j] > 0 else "SELL",
                        self._lot,
                        round(float(price[j]), 2),
                        "filled" if filled[j] else "expired",
                        bool(runaway[j]),
                    )
                )
        return out[-self.size :][-last:]


class Curve:
    """Loss and gross exposure sampled every few seconds, for charts."""

    def __init__(self) -> None:
        self.points: list[tuple[int, float, float]] = []

    def due(self, at: int) -> bool:
        """Whether a point at `at` would be kept (so a caller can skip computing one that is not)."""
        return not self.points or at - self.points[-1][0] >= CURVE_EVERY_MS

    def maybe_add(self, at: int, loss: float, exposure: float) -> None:
        if self.due(at):
            self.points.append((at, loss, exposure))
