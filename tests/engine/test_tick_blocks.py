"""Arrays a tick writes or sums together (issue 13, part 2): the loss's three sums taken in one
call are the three sums taken one by one, to the bit; a book's booked and meant quantities stay
the two rows of one block as the book grows; a tick's children and fills per server are the
fleet's totals' two rows."""

import numpy as np

from drill.sim import orders as ob
from drill.sim.fleet import Tally
from drill.sim.ledger import Ledger
from tests.engine.helpers import market_and_ledger


def _loss_summed_one_by_one(ledger: Ledger) -> float:
    inv = ledger.position * ledger.market.fair
    value = float(np.add.reduce(ledger.cash) + np.add.reduce(inv) - ledger.haircut * np.add.reduce(np.abs(inv)))
    return max(0.0, -value)


def test_the_loss_summed_in_one_call_is_the_loss_summed_row_by_row():
    market, ledger = market_and_ledger(11)
    rng = np.random.default_rng(4)
    n = len(market.fair)
    losses = []
    for _ in range(60):
        flow = np.where(rng.random(n) < 0.25, rng.integers(-7000, 7000, n), 0)
        market.walk()
        through = market.displacement_through(flow)
        ledger.book(flow, through[1][0])
        market.record_flow(flow, through)
        loss = ledger.loss_usd()
        assert loss.hex() == _loss_summed_one_by_one(ledger).hex()
        assert ledger.inventory_abs_usd == float(np.abs(ledger.inventory_usd()).sum())
        losses.append(loss)
    assert max(losses) > 0  # the flow lost money somewhere: the comparison saw real figures


def test_booked_and_meant_quantities_stay_one_block_as_the_book_grows():
    book = ob.ParentBook(capacity=2)
    one = np.ones(3, dtype=np.int64)
    for i in range(40):  # several doublings of the room
        meant = None if i % 3 else one * 50
        book.add(i, one * 0, one, one, ob.NO_FLAG, one * (100 + i), ob.WORKING, intended=meant)
    rows = book.rows()
    assert book.qty.base is not None and book.qty.base is book.intended.base is book.sent.base  # one block
    assert book._cols["qty"] is book.qty and book._cols["intended"] is book.intended
    expected_qty = np.repeat(100 + np.arange(40), 3)
    expected_meant = np.where(np.repeat(np.arange(40) % 3, 3) == 0, 50, expected_qty)
    assert np.array_equal(book.qty[rows], expected_qty)
    assert np.array_equal(book.intended[rows], expected_meant)
    assert book.qty.dtype == book.intended.dtype == np.int64 and not book.plain


def test_children_and_fills_added_as_one_block_are_the_fleets_totals():
    tally = Tally(3)
    tally.sent += np.array([[1, 2, 3], [0, 1, 1]])
    tally.sent += np.array([[4, 0, 0], [2, 0, 0]])
    assert tally.children.tolist() == [5, 2, 3] and tally.fills.tolist() == [2, 1, 1]
