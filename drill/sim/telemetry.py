"""What the firm's screens could show: per-server flow rates, the risk monitor's lagged view of
positions, a sample of the order tape, the loss history, and the inbox, calls and alerts."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
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
    (what a canary dashboard compares between releases).

    Parents are booked in the order they arrive, so the ones a tick took in are a range of the
    book's rows: a tick notes where its range ends, and the parents per server are counted from
    the book (`count_rows(start, stop)`) only when asked, not at every tick."""

    def __init__(self, n_servers: int, count_rows: Callable[[int, int], np.ndarray]):
        # children, fills and errors in one block, so a tick with nothing sent is one write
        self._sent = np.zeros((3, RATE_WINDOW, n_servers), dtype=np.int64)
        self.children, self.fills, self.errors = self._sent
        self._rows = [(0, 0)] * RATE_WINDOW  # per slot, the book rows its tick took in: [start, stop)
        self._rows_upto = 0  # book rows taken in by the ticks so far
        self._count_rows = count_rows
        self._n_servers = n_servers
        self._sent_clear = True  # nothing was ever sent: an idle tick has no slot to clear
        self._i = 0

    def push(self, children: np.ndarray, fills: np.ndarray, errors: np.ndarray | None, rows_upto: int) -> np.ndarray:
        """One tick's counts per server (whole numbers, of any numeric dtype), and the book rows
        booked by then; returns the children and fills as the two integer rows (children, fills)
        they were written to."""
        i = self._i
        self.children[i] = children
        self.fills[i] = fills
        self.errors[i] = 0 if errors is None else errors
        self._sent_clear = False
        self._take_rows(i, rows_upto)
        return self._sent[:2, i]

    def push_idle(self, rows_upto: int) -> None:
        """A tick with nothing sent (the market closed): only the parents that arrived."""
        i = self._i
        if not self._sent_clear:
            self._sent[:, i] = 0
        self._take_rows(i, rows_upto)

    def _take_rows(self, i: int, rows_upto: int) -> None:
        self._rows[i] = (self._rows_upto, rows_upto)
        self._rows_upto = rows_upto
        self._i = (i + 1) % RATE_WINDOW

    @property
    def parents(self) -> np.ndarray:
        """Parents in per tick and server, in the ring's slots (counted now, from the book)."""
        out = np.zeros((RATE_WINDOW, self._n_servers), dtype=np.int64)
        for i, (start, stop) in enumerate(self._rows):
            if stop > start:
                out[i] = self._count_rows(start, stop)
        return out

    def per_second(self, tick_s: float) -> tuple[np.ndarray, np.ndarray]:
        span = RATE_WINDOW * tick_s
        return self.children.sum(axis=0) / span, self.fills.sum(axis=0) / span

    def window_sums(self) -> dict[str, np.ndarray]:
        return {
            "children": self.children.sum(axis=0),
            "fills": self.fills.sum(axis=0),
            "errors": self.errors.sum(axis=0),
            # the ticks' rows are consecutive: the window's are one range, from its oldest tick's
            "parents": self._count_rows(min(start for start, _ in self._rows), self._rows_upto),
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

    def record(self, at: int, executions: int, position: np.ndarray | None) -> None:
        """`position` None: the firm has held nothing yet (as every row recorded so far, and as
        the rows never written: zeros), so there is nothing to copy (every tick before the open)."""
        self.backlog = max(0.0, self.backlog + executions - self.capacity_per_tick)
        i = self._count % HISTORY_TICKS
        self._times[i] = at
        if position is not None:
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


# Parents' worth of unsampled ticks the tape holds before it samples them (about 27 bytes each).
# The newest `size` ticks of a shipped morning hold a fifth of it at most, so a drill nobody
# watches (`drill run`, the bench) samples none, and one that is watched only what a frame asks.
TAPE_PENDING_MAX = 1 << 18


class Tape:
    """The last few hundred sampled child orders. Each tick is recorded as it traded (its arrays,
    and the prices it traded at) and sampled only when rows are asked for, or when the unsampled
    ticks would hold too much: a tick that is no longer among the newest `size` by then is never
    sampled, though its draws are still taken from the tape's own random stream, in order, so the
    rows are those an eager sample would give. A sampled tick is one chunk (at least one order:
    so the newest `size` chunks always hold `size` rows); `rows()` turns the few asked for into
    entries. Sampling and naming every order, every tick, cost more than the market it shows."""

    def __init__(
        self,
        servers: list[str],
        symbols: list[str],
        lot: int,
        rng: np.random.Generator,
        sample: Callable[[tuple, np.ndarray, np.ndarray], tuple],
        per_tick: int,
        size: int = 400,
    ):
        self.size = size
        self._servers = servers
        self._symbols = symbols
        self._lot = lot
        self._rng = rng
        self._sample = sample  # (a tick's record, its draws to pick orders, its draws to fill them) -> chunk
        self._per_tick = per_tick
        # (at, server, parent, symbol, side, price, filled, runaway): one sampled tick's arrays
        self._chunks: deque[tuple] = deque(maxlen=size)
        self._pending: deque[tuple[int, int, tuple]] = deque()  # (orders to sample, parents, the tick's record)
        self._pending_parents = 0
        self._owed = 0  # draws of ticks dropped unsampled, still to be taken from the stream
        self.kept = True  # a world whose tape nobody will see (a re-simulation) keeps none: hide()

    def record(self, children_total: int, parents: int, tick: tuple) -> None:
        """One tick that sent `children_total` child orders from `parents` parents (nothing to
        sample when it sent none): `tick` is what `sample` needs to draw its rows later."""
        if children_total == 0 or not self.kept:
            return
        if len(self._pending) == self.size:  # the oldest can no longer be shown: its draws are owed
            k, dropped, _ = self._pending.popleft()
            self._owed += 2 * k
            self._pending_parents -= dropped
        self._pending.append((min(self._per_tick, children_total), parents, tick))
        self._pending_parents += parents
        if self._pending_parents > TAPE_PENDING_MAX:
            self._sample_pending()

    def hide(self) -> None:
        """Keep no tape from now on: for a world nobody will watch. The tape draws from its own
        stream and never changes the market, so no other figure moves."""
        self.kept = False

    def _sample_pending(self) -> None:
        k_all = [k for k, _, _ in self._pending]
        draws = self._rng.random(self._owed + 2 * sum(k_all))
        at = self._owed
        for k, _, tick in self._pending:
            self._chunks.append(self._sample(tick, draws[at : at + k], draws[at + k : at + 2 * k]))
            at += 2 * k
        self._pending.clear()
        self._pending_parents = self._owed = 0

    def rows(self, last: int) -> list[TapeEntry]:
        """The newest `last` rows of the newest `size` (as a list slice `[-last:]` of them would)."""
        if self._pending:
            self._sample_pending()
        need = self.size if last <= 0 else min(last, self.size)
        picked: list[tuple] = []
        have = 0
        for chunk in reversed(self._chunks):
            if have >= need:
                break
            picked.append(chunk)
            have += len(chunk[2])
        out = [entry for chunk in reversed(picked) for entry in self._entries(chunk)]
        return out[-self.size :][-last:]

    def _entries(self, chunk: tuple) -> list[TapeEntry]:
        at, server, parent, symbol, side, price, filled, runaway = chunk
        return [
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
            for j in range(len(parent))
        ]


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
