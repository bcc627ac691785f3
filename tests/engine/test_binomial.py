"""The fills' binomial draws by table (drill/sim/binomial.py, issue 13 part 2) are numpy's own:
the same numbers from the same stream, which is left where numpy leaves it; and a uniform numpy
rejects is skipped as numpy skips it."""

import math

import numpy as np
import pytest

from drill.sim import binomial as bn


@pytest.mark.parametrize("p", [0.05, 0.3, 0.5, 0.675, 0.8, 0.9, 0.999])
def test_draws_are_numpys_draws_from_the_same_stream(p):
    limit = bn._inversion_limit(p)
    for seed in range(12):
        shape = np.random.default_rng(seed)
        ours, numpys = np.random.default_rng(100 + seed), np.random.default_rng(100 + seed)
        table = bn.SmallBinomial(ours, p)
        for size in (1, 7, 300):
            n = shape.integers(1, min(limit, 120) + 1, size=size)
            assert np.array_equal(table.draw(n), numpys.binomial(n, p))
        assert ours.random() == numpys.random()  # the stream advanced as numpy's


@pytest.mark.parametrize(
    "n",
    [np.array([3, 0, 5]), np.array([400]), np.zeros(0, dtype=np.int64), np.array([3, 20, 7], dtype=np.int32)],
    ids=["a zero count", "past inversion", "none", "not int64"],
)
def test_what_the_table_does_not_cover_is_drawn_by_numpy(n):
    ours, numpys = np.random.default_rng(7), np.random.default_rng(7)
    assert np.array_equal(bn.SmallBinomial(ours, 0.675).draw(n), numpys.binomial(n, 0.675))
    assert ours.random() == numpys.random()


def _inversion(n: int, p: float, uniforms) -> int:
    """numpy's inversion for one draw, step by step, over the uniforms given (for p <= 0.5)."""
    q = 1.0 - p
    qn = math.exp(n * math.log(q))
    bound = int(min(n, n * p + 10.0 * math.sqrt(n * p * q + 1)))
    x, px, u = 0, qn, next(uniforms)
    while u > px:
        x += 1
        if x > bound:
            x, px, u = 0, qn, next(uniforms)
        else:
            u -= px
            px = ((n - x + 1) * p * px) / (x * q)
    return x


class _Uniforms:
    """A generator stand-in that hands out given uniforms, in order."""

    def __init__(self, values):
        self.values = list(values)

    def random(self, size=None):
        if size is None:
            return self.values.pop(0)
        out, self.values = np.array(self.values[:size]), self.values[size:]
        return out


def test_a_rejected_uniform_is_skipped_as_numpy_skips_it():
    p, n = 0.3, np.array([6, 6, 2, 6], dtype=np.int64)
    keys, _ = bn._row(6, p)
    top = keys[-2] - (6 << 54)  # the largest uniform numpy accepts for six trials
    assert top < (1 << 53) - 1, "six trials at 0.3 must leave some uniform to reject"
    rejected = math.ldexp(top + 1, -53)
    uniforms = [0.2, rejected, 0.9, 0.4, 0.7, 0.1]
    drawn = bn.SmallBinomial(_Uniforms(uniforms), p).draw(n)
    stream = iter(uniforms)
    assert drawn.tolist() == [_inversion(int(k), p, stream) for k in n]
    assert _inversion(6, p, iter([rejected, 0.9])) == _inversion(6, p, iter([0.9]))  # it drew again


@pytest.mark.parametrize("p", [0.05, 0.3, 0.5])
def test_each_key_is_the_last_uniform_of_its_draw(p):
    """Bit for bit at the edges, where random uniforms almost never land: the key's uniform
    draws its value, and the uniform just above it draws the next (or is rejected)."""
    for n in (1, 2, 5, 13, 20, 40):
        keys, values = bn._row(n, p)
        for i, (key, value) in enumerate(zip(keys[:-1], values[:-1])):
            if i and key == keys[i - 1]:
                continue  # no uniform left for it (the draw before takes them all): never drawn
            last = key - (n << 54)
            assert _inversion(n, p, iter([math.ldexp(last, -53)])) == value
            if last + 1 < (1 << 53):
                try:
                    above = _inversion(n, p, iter([math.ldexp(last + 1, -53)]))
                except StopIteration:  # rejected: numpy would draw again
                    continue
                assert above > value
