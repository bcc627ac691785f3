"""What the tick's cheaper arrays promise (issue 13, part 2): the active ids a tick holds never
change under it, the firm's bought and sold follow from its net and its gross, the walk drawn in
blocks gives the very prices a draw per tick gives, and a tick's prices stay as they were."""

import numpy as np

from drill.sim import orders as ob
from drill.sim.ledger import Ledger
from drill.sim.market import Market
from drill.sim.rng import stream
from tests.engine.helpers import knightmare, market_and_ledger, session_at


def _add(book, n, at=0):
    one = np.ones(n, dtype=np.int64)
    return book.add(at, one * 0, one * 2, one, ob.NO_FLAG, one * 100, ob.WORKING)


def test_active_ids_once_given_never_change_while_parents_arrive_and_close():
    book = ob.ParentBook(capacity=4)
    _add(book, 3)
    held = book.active
    copy = held.copy()
    for _ in range(300):  # past several doublings of the room kept for arrivals
        _add(book, 2)
    assert np.array_equal(held, copy)
    after_adds = book.active
    book.close(np.array([1, 4, 7]), ob.DONE)
    assert np.array_equal(held, copy)
    assert len(after_adds) == 603 and not np.isin([1, 4, 7], book.active).any()
    ids = _add(book, 5)
    assert np.array_equal(book.active[-5:], ids) and len(book.active) == 605
    assert np.array_equal(book.active, np.flatnonzero(book.state[: book.n] <= ob.WORKING))


def test_a_book_of_customers_orders_as_meant_is_plain_until_one_is_not():
    book = ob.ParentBook()
    _add(book, 4)
    assert book.plain
    one = np.ones(1, dtype=np.int64)
    book.add(0, one * 0, one, one, ob.NO_FLAG, one * 100, ob.WORKING, intended=one * 100)
    assert book.plain  # an intended quantity equal to the order's is as meant
    book.add(0, one * 0, one, one, ob.NO_FLAG, one * 100, ob.WORKING, intended=one)
    assert not book.plain
    firm = ob.ParentBook()
    firm.add(0, one * 0, one, one, ob.NO_FLAG, one * 100, ob.WORKING, account=ob.FIRM)
    assert not firm.plain


def test_bought_and_sold_are_what_each_tick_bought_and_sold():
    market, ledger = market_and_ledger(7)
    rng = np.random.default_rng(3)
    n = len(market.fair)
    bought, sold = np.zeros(n, np.int64), np.zeros(n, np.int64)
    for _ in range(50):
        flow = np.where(rng.random(n) < 0.2, rng.integers(-900, 900, n), 0)
        market.walk()
        ledger.book(flow)
        market.record_flow(flow)
        bought += np.maximum(flow, 0)
        sold += np.maximum(-flow, 0)
    assert np.array_equal(ledger.bought, bought) and np.array_equal(ledger.sold, sold)
    assert np.array_equal(ledger.touched, (bought + sold) > 0)
    assert ledger.bought.dtype == ledger.sold.dtype == np.int64
    assert np.isfinite(ledger.cash).all() and (ledger.cash[~ledger.touched] == 0).all()


def test_the_walk_in_blocks_gives_the_prices_of_a_draw_per_tick():
    spec = knightmare().spec
    market = Market(spec.market, stream(11, "market"), 1000)
    rng = stream(11, "market")
    Market(spec.market, rng, 1000)  # the same stream, drawn as far as a new market draws it
    fair = market.fair.copy()
    sigma = spec.market.volatility_bps_per_min / 1e4 * np.sqrt(1000 / 60_000)
    for _ in range(600):  # more than two blocks
        market.walk()
        fair *= np.exp(sigma * rng.standard_normal(len(fair)))
    assert np.array_equal(market.fair, fair)


def test_a_ticks_prices_are_never_changed_by_the_next_tick():
    world = session_at("09:40:00").world
    fair, pressure = world.market.fair, world.market.pressure
    kept = fair.copy(), pressure.copy()
    world.run_until(world.now + 5_000)
    assert world.market.fair is not fair and world.market.pressure is not pressure
    assert np.array_equal(fair, kept[0]) and np.array_equal(pressure, kept[1])
    assert not np.array_equal(world.market.fair, kept[0])  # the walk did move on


def test_the_flow_priced_and_tracked_in_one_pass_is_what_two_passes_give():
    spec = knightmare().spec
    one = Market(spec.market, stream(5, "market"), 1000)
    two = Market(spec.market, stream(5, "market"), 1000)
    fused, apart = Ledger(one, spec.market.haircut_pct), Ledger(two, spec.market.haircut_pct)
    rng = np.random.default_rng(9)
    n = len(one.fair)
    for _ in range(40):
        flow = np.where(rng.random(n) < 0.3, rng.integers(-5000, 5000, n), 0)
        one.walk()
        two.walk()
        through = one.displacement_through(flow)
        fused.book(flow, through[1][0])
        one.record_flow(flow, through)
        apart.book(flow)
        two.record_flow(flow)
        assert one.pressure.tobytes() == two.pressure.tobytes()
        assert one.max_move.tobytes() == two.max_move.tobytes() and one.last_max_move == two.last_max_move
        assert fused.cash.tobytes() == apart.cash.tobytes() and np.array_equal(fused.position, apart.position)
    assert one.max_move.any() and fused.cash.any()  # the flow moved prices and cost money


def test_closing_among_all_active_ids_is_closing_them_one_way_or_the_other():
    fast, slow = ob.ParentBook(capacity=8), ob.ParentBook(capacity=8)
    for book in (fast, slow):
        _add(book, 20)
    done = np.zeros(20, bool)
    done[[0, 3, 4, 19]] = True
    fast.close_done(fast.active, done, ob.DONE)  # the whole active array: no look at the states
    slow.close(slow.active[done], ob.DONE)
    assert np.array_equal(fast.active, slow.active) and np.array_equal(fast.state, slow.state)
    part = fast.active[2:9]  # not the whole active array: closed the usual way
    fast.close_done(part, np.ones(7, bool), ob.CANCELLED)
    assert len(fast.active) == 9 and not np.isin(part, fast.active).any()


def test_parents_in_over_the_window_are_the_parents_that_arrived_in_its_ticks():
    world = session_at("09:31:00").world  # the ticks up to 09:30:59 have run, not 09:31:00's
    rates, book = world.rates, world.book
    last_tick = world.now - 1000
    rows = book.rows()
    arrived = book.arrived[rows]
    in_window = (arrived > last_tick - 10_000) & (arrived <= last_tick)  # flows come before the tick
    expected = np.bincount(book.server[rows][in_window], minlength=len(world.fleet.servers))
    assert np.array_equal(rates.window_sums()["parents"], expected) and expected.sum() > 0
    per_tick = rates.parents
    assert np.array_equal(per_tick.sum(axis=0), expected)
    newest = per_tick[(rates._i - 1) % len(per_tick)]
    assert np.array_equal(newest, np.bincount(book.server[rows][arrived == last_tick], minlength=len(expected)))
