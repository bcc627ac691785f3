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
        # Ids of parents not yet done or cancelled: the only rows a tick touches.
        self.active = np.zeros(0, dtype=np.int64)

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
        ids = np.arange(self.n, need, dtype=np.int64)
        rows = slice(self.n, need)  # new rows are contiguous: slices, not fancy indexing
        c = self._cols
        c["server"][rows] = server
        c["symbol"][rows] = symbol
        c["side"][rows] = side
        c["flag"][rows] = flag
        c["qty"][rows] = qty
        c["state"][rows] = state
        c["arrived"][rows] = at
        c["intended"][rows] = qty if intended is None else intended
        c["customer"][rows] = 0 if customer is None else customer
        c["account"][rows] = account
        self.n = need
        self.active = np.concatenate((self.active, ids))
        return ids

    def close(self, ids: np.ndarray, state: int) -> None:
        if len(ids) == 0:
            return
        self._cols["state"][ids] = state
        self.active = self.active[self._cols["state"][self.active] <= WORKING]

    def rows(self) -> slice:
        return slice(0, self.n)
