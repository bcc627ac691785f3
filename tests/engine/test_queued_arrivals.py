"""Arrivals queued for the opening auction (issue 13, part 2): a flow's arrivals before the open
are noted and written only when the book is next read. Whoever reads it, however many arrived
and from however many sources, reads the rows and active ids `add` would have booked."""

import numpy as np
import pytest

from drill.sim import orders as ob


def _source(rng: np.random.Generator, size: int, account: int) -> ob.Drawn:
    return ob.Drawn(
        server=rng.integers(0, 8, size),
        symbol=rng.integers(0, 300, size),
        side=np.where(rng.random(size) < 0.5, 1, -1).astype(np.int8),
        qty=rng.integers(1, 10, size) * 100,
        customer=rng.integers(0, 50, size),
        account=account,
    )


def _arrivals(seed: int, n: int, open_after: int):
    """(at, source, start, stop, flag, state) of n arrivals from three sources (one routed anew
    half-way, one the firm's), PENDING until `open_after` arrivals, WORKING after."""
    rng = np.random.default_rng(seed)
    sources = [_source(rng, 4 * n, ob.CUSTOMER), _source(rng, 4 * n, ob.FIRM)]
    rerouted = _source(rng, 4 * n, ob.CUSTOMER)
    done = [0, 0]
    for i in range(n):
        k = int(rng.integers(0, 2))
        count = int(rng.integers(1, 4))
        start, done[k] = done[k], done[k] + count
        if k == 0 and i > n // 2:
            sources[0] = ob.Drawn(rerouted.server, *sources[0][1:])
        if rng.random() < 0.1:
            continue  # nobody to take them: their draws are skipped
        state = ob.PENDING if i < open_after else ob.WORKING
        yield 1000 * i, sources[k], start, done[k], int(rng.integers(-1, 2)), state


def _added(arrivals) -> ob.ParentBook:
    """The book as `add` books each arrival as it comes."""
    book = ob.ParentBook(capacity=16)
    for at, src, start, stop, flag, state in arrivals:
        picked = slice(start, stop)
        book.add(
            at, src.server[picked], src.symbol[picked], src.side[picked], flag, src.qty[picked], state,
            customer=src.customer[picked], account=src.account,
        )  # fmt: skip
    return book


def _same_book(a: ob.ParentBook, b: ob.ParentBook) -> None:
    assert a.n == b.n and a.plain == b.plain
    rows = a.rows()
    for name in sorted(a._cols):
        assert a._cols[name].dtype == b._cols[name].dtype, name
        assert np.array_equal(a._cols[name][rows], b._cols[name][rows]), name
    assert np.array_equal(a.active, b.active)


@pytest.mark.parametrize("n, read_every", [(3, 0), (400, 0), (400, 1), (400, 7), (400, 150)])
def test_queued_arrivals_read_anywhere_are_the_rows_add_books(n, read_every):
    arrivals = list(_arrivals(n + read_every, n, open_after=3 * n // 4))
    queued = ob.ParentBook(capacity=16)
    for i, (at, src, start, stop, flag, state) in enumerate(arrivals):
        queued.arrive(at, src, start, stop, flag, state)
        if read_every and i % read_every == 0:
            assert queued.state[queued.n - 1] == state  # whoever reads first reads every row
    _same_book(queued, _added(arrivals))


def test_a_queue_is_booked_before_an_order_added_after_it():
    arrivals = list(_arrivals(5, 50, open_after=50))
    queued = ob.ParentBook(capacity=16)
    for at, src, start, stop, flag, state in arrivals:
        queued.arrive(at, src, start, stop, flag, state)
    one = np.ones(1, dtype=np.int64)
    ids = queued.add(99_000, one, one, one, ob.NO_FLAG, one * 500, ob.WORKING, intended=one * 100)
    reference = _added(arrivals)
    reference.add(99_000, one, one, one, ob.NO_FLAG, one * 500, ob.WORKING, intended=one * 100)
    assert ids.tolist() == [queued.n - 1]
    _same_book(queued, reference)


def test_active_ids_given_before_a_queue_never_change():
    book = ob.ParentBook(capacity=4)
    one = np.ones(2, dtype=np.int64)
    book.add(0, one, one, one, ob.NO_FLAG, one * 100, ob.WORKING)
    given = book.active
    kept = given.copy()
    src = _source(np.random.default_rng(1), 200, ob.CUSTOMER)
    for i in range(50):
        book.arrive(1000 * i, src, 4 * i, 4 * i + 4, ob.NO_FLAG, ob.PENDING)
    assert np.array_equal(given, kept)
    assert book.active.tolist() == list(range(book.n))
