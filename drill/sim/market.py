"""Symbols, fair values and what the firm's own flow does to the prices it gets."""

from __future__ import annotations

import math
import string

import numpy as np

from drill.scenario.schema import Market as MarketSpec


def tickers(n: int, rng: np.random.Generator) -> list[str]:
    """Made-up tickers (no real company is implied), unique, stable for a seed."""
    letters = np.array(list(string.ascii_uppercase))
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        length = int(rng.choice([3, 4], p=[0.6, 0.4]))
        t = "".join(rng.choice(letters, size=length))
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


class Market:
    def __init__(self, spec: MarketSpec, rng: np.random.Generator, tick_ms: int):
        self.spec = spec
        n = spec.universe
        self.symbols = tickers(n, rng)
        self.fair = spec.price_median_usd * np.exp(spec.price_sigma * rng.standard_normal(n))
        self.adv_usd = spec.adv_median_usd * np.exp(spec.adv_sigma * rng.standard_normal(n))
        # Retail flow in a name tends to lean one way for the morning.
        self.symbol_side = np.where(rng.random(n) < spec.buy_fraction, 1, -1).astype(np.int8)
        self._rng = rng
        self._step_sigma = spec.volatility_bps_per_min / 1e4 * math.sqrt(tick_ms / 60_000)
        self.half_spread = spec.half_spread_bps / 1e4
        self._impact = spec.impact_bps_per_pct_adv / 1e4 * 100  # per unit fraction of ADV
        self._max_disp = spec.max_displacement_bps / 1e4

    def walk(self) -> None:
        """One tick of the fair-value random walk."""
        if self._step_sigma:
            self.fair *= np.exp(self._step_sigma * self._rng.standard_normal(len(self.fair)))

    def displacement(self, syms: np.ndarray, position_shares: np.ndarray) -> np.ndarray:
        """How far the firm's net inventory has pushed the traded price from fair (a fraction)."""
        frac_adv = position_shares * self.fair[syms] / self.adv_usd[syms]
        return np.clip(self._impact * frac_adv, -self._max_disp, self._max_disp)

    def exec_price(self, syms: np.ndarray, side: np.ndarray, position_shares: np.ndarray) -> np.ndarray:
        return self.fair[syms] * (1.0 + side * self.half_spread + self.displacement(syms, position_shares))
