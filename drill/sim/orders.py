"""Parent orders, held as numpy columns.

Child orders are never objects: each tick the router's children and fills for every working
parent are computed as whole arrays, and only their counts are kept (per parent, per server,
per symbol). That is what lets a 45-minute runaway with millions of executions run in seconds.
"""

from __future__ import annotations

import numpy as np

PENDING, WORKING, DONE, CANCELLED = 0, 1, 2, 3
NO_FLAG = -1
CUSTOMER, FIRM = 0, 1
_QUANTITIES = ("qty", "intended", "filled", "sent")  # the rows of ParentBook._quantities


class ParentBook:
    def __init__(self, capacity: int = 4096):
        self.n = 0
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

    @property
    def active(self) -> np.ndarray:
        """The active ids. Rows are only ever written after the ones a caller was given, and a
        close makes a new array, so an array once returned never changes under its holder."""
        return self._active[: self._n_active]

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self._cols[name]
        except KeyError:
            raise AttributeError(name) from None

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
        n = self.n
        need = n + len(server)
        if need > self._capacity:
            self._grow(need)
        rows = slice(n, need)  # new rows are contiguous: slices, not fancy indexing
        self.server[rows] = server
        self.symbol[rows] = symbol
        self.side[rows] = side
        self.flag[rows] = flag
        self.arrived[rows] = at
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
        # The new ids after the active ones (inline: an arrival a second, each a method call)
        ids = np.arange(n, need, dtype=np.int64)
        na = self._n_active
        if na + len(ids) > len(self._active):
            self._grow_active(na + len(ids))
        self._active[na : na + len(ids)] = ids
        self._n_active = na + len(ids)
        return ids

    def _grow(self, need: int) -> None:
        """Room for at least `need` rows (doubling), the rows so far kept."""
        new_cap = max(need, self._capacity * 2)
        for name, col in self._cols.items():
            if name not in _QUANTITIES:
                grown = np.zeros(new_cap, dtype=col.dtype)
                grown[: self.n] = col[: self.n]
                self._cols[name] = grown
        grown2 = np.zeros((len(_QUANTITIES), new_cap), dtype=np.int64)
        grown2[:, : self.n] = self._quantities[:, : self.n]
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

    def _grow_active(self, need: int) -> None:
        """Room for at least `need` active ids (doubling), the active ones kept."""
        grown = np.empty(max(need, 2 * len(self._active), 256), dtype=np.int64)
        grown[: self._n_active] = self._active[: self._n_active]
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
