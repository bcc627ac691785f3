"""The firm's own account: fills beyond what customers ordered land here (Knight's "33 Account").

Cash and positions are kept per symbol; the loss is what liquidating the inventory would leave:
cash plus inventory at fair value, less a haircut on the inventory."""

from __future__ import annotations

import numpy as np

from drill.sim.market import Market


class Ledger:
    def __init__(self, market: Market, haircut_pct: float):
        n = len(market.fair)
        self.market = market
        self.haircut = haircut_pct / 100
        self.position = np.zeros(n, dtype=np.int64)  # shares, signed
        self.cash = np.zeros(n, dtype=np.float64)  # usd, signed
        self.bought = np.zeros(n, dtype=np.int64)
        self.sold = np.zeros(n, dtype=np.int64)
        self.touched = np.zeros(n, dtype=np.bool_)

    def book(self, flow: np.ndarray) -> None:
        """Book one tick of the firm's net flow per symbol (signed shares)."""
        syms = np.flatnonzero(flow)
        if len(syms) == 0:
            return
        f = flow[syms]
        side = np.sign(f)
        # Price the tick's flow at the displacement half-way through it.
        price = self.market.exec_price(syms, side, self.market.pressure[syms] + f / 2)
        self.cash[syms] -= f * price
        self.position[syms] += f
        self.bought[syms] += np.maximum(f, 0)
        self.sold[syms] += np.maximum(-f, 0)
        self.touched[syms] = True

    def inventory_usd(self) -> np.ndarray:
        return self.position * self.market.fair

    def loss_usd(self) -> float:
        inv = self.inventory_usd()
        value = float(self.cash.sum() + inv.sum() - self.haircut * np.abs(inv).sum())
        return max(0.0, -value)

    def long_short(self) -> tuple[float, int, float, int]:
        inv = self.inventory_usd()
        longs, shorts = inv > 0, inv < 0
        short = float(-inv[shorts].sum()) if shorts.any() else 0.0  # never -0.0 in a report
        return float(inv[longs].sum()), int(longs.sum()), short, int(shorts.sum())
