"""What a world's build draws (issue 13, part 2): the made-up tickers are what `rng.choice` with
its odds and its letters would draw, from the same stream, which is left where choice leaves it."""

import string

import numpy as np

from drill.sim.market import TICKER_LENGTH_ODDS, TICKER_LENGTHS, tickers


def _by_choice(n: int, rng: np.random.Generator) -> list[str]:
    letters = np.array(list(string.ascii_uppercase))
    out: list[str] = []
    while len(out) < n:
        t = "".join(rng.choice(letters, size=int(rng.choice(TICKER_LENGTHS, p=TICKER_LENGTH_ODDS))))
        if t not in out:
            out.append(t)
    return out


def test_tickers_are_the_draws_choice_makes():
    for seed in range(40):
        ours, choices = np.random.default_rng(seed), np.random.default_rng(seed)
        n = 1 + 17 * seed
        assert tickers(n, ours) == _by_choice(n, choices)
        # the stream is where choice leaves it, its buffered half-words too
        assert ours.integers(0, 26) == choices.integers(0, 26) and ours.random() == choices.random()
