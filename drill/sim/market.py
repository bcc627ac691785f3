"""Symbols, fair values, market volume, and what the firm's own flow does to the prices it gets.

The firm's net flow builds a per-symbol *pressure* (shares) that displaces traded prices from
fair value: linear in the pressure as a share of daily volume, made convex by liquidity
withdrawal (`dryup`), capped (a price limit), and, where the scenario says so, decaying with a
half-life as other traders step back in. Without a half-life the pressure is the firm's net
inventory: Knight's positions kept pushing the prices it paid.

Where the scenario has a circuit breaker, a symbol pushed across its limit pauses (nothing trades
in it) and reopens with the other side of the market back: faster decay, more volume. The market
also keeps, per symbol since the open, the firm's share of the volume and the furthest its flow
moved the price: the regulator's measures of a firm's market impact.
"""

from __future__ import annotations

import math
import string

import numpy as np

from drill.scenario.schema import Market as MarketSpec

VOLUME_WINDOW = 60  # ticks of market volume a participation algorithm looks back on
WALK_BLOCK = 256  # ticks of the fair-value walk drawn at once
EVERY_SYMBOL = slice(None)  # `syms` for every symbol at once (the tick's pass over the market)


TICKER_LENGTHS = (3, 4)
TICKER_LENGTH_ODDS = (0.6, 0.4)


def tickers(n: int, rng: np.random.Generator) -> list[str]:
    """Made-up tickers (no real company is implied), unique, stable for a seed. Each is a length
    drawn by its odds, then that many letters: the draws `rng.choice(TICKER_LENGTHS,
    p=TICKER_LENGTH_ODDS)` and `rng.choice(letters, size=length)` make, made directly (one uniform
    against the odds' normalised running sum; the letters' indexes as `integers`), without
    `choice`'s checks of its arguments (a world has hundreds of symbols)."""
    letters = string.ascii_uppercase
    cdf = np.cumsum(TICKER_LENGTH_ODDS)
    cdf /= cdf[-1]
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        length = TICKER_LENGTHS[int(cdf.searchsorted(rng.random(), side="right"))]
        t = "".join([letters[i] for i in rng.integers(0, len(letters), size=length, dtype=np.int64).tolist()])
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


