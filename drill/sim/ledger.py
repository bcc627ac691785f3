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
        # 1.0 + side * half_spread for a side of 0, 1 and -1 (indexed by np.sign of the flow): the
        # same floats as the product and sum worked out per symbol (-1 * h is -h, and 1.0 + -h is
        # 1.0 - h), looked up in one call.
        hs = market.half_spread
        self._side_factor = np.array([1.0 + 0 * hs, 1.0 + 1 * hs, 1.0 + -1 * hs])
        self.position = np.zeros(n, dtype=np.int64)  # shares, signed
        # Per symbol: cash (usd, signed), and inventory at fair value and its size, as the last
        # `loss_usd` left them: three rows of one block, so the loss sums them in one call.
        self._valued = np.zeros((3, n), dtype=np.float64)
        self.cash = self._valued[0]
        self.booked = False  # whether any flow was booked (until then the position is all zeros)
        self.inventory_abs_usd = 0.0  # the inventory's size at fair value, as of the last loss_usd

    def book(self, flow: np.ndarray, halfway: np.ndarray | None = None) -> None:
        """Book one tick of the firm's net flow per symbol (signed shares). Over every symbol at
        once: a symbol without flow adds nothing (its cash is left as it was), and a few dense
        operations on a few hundred symbols cost less than picking out the traded ones first.
        `halfway`: every symbol's displacement half-way through the flow, when the caller has it
        (Market.displacement_through); else worked out here from the market's pressure."""
        # Price the tick's flow at the displacement half-way through it.
        market = self.market
        if halfway is None:
            price = market.exec_price(slice(None), np.sign(flow), market.pressure + flow / 2)
        else:  # exec_price's arithmetic, in its order, on the displacement given
            price = market.fair * (self._side_factor[np.sign(flow)] + halfway)
        # Where there is no flow, flow * price is +0.0 (prices are positive) and cash less +0.0 is
        # cash, bit for bit (it is never -0.0: it starts at +0.0 and x - x is +0.0), so no mask.
        self.cash -= flow * price
        self.booked = True
        self.position += flow

    # Bought and sold follow from the net and the gross: asked for by reports, never by a tick.
    @property
    def traded(self) -> np.ndarray:
        """Shares bought and sold per symbol: the firm's own volume, which the market keeps (every
        tick's flow is booked here and recorded there; whole shares, exact as floats)."""
        return self.market.firm_volume.astype(np.int64)

    @property
    def bought(self) -> np.ndarray:
        return (self.traded + self.position) // 2

    @property
    def sold(self) -> np.ndarray:
        return (self.traded - self.position) // 2

    @property
    def touched(self) -> np.ndarray:
        """Symbols the firm has traded in."""
        return self.traded > 0

    def inventory_usd(self) -> np.ndarray:
        return self.position * self.market.fair

    def loss_usd(self) -> float:
        """What liquidating now would lose, and `inventory_abs_usd` with it (asked every tick).
        Each row's sum is the sum of that row alone (a reduction along the last axis sums each
        row as it would sum the row by itself), so the figure is the same to the bit."""
        valued = self._valued
        np.multiply(self.position, self.market.fair, out=valued[1])
        np.absolute(valued[1], out=valued[2])
        cash, inv, size = np.add.reduce(valued, axis=1).tolist()
        self.inventory_abs_usd = size
        return max(0.0, -(cash + inv - self.haircut * size))

    def long_short(self) -> tuple[float, int, float, int]:
        inv = self.inventory_usd()
        longs, shorts = inv > 0, inv < 0
        short = float(-inv[shorts].sum()) if shorts.any() else 0.0  # never -0.0 in a report
        return float(inv[longs].sum()), int(longs.sum()), short, int(shorts.sum())
