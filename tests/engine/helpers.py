"""Shared helpers for engine tests: run scripts, check the model's invariants."""

from __future__ import annotations

import functools

import numpy as np

from drill.scenario import load
from drill.session import Session
from drill.session.headless import run_script
from drill.session.script import parse_script, read_script
from drill.sim import orders as ob
from drill.sim.ledger import Ledger
from drill.sim.market import Market
from drill.sim.rng import stream
from drill.timefmt import parse_clock


@functools.lru_cache(maxsize=None)
def knightmare():
    return load("knightmare")


def market_and_ledger(seed: int) -> tuple[Market, Ledger]:
    """Knightmare's market from `seed`'s market stream, and a ledger on it: what the tick's book-keeping tests trade against."""
    spec = knightmare().spec
    market = Market(spec.market, stream(seed, "market"), 1000)
    return market, Ledger(market, spec.market.haircut_pct)


def run(text: str = "", difficulty: str | None = None, seed: int | None = None):
    return run_script(knightmare(), difficulty, seed, parse_script(text))


@functools.lru_cache(maxsize=None)
def historical():
    sc = knightmare()
    return run_script(sc, "historical", None, read_script(sc.directory / "historical.actions"))


def session_at(clock: str, difficulty: str | None = None, commands: tuple[tuple[str, str], ...] = ()) -> Session:
    s = Session(knightmare(), difficulty)
    for at, cmd in commands:
        s.advance_to(parse_clock(at))
        s.submit(cmd)
    s.advance_to(parse_clock(clock))
    return s


def check_invariants(world) -> None:
    """Every share accounted for, the ledger reconciled with the fills, nothing negative."""
    book = world.book
    rows = book.rows()
    qty, sent, filled = book.qty[rows], book.sent[rows], book.filled[rows]
    lot = world.spec.market.lot_shares
    assert (qty > 0).all() and (sent >= 0).all() and (filled >= 0).all()
    assert (filled <= sent).all(), "a parent filled more than its children sent"
    assert (sent % lot == 0).all()
    healthy = ~book.runaway[rows]
    assert (filled[healthy] <= qty[healthy]).all(), "correct code filled a parent beyond its quantity"
    # Every share sent is filled or expired unfilled; every filled share belongs to a customer
    # (up to the parent's quantity) or to the firm (beyond it).
    assert world.total_sent_shares == int(sent.sum())
    assert world.total_filled_shares == int(filled.sum())
    customer = np.minimum(filled, qty)
    firm = filled - customer
    assert world.customer_shares == int(customer.sum())
    assert world.firm_shares == int(firm.sum())
    # The ledger's positions are exactly the firm's fills, by symbol and side.
    expected = np.bincount(book.symbol[rows], weights=firm * book.side[rows], minlength=len(world.ledger.position))
    assert np.array_equal(world.ledger.position, expected.astype(np.int64))
    led = world.ledger
    assert np.array_equal(led.position, led.bought - led.sold)
    assert int((led.bought + led.sold).sum()) == world.firm_shares
    # Cash reconciles with the fills: every symbol's average price lies near its fair value.
    traded = (led.bought + led.sold) > 0
    one_way = traded & ((led.bought == 0) | (led.sold == 0))
    if one_way.any():
        vwap = -led.cash[one_way] / led.position[one_way]
        fair = world.market.fair[one_way]
        band = world.spec.market.max_displacement_bps / 1e4 + world.spec.market.half_spread_bps / 1e4 + 0.2
        assert (np.abs(vwap / fair - 1) <= band).all()
    assert world.runaway_shares <= int(filled[book.runaway[rows]].sum())
    # States are consistent with the active index.
    states = book.state[rows]
    active = np.zeros(book.n, dtype=bool)
    active[book.active] = True
    assert ((states == ob.PENDING) | (states == ob.WORKING))[active].all()
    assert ((states == ob.DONE) | (states == ob.CANCELLED))[~active].all()
    assert world.loss_usd >= 0 and world.collateral_usd >= 0
