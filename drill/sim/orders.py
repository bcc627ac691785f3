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


class ParentBook:
    def __init__(self, capacity: int = 4096):
        self.n = 0
        self._cols: dict[str, np.ndarray] = {}
        for name, dtype in (
            ("server", np.int16),
            ("symbol", np.int32),
            ("side", np.int8),
            ("flag", np.int16),
            ("qty", np.int64),
            ("sent", np.int64),
            ("filled", np.int64),
            ("state", np.int8),
            ("arrived", np.int64),
            ("runaway", np.bool_),
            ("intended", np.int64),  # what was meant: fills beyond it are erroneous (the firm's)
            ("customer", np.int32),
            ("account", np.int8),  # account: CUSTOMER or FIRM
        ):
            self._cols[name] = np.zeros(capacity, dtype=dtype)
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
        k = len(server)
        need = self.n + k
        cap = len(self._cols["qty"])
        if need > cap:
            new_cap = max(need, cap * 2)
            for name, col in self._cols.items():
                grown = np.zeros(new_cap, dtype=col.dtype)
                grown[: self.n] = col[: self.n]
                self._cols[name] = grown
            self.__dict__.update(self._cols)
        ids = np.arange(self.n, need, dtype=np.int64)
        rows = slice(self.n, need)  # new rows are contiguous: slices, not fancy indexing
        c = self._cols
        c["server"][rows] = server
        c["symbol"][rows] = symbol
        c["side"][rows] = side
        c["flag"][rows] = flag
        c["qty"][rows] = qty
        c["arrived"][rows] = at
        c["intended"][rows] = qty if intended is None else intended
        # Rows past `n` were never written (the columns start as zeros and grow with zeros): a
        # zero need not be written again, and an arrival a second counts (flows book thousands).
        if state:
            c["state"][rows] = state
        if customer is not None:
            c["customer"][rows] = customer
        if account:
            c["account"][rows] = account
        if account != CUSTOMER or (intended is not None and np.any(intended != qty)):
            self.plain = False
        self.n = need
        self._append_active(ids)
        return ids

    def _append_active(self, ids: np.ndarray) -> None:
        na, k = self._n_active, len(ids)
        if na + k > len(self._active):
            grown = np.empty(max(na + k, 2 * len(self._active), 256), dtype=np.int64)
            grown[:na] = self._active[:na]
            self._active = grown
        self._active[na : na + k] = ids
        self._n_active = na + k

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
