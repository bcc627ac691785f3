"""Parent orders, held as numpy columns.

Child orders are never objects: each tick the router's children and fills for every working
parent are computed as whole arrays, and only their counts are kept (per parent, per server,
per symbol). That is what lets a 45-minute runaway with millions of executions run in seconds.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

PENDING, WORKING, DONE, CANCELLED = 0, 1, 2, 3
NO_FLAG = -1
CUSTOMER, FIRM = 0, 1
_QUANTITIES = ("qty", "intended", "filled", "sent")  # the rows of ParentBook._quantities
# A book with queued arrivals keeps these out of its __dict__, so reading any of them (a column,
# the active ids, the columns' dict) falls to _QueuedBook.__getattr__, which books the queue first.
_COLUMNS = ("server", "symbol", "side", "flag", "state", "arrived", "runaway", "customer", "account")
_HIDDEN_WHILE_QUEUED = (*_COLUMNS, *_QUANTITIES, "_cols", "_quantities", "_active")
# At most this many queued arrivals are written one by one; more, in one pass per source.
_FEW_QUEUED = 4


class Drawn(NamedTuple):
    """Orders drawn up front (a flow's), routed to servers: the columns an arrival's rows are
    copied from, rows [start, stop) of each (`ParentBook.arrive`)."""

    server: np.ndarray
    symbol: np.ndarray
    side: np.ndarray
    qty: np.ndarray  # what was booked is what was meant
    customer: np.ndarray
    account: int


class ParentBook:
    # The columns, one entry per parent (each a plain attribute: a tick reads a dozen of them)
    server: np.ndarray
    symbol: np.ndarray
    side: np.ndarray
    flag: np.ndarray
    state: np.ndarray
    arrived: np.ndarray
    runaway: np.ndarray
    customer: np.ndarray
    account: np.ndarray
    qty: np.ndarray
    intended: np.ndarray
    filled: np.ndarray
    sent: np.ndarray

    def __init__(self, capacity: int = 4096):
        self.n = 0  # rows booked, queued ones included
        self._cols: dict[str, np.ndarray] = {}
        for name, dtype in (
            ("server", np.int16),
            ("symbol", np.int32),
            ("side", np.int8),
            ("flag", np.int16),
            ("state", np.int8),
            ("arrived", np.int64),
            ("runaway", np.bool_),
            ("customer", np.int32),
            ("account", np.int8),  # account: CUSTOMER or FIRM
        ):
            self._cols[name] = np.zeros(capacity, dtype=dtype)
        # qty; intended: what was meant (fills beyond it are erroneous, the firm's); filled; sent
        self._set_quantities(np.zeros((len(_QUANTITIES), capacity), dtype=np.int64))
        self._capacity = capacity
        self.__dict__.update(self._cols)  # book.qty is a plain attribute: a tick reads a dozen columns
        # Ids of parents not yet done or cancelled, the only rows a tick touches: the first
        # _n_active of _active. Arrivals are written after them (room doubles when it runs out),
        # so the thousands queued before the open are not copied again at every arrival.
        self._active = np.zeros(0, dtype=np.int64)
        self._n_active = 0
        # Whether every parent so far is a customer's, booked for what was meant (what flows book):
        # then a tick need not tell the firm's fills from the customers' parent by parent.
        self.plain = True
        # Arrivals counted but not yet written (`_queue`): (first row, source, start, stop, at, flag)
        self._queued: list[tuple[int, Drawn, int, int, int, int]] = []
        self._hidden: dict[str, object] = {}  # what a queue keeps out of __dict__ until it is booked

    @property
    def active(self) -> np.ndarray:
        """The active ids. Rows are only ever written after the ones a caller was given, and a
        close makes a new array, so an array once returned never changes under its holder."""
        return self._active[: self._n_active]

    def add(
        self,
        at: int,
        server: np.ndarray,
        symbol: np.ndarray,
        side: np.ndarray,
        flag: np.ndarray | int,
        qty: np.ndarray,
        state: int,
        intended: np.ndarray | None = None,
        customer: np.ndarray | None = None,
        account: int = CUSTOMER,
    ) -> np.ndarray:
        if self._queued:
            self._book_queued()  # rows are booked in the order they arrive
        n = self.n
        need = n + len(server)
        if need > self._capacity:
            self._grow(need, n)
        rows = slice(n, need)  # new rows are contiguous: slices, not fancy indexing
        self._write(rows, server, symbol, side, flag, at)
        if intended is None:  # what was meant is what was booked: both rows in one write
            self._quantities[:2, rows] = qty
        else:
            self.qty[rows] = qty
            self.intended[rows] = intended
            if np.any(intended != qty):
                self.plain = False
        # Rows past `n` were never written (the columns start as zeros and grow with zeros): a
        # zero need not be written again, and an arrival a second counts (flows book thousands).
        if state:
            self.state[rows] = state
        if customer is not None:
            self.customer[rows] = customer
        if account:
            self.account[rows] = account
            self.plain = False
        self.n = need
        return self._append_active(n, need)

    def _append_active(self, start: int, stop: int) -> np.ndarray:
        """The new ids [start, stop) after the active ones; returns them."""
        ids = np.arange(start, stop, dtype=np.int64)
        na = self._n_active
        if na + len(ids) > len(self._active):
            self._grow_active(na + len(ids))
        self._active[na : na + len(ids)] = ids
        self._n_active = na + len(ids)
        return ids

    def _write(self, rows, server, symbol, side, flag, at) -> None:
        """The columns every arrival sets (`rows`: a slice, or the rows of several arrivals)."""
        self.server[rows] = server
        self.symbol[rows] = symbol
        self.side[rows] = side
        self.flag[rows] = flag
        self.arrived[rows] = at

    def arrive(self, at: int, source: Drawn, start: int, stop: int, flag: int, state: int) -> None:
        """Rows [start, stop) of `source` arrive now, in `state`, carrying `flag`: as `add` would
        book them. Those that queue for the opening auction (PENDING) are written only when the
        book is next read (`_queue`)."""
        if state == PENDING:
            self._queue(at, source, start, stop, flag)
            return
        if self._queued:
            self._book_queued()  # rows are booked in the order they arrive
        n = self.n
        need = n + stop - start
        if need > self._capacity:
            self._grow(need, n)
        self._book_rows(slice(n, need), source, slice(start, stop), flag, at)
        self.state[n:need] = state
        if source.account:
            self.plain = False
        self.n = need
        self._append_active(n, need)

    def _queue(self, at: int, source: Drawn, start: int, stop: int, flag: int) -> None:
        """Before the open nothing reads the book arrival by arrival (thousands arrive): their
        rows are noted, and written in a few calls when the book is next read (at the open, or
        by whoever asks first), not in a dozen calls each as they come."""
        if not self._hidden:
            d = self.__dict__
            self._hidden = {name: d.pop(name) for name in _HIDDEN_WHILE_QUEUED}
            self.__class__ = _QueuedBook
        self._queued.append((self.n, source, start, stop, at, flag))
        self.n += stop - start
        self._n_active += stop - start
        if source.account:
            self.plain = False

    def _book_queued(self) -> None:
        """Write the queued arrivals' rows and ids, as `add` would have written them as they came."""
        self.__dict__.update(self._hidden)
        self._hidden = {}
        self.__class__ = ParentBook
        queued, self._queued = self._queued, []
        first = queued[0][0]
        k = self.n - first
        if self.n > self._capacity:
            self._grow(self.n, first)
        if len(queued) <= _FEW_QUEUED:
            for row, source, start, stop, at, flag in queued:
                self._book_rows(slice(row, row + stop - start), source, slice(start, stop), flag, at)
        else:
            self._book_many(queued)
        na = self._n_active - k
        if self._n_active > len(self._active):
            self._grow_active(self._n_active, na)
        self._active[na : self._n_active] = np.arange(first, self.n, dtype=np.int64)

    def _book_many(self, queued: list[tuple[int, Drawn, int, int, int, int]]) -> None:
        """Many queued arrivals, in one pass per source: every row's place in the book and in its
        source, worked out as arrays."""
        by_source: dict[int, tuple[Drawn, list]] = {}
        for entry in queued:
            by_source.setdefault(id(entry[1]), (entry[1], []))[1].append(entry)
        for source, entries in by_source.values():
            cols = list(zip(*entries))  # (first row, source, start, stop, at, flag) per arrival
            row, start, stop, at, flag = (np.array(cols[i], dtype=np.int64) for i in (0, 2, 3, 4, 5))
            counts = stop - start
            within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
            self._book_rows(
                np.repeat(row, counts) + within,
                source,
                np.repeat(start, counts) + within,
                np.repeat(flag, counts),
                np.repeat(at, counts),
            )

    def _book_rows(self, rows, source: Drawn, picked, flag, at) -> None:
        """Rows `rows` of the book from rows `picked` of `source`, PENDING (the zero the state
        column holds already)."""
        self._write(rows, source.server[picked], source.symbol[picked], source.side[picked], flag, at)
        self._quantities[:2, rows] = source.qty[picked]
        self.customer[rows] = source.customer[picked]
        if source.account:
            self.account[rows] = source.account

    def _grow(self, need: int, keep: int) -> None:
        """Room for at least `need` rows (doubling), the first `keep` rows kept."""
        new_cap = max(need, self._capacity * 2)
        for name, col in self._cols.items():
            if name not in _QUANTITIES:
                grown = np.zeros(new_cap, dtype=col.dtype)
                grown[:keep] = col[:keep]
                self._cols[name] = grown
        grown2 = np.zeros((len(_QUANTITIES), new_cap), dtype=np.int64)
        grown2[:, :keep] = self._quantities[:, :keep]
        self._set_quantities(grown2)
        self._capacity = new_cap
        self.__dict__.update(self._cols)

    def _set_quantities(self, block: np.ndarray) -> None:
        """What was booked, what was meant, filled and sent, as the rows of one block: a flow's
        arrivals (what was meant is what was booked) write two in one call, and a tick gathers
        its parents' four in one (`quantities`)."""
        self._quantities = block
        for name, row in zip(_QUANTITIES, block):
            self._cols[name] = row

    def quantities(self, ids: np.ndarray) -> np.ndarray:
        """(qty, intended, filled, sent) of the parents `ids`, as four rows gathered in one call."""
        return self._quantities.take(ids, axis=1)  # not [:, ids]: numpy's 2-D fancy index is several times slower

    def _grow_active(self, need: int, keep: int | None = None) -> None:
        """Room for at least `need` active ids (doubling), the first `keep` (the active ones) kept."""
        keep = self._n_active if keep is None else keep
        grown = np.empty(max(need, 2 * len(self._active), 256), dtype=np.int64)
        grown[:keep] = self._active[:keep]
        self._active = grown

    def close_done(self, ids: np.ndarray, done: np.ndarray, state: int) -> None:
        """Close ids[done]. When `ids` are all the active ids, in order (the usual tick: every
        active parent traded), the ones left active are ids[~done], with no look at the states."""
        if len(ids) == self._n_active and ids.base is self._active:
            self._cols["state"][ids[done]] = state
            self._active = ids[~done]
            self._n_active = len(self._active)
        else:
            self.close(ids[done], state)

    def close(self, ids: np.ndarray, state: int) -> None:
        if len(ids) == 0:
            return
        self._cols["state"][ids] = state
        self._active = self.active[self._cols["state"][self.active] <= WORKING]
        self._n_active = len(self._active)

    def rows(self) -> slice:
        return slice(0, self.n)


class _QueuedBook(ParentBook):
    """A book while arrivals are queued (`ParentBook._queue`): its columns and active ids are
    kept out of __dict__, so reading one comes here, and the queue is written first. A class of
    its own, as a class with __getattr__ reads every attribute several times slower, and a tick
    reads the book's dozens of times."""

    def __getattr__(self, name: str) -> np.ndarray:
        hidden = self.__dict__.get("_hidden")
        if hidden and name in hidden:
            self._book_queued()
            return self.__dict__[name]
        raise AttributeError(name)
