"""The draws numpy's `Generator.binomial(n, p)` gives for an array of small trial counts, in a
few calls instead of a loop per element: the fills of a tick's child orders (World._trade).

For n * min(p, 1 - p) <= 30, numpy draws each element by inversion: one uniform U (the very
doubles `Generator.random` gives), then X = 0, 1, ... while U, less each probability in turn,
stays above the next (a rejected U, past a bound, starts again with the next uniform). Each step
is monotone in U, so for each n the outcome is a step function of U: X is the number of
thresholds below U. The thresholds are worked out once per (n, p), backwards through the same
floating-point steps (so each is exact to the bit), and a tick's draws become one uniform each and
one sorted lookup. Anything else (a zero count, a count past the inversion's range, p of 0 or 1)
is left to numpy itself, so every draw is numpy's, and the stream advances exactly as numpy's.
"""

from __future__ import annotations

import math

import numpy as np

GRID_BITS = 53  # numpy's uniforms are multiples of 2**-53 in [0, 1)
_ROW_BITS = 54  # a key is n << 54 plus the uniform as an integer: rows never overlap
_INVERSION_LIMIT = 30.0  # numpy draws by inversion while n * min(p, 1 - p) is at most this
_MAX_N = (1 << (63 - _ROW_BITS)) - 1  # the largest n whose key fits in an int64
REJECTED = -1  # a uniform numpy rejects (the draw past its bound): it draws another
_ROWS: dict[tuple[float, int], tuple[list[int], list[int]]] = {}  # (p, n) -> (keys, values), kept


def _largest_before(v: float, c: float) -> float:
    """The largest double a with a - c <= v (as floats: subtraction is monotone in a)."""
    a = v + c
    while math.nextafter(a, math.inf) - c <= v:
        a = math.nextafter(a, math.inf)
    while a - c > v:
        a = math.nextafter(a, -math.inf)
    return a


def _probabilities(n: int, p: float) -> list[float]:
    """What numpy's inversion compares U with at each step up to its bound, worked out with its
    own set-up and recurrence, in its order of operations (p <= 0.5)."""
    q = 1.0 - p
    px = [math.exp(n * math.log(q))]
    np_ = n * p
    bound = int(min(n, np_ + 10.0 * math.sqrt(np_ * q + 1)))
    for x in range(1, bound + 1):
        px.append(((n - x + 1) * p * px[-1]) / (x * q))
    return px


def _row(n: int, p: float) -> tuple[list[int], list[int]]:
    """(keys, values) of n trials at p: for x = 0 .. bound, the largest uniform (as an integer
    on the 2**-53 grid) that gives x, and the draw it gives (x, or n - x where numpy inverts
    1 - p); then an end key whose value says the uniform is rejected."""
    flip = p > 0.5
    px = _probabilities(n, 1.0 - p if flip else p)
    keys = []
    for x in range(len(px)):
        v = px[x]  # U, after x steps, may be at most this to stop at x
        for j in range(x - 1, -1, -1):
            v = _largest_before(v, px[j])
        keys.append(min(math.floor(math.ldexp(v, GRID_BITS)), (1 << GRID_BITS) - 1))
    values = [n - x if flip else x for x in range(len(px))]
    base = n << _ROW_BITS
    return [*(base + k for k in keys), base + (1 << GRID_BITS)], [*values, REJECTED]


def _inversion_limit(p: float) -> int:
    """The largest n (up to _MAX_N) numpy draws by inversion at p: its own test, p * n <= 30
    (or (1 - p) * n), as floats."""
    pp = 1.0 - p if p > 0.5 else p
    n = min(int(_INVERSION_LIMIT / pp) + 1, _MAX_N)
    while pp * n > _INVERSION_LIMIT:
        n -= 1
    return n


def _cached_row(n: int, p: float) -> tuple[list[int], list[int]]:
    row = _ROWS.get((p, n))
    if row is None:
        row = _ROWS[(p, n)] = _row(n, p)
    return row


class SmallBinomial:
    """Binomial draws at one p from one generator, as `rng.binomial(n, p)` gives them."""

    def __init__(self, rng: np.random.Generator, p: float):
        self._rng = rng
        self._p = p
        self._usable = 0.0 < p < 1.0
        self._limit = _inversion_limit(p) if self._usable else 0  # the largest n drawn here
        self._rows = 0  # rows of the table built: n = 1 .. _rows
        self._keys = np.zeros(0, dtype=np.int64)
        self._values = np.zeros(0, dtype=np.int64)

    def draw(self, n: np.ndarray) -> np.ndarray:
        """`rng.binomial(n, p)`, for an array n (drawn here when it is of int64, the keys' type)."""
        if len(n) == 0 or not self._usable or n.dtype != np.int64:
            return self._rng.binomial(n, self._p)
        lo, hi = int(np.minimum.reduce(n)), int(np.maximum.reduce(n))
        if lo < 1 or hi > self._limit:
            return self._rng.binomial(n, self._p)  # no uniform for a zero count; or past inversion
        if hi > self._rows:
            self._build(hi)
        u = self._rng.random(len(n))
        drawn = self._values.take(self._keys.searchsorted((n << _ROW_BITS) + (u * (1 << GRID_BITS)).astype(np.int64)))
        if np.minimum.reduce(drawn) == REJECTED:
            self._draw_again(n, drawn, u)
        return drawn

    def _build(self, upto: int) -> None:
        """The table for n = 1 .. upto, rows in order of n (so keys are sorted)."""
        keys: list[int] = []
        values: list[int] = []
        for n in range(1, upto + 1):
            row_keys, row_values = _cached_row(n, self._p)
            keys += row_keys
            values += row_values
        self._keys = np.array(keys, dtype=np.int64)
        self._values = np.array(values, dtype=np.int64)
        self._rows = upto

    def _lookup(self, n: int, u: float) -> int:
        key = (n << _ROW_BITS) + int(u * (1 << GRID_BITS))
        return int(self._values[np.searchsorted(self._keys, key)])

    def _draw_again(self, n: np.ndarray, drawn: np.ndarray, u: np.ndarray) -> None:
        """From the first rejected uniform on, as numpy goes: that element takes the next
        uniform, and every later one the uniform after, as many as it takes."""
        first = int(np.flatnonzero(drawn == REJECTED)[0])
        spare = list(u[first + 1 :])
        spare.reverse()  # popped from the end: the next uniform last
        for i in range(first, len(n)):
            x = REJECTED
            while x == REJECTED:
                x = self._lookup(int(n[i]), spare.pop() if spare else float(self._rng.random()))
            drawn[i] = x