class Market:
    def __init__(self, spec: MarketSpec, rng: np.random.Generator, tick_ms: int):
        self.spec = spec
        n = spec.universe
        self.symbols = list(spec.names) if spec.names else tickers(n, rng)
        self.fair = spec.price_median_usd * np.exp(spec.price_sigma * rng.standard_normal(n))
        self.adv_usd = spec.adv_median_usd * np.exp(spec.adv_sigma * rng.standard_normal(n))
        for name, price in spec.fixed_prices.items():
            self.fair[self.symbols.index(name)] = price
        for name, adv in spec.fixed_adv_usd.items():
            self.adv_usd[self.symbols.index(name)] = adv
        # Retail flow in a name tends to lean one way for the morning.
        self.symbol_side = np.where(rng.random(n) < spec.buy_fraction, 1, -1).astype(np.int8)
        self._rng = rng
        self._shocks = np.zeros((0, n))  # the walk's factors for the ticks ahead (_next_steps)
        self._shock_i = 0
        self._step_sigma = spec.volatility_bps_per_min / 1e4 * math.sqrt(tick_ms / 60_000)
        self.half_spread = spec.half_spread_bps / 1e4
        self._impact = spec.impact_bps_per_pct_adv / 1e4 * 100  # per unit fraction of ADV
        self._max_disp = spec.max_displacement_bps / 1e4
        self._dryup = spec.dryup
        self._decay = np.full(n, self._decay_for(spec.impact_half_life_s, tick_ms))
        self._reopen_decay = self._decay_for(spec.reopen_half_life_s or spec.impact_half_life_s, tick_ms)
        self._decaying = spec.impact_half_life_s is not None  # whether some symbol's decay is not 1.0
        self._halt_ticks = int(round(spec.halt_seconds * 1000 / tick_ms))
        self.halt_ticks_left = np.zeros(n, dtype=np.int64)
        self.halts: list[tuple[int, int]] = []  # (symbol, tick index since the open) of each halt
        self._beyond_limit = np.zeros(n, dtype=np.bool_)
        self._ticks = 0
        self.pressure = np.zeros(n, dtype=np.float64)  # shares, signed
        self.halted = np.zeros(n, dtype=np.bool_)
        self.any_halted = False  # halted.any(), kept as it changes (asked every tick)
        # Everyone else's volume per tick, in shares: the day's volume spread over its seconds.
        self.base_volume = self.adv_usd / self.fair / spec.trading_seconds_per_day * tick_ms / 1000
        self._normal_volume = self.base_volume.copy()
        self._hot_potato = spec.hot_potato
        self.volume = np.zeros((VOLUME_WINDOW, n), dtype=np.float64)
        self._vi = 0
        # Since the open, per symbol: everyone's volume, the firm's own, and the furthest the
        # firm's flow pushed the price (the regulator's measures of a firm's market impact).
        self.session_volume = np.zeros(n, dtype=np.float64)
        self.firm_volume = np.zeros(n, dtype=np.float64)
        self.max_move = np.zeros(n, dtype=np.float64)
        self.last_max_move = 0.0  # the furthest any price stands from fair after the last tick's flow

    @staticmethod
    def _decay_for(half_life_s: float | None, tick_ms: int) -> float:
        return 1.0 if half_life_s is None else 0.5 ** (tick_ms / 1000 / half_life_s)

    def index(self, name: str) -> int:
        return self.symbols.index(name)

    def walk(self) -> None:
        """One tick of the fair-value random walk, of pressure decaying, and of halts running out.
        `fair` and `pressure` are new arrays every tick (`pressure` by this or by `record_flow`,
        which every trading tick calls after it), never changed in place: whoever keeps a tick's
        (the tape, to price its rows later) keeps it without a copy."""
        self._ticks += 1
        if self._step_sigma:
            self.fair = self.fair * self._next_steps()
        if self._decaying:  # times 1.0 changes no bit: without decay anywhere, nothing to do
            self.pressure = self.pressure * self._decay
        if self.any_halted:
            self.halt_ticks_left[self.halted] -= 1
            self._reopen(np.flatnonzero(self.halted & (self.halt_ticks_left <= 0)))

    def _next_steps(self) -> np.ndarray:
        """This tick's factor per symbol, exp(sigma * a standard normal draw). The draws are taken
        WALK_BLOCK ticks at a time (one call, not one a tick): a block holds the very numbers that
        drawing tick by tick from the market's stream gives, as nothing else draws from it, and
        each factor is the same element-wise arithmetic on the same draw."""
        if self._shock_i == len(self._shocks):
            self._shocks = np.exp(self._step_sigma * self._rng.standard_normal((WALK_BLOCK, len(self.fair))))
            self._shock_i = 0
        self._shock_i += 1
        return self._shocks[self._shock_i - 1]

    def _check_halts(self, touched: np.ndarray, moved: np.ndarray) -> None:
        """The circuit breaker: a symbol pushed across the limit stops trading for a pause. It
        trips on the crossing, so a symbol that reopens still beyond it trades on."""
        limit = self.spec.halt_at_move_bps
        if limit is None:
            return
        beyond = moved > limit / 1e4
        trip = touched[beyond & ~self._beyond_limit[touched] & ~self.halted[touched]]
        self._beyond_limit[touched] = beyond
        if len(trip):
            self.halted[trip] = True
            self.any_halted = True
            self.halt_ticks_left[trip] = self._halt_ticks
            self.halts.extend((int(i), self._ticks) for i in trip)

    def _reopen(self, syms: np.ndarray) -> None:
        """After the pause the other side of the market comes back: the displacement relaxes
        faster and everyone else trades more."""
        if len(syms) == 0:
            return
        self.halted[syms] = False
        self.any_halted = bool(self.halted.any())
        self._decay[syms] = self._reopen_decay
        self._decaying = self._decaying or self._reopen_decay != 1.0
        self.base_volume[syms] = self._normal_volume[syms] * self.spec.reopen_volume_factor

    def displacement(self, syms, pressure_shares: np.ndarray, fair: np.ndarray | None = None) -> np.ndarray:
        """How far the firm's pressure has pushed the traded price from fair (a signed fraction);
        `fair`: the fair values of another moment (the tape prices a tick after it)."""
        fair = self.fair if fair is None else fair
        if syms is EVERY_SYMBOL:  # the arrays themselves: the same numbers, two calls fewer
            linear = self._impact * pressure_shares * fair / self.adv_usd
        else:
            linear = self._impact * pressure_shares * fair[syms] / self.adv_usd[syms]
        if self._dryup:
            linear = linear * (1.0 + self._dryup * np.abs(linear))
        # np.clip's Python wrapper costs more than the two ufuncs it amounts to (a tick calls this
        # several times on a few dozen symbols).
        return np.minimum(np.maximum(linear, -self._max_disp), self._max_disp)

    def exec_price(
        self, syms: np.ndarray | slice, side: np.ndarray, pressure_shares: np.ndarray, fair: np.ndarray | None = None
    ) -> np.ndarray:
        """The price of the firm's orders in `syms` (an index array, or every symbol as a slice)."""
        fair = self.fair if fair is None else fair
        return fair[syms] * (1.0 + side * self.half_spread + self.displacement(syms, pressure_shares, fair))

    def traded_price(self, syms: np.ndarray) -> np.ndarray:
        return self.fair[syms] * (1.0 + self.displacement(syms, self.pressure[syms]))

    def displacement_through(self, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pressures, displacements) over every symbol, half-way through this tick's flow (row 0:
        what the ledger prices the flow at) and after it (row 1: what `record_flow` makes the
        pressure, and the move it tracks), worked out for both rows in one pass: the same
        element-wise arithmetic as two passes, in half the numpy calls."""
        pressures = np.empty((2, len(flow)))
        np.add(self.pressure, flow / 2, out=pressures[0])
        np.add(self.pressure, flow, out=pressures[1])
        return pressures, self.displacement(EVERY_SYMBOL, pressures)

    def record_flow(self, flow: np.ndarray, through: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """The firm's net flow this tick (shares): it adds pressure and, passed from hand to hand
        by intermediaries, market volume. `through`: `displacement_through(flow)`, asked for just
        before (the pressure after the flow and its displacement are already worked out)."""
        if through is None:
            self.pressure = self.pressure + flow
        else:
            self.pressure = through[0][1]  # a new array this tick, as `walk` promises
        traded = np.abs(flow)
        # Whole shares, exact as floats: without hot potato (a factor of 1.0) added as they are.
        passed = traded * (1.0 + self._hot_potato) if self._hot_potato else traded
        volume = np.add(self.base_volume, passed, out=self.volume[self._vi])
        if self.any_halted:
            volume[self.halted] = 0.0
        self._vi = (self._vi + 1) % VOLUME_WINDOW
        self.session_volume += volume
        self.firm_volume += traded
        if self.spec.halt_at_move_bps is None:
            self._track_moves(None if through is None else through[1][1])
        else:
            self._track_moves_and_halts()

    def _track_moves(self, displaced: np.ndarray | None) -> None:
        """The furthest each price stands from fair, over every symbol at once: a symbol without
        pressure is not displaced (its move is 0), so this is the same as over the pressed ones.
        `displaced`: every symbol's displacement now, when the caller has it already."""
        if displaced is None:
            displaced = self.displacement(EVERY_SYMBOL, self.pressure)
        moved = np.abs(displaced)
        np.maximum(self.max_move, moved, out=self.max_move)
        self.last_max_move = float(np.maximum.reduce(moved))  # moved.max() without its wrapper

    def _track_moves_and_halts(self) -> None:
        touched = np.flatnonzero(self.pressure)
        self.last_max_move = 0.0
        if len(touched):
            moved = np.abs(self.displacement(touched, self.pressure[touched]))
            self.max_move[touched] = np.maximum(self.max_move[touched], moved)
            self.last_max_move = float(moved.max())
            self._check_halts(touched, moved)

    def symbols_impacted(self, min_volume_share: float, min_move: float) -> int:
        """Symbols where the firm traded more than `min_volume_share` of everyone's volume since
        the open and pushed the price more than `min_move` (a fraction) from fair at some point."""
        share = self.firm_volume / np.maximum(self.session_volume, 1.0)
        return int(np.count_nonzero((share > min_volume_share) & (self.max_move > min_move)))

    def volume_last_window(self, syms: np.ndarray) -> np.ndarray:
        """Market volume per tick averaged over the last window (what a participation algo sees)."""
        return self.volume[:, syms].mean(axis=0)
