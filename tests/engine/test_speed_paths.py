"""The engine's shortcuts (a tape kept as arrays, hazard skipping the parents when no release can
run faulty code, routing rebuilt only when the fleet changes) show the same drill as the long way."""

import numpy as np

from drill.session import Session
from drill.sim import orders as ob
from drill.sim.fleet import FAULTY
from drill.timefmt import parse_clock
from tests.engine.helpers import knightmare


def at_0935(difficulty="standard", script=()):
    s = Session(knightmare(), difficulty)
    for at, command in script:
        s.advance_to(parse_clock(at))
        s.submit(command)
    s.advance_to(parse_clock("09:35:00"))
    return s


def test_tape_rows_are_the_newest_of_the_last_few_hundred_in_order():
    tape = at_0935().world.tape
    full = tape.rows(400)
    assert len(full) == 400
    assert [e.at for e in full] == sorted(e.at for e in full)
    assert tape.rows(7) == full[-7:]
    assert tape.rows(0) == full  # a list's [-0:] is all of it: what the tape always returned
    assert tape.rows(10_000) == full
    assert all(e.side in ("BUY", "SELL") and e.status in ("filled", "expired") for e in full)


def hazard_the_long_way(world) -> bool:
    """hazard() without its shortcut: every live parent's path looked at."""
    if world.fleet.armed_mask().any():
        return True
    act = world.book.active
    if len(act) == 0:
        return False
    path = world.paths(act)
    live = world._can_trade(act, path)
    over = (world.book.qty[act] > world.book.intended[act]) & (world.book.account[act] == ob.CUSTOMER)
    return bool((live & (FAULTY[path] | over)).any())


def test_hazard_shortcut_agrees_with_every_parent_checked():
    for script in ((), (("09:20:05", "deploy smars-8"),), (("09:32:00", "stop smars-8"),), (("09:31:00", "rollback"),)):
        world = at_0935(script=script).world
        assert world.hazard() == hazard_the_long_way(world), script


def test_routing_follows_the_fleet_when_a_server_stops():
    s = at_0935(script=(("09:32:00", "stop smars-3"),))
    world = s.world
    book = world.book
    stopped = world.fleet.index("smars-3")
    arrived_after = book.arrived[: book.n] > parse_clock("09:32:30")
    assert arrived_after.any()
    assert not np.any(book.server[: book.n][arrived_after] == stopped)


def test_tape_sampled_when_shown_gives_the_rows_of_a_tape_sampled_every_tick(monkeypatch):
    """The tape samples a tick only when rows are asked for (or too much is unsampled); asking
    every tick, asking once, and flushing often must all show the very same rows."""
    from drill.sim import telemetry

    def tape_at_0935(read_every_tick: bool):
        s = Session(knightmare(), "standard")
        s.advance_to(parse_clock("09:30:00"))
        while s.now < parse_clock("09:35:00"):
            s.advance(1000)
            if read_every_tick:
                s.world.tape.rows(5)
        return s.world.tape.rows(400)

    once = tape_at_0935(False)
    assert len(once) == 400
    assert tape_at_0935(True) == once
    monkeypatch.setattr(telemetry, "TAPE_PENDING_MAX", 50)  # sampled every tick or two
    assert tape_at_0935(False) == once


def test_fleet_masks_follow_every_change_of_state():
    """The fleet's masks are cached on a count of changes: every way an action changes a server,
    a flag or the connection must show at once, as masks built afresh would."""
    world = at_0935().world
    fleet = world.fleet

    def fresh():
        return [fleet.in_service(s) for s in fleet.servers], bool(fleet._armed_mask().any())

    def cached():
        return fleet.in_service_mask().tolist(), fleet.armed()

    assert cached() == fresh()
    s = fleet.servers[fleet.index(world.missed[0])]
    for change in (
        lambda: setattr(s, "wanted_running", False),
        lambda: setattr(s, "wanted_running", True),
        lambda: setattr(s, "outages", s.outages + 1),
        lambda: setattr(s, "outages", s.outages - 1),
        lambda: setattr(s, "release", fleet.current),
        lambda: setattr(s, "release", fleet.previous),
        lambda: fleet.flag_enabled.__setitem__(0, not fleet.flag_enabled[0]),
        lambda: setattr(fleet, "connected", False),
        lambda: setattr(fleet, "connected", True),
    ):
        before = fleet.tally.version
        change()
        assert fleet.tally.version > before
        assert cached() == fresh()


def test_server_totals_count_every_parent_booked_and_sent():
    world = at_0935().world
    book = world.book
    rows = book.rows()
    per_server = np.bincount(book.server[rows], minlength=len(world.fleet.servers))
    assert [s.parents_in for s in world.fleet.servers] == per_server.tolist()
    sent = np.bincount(book.server[rows], weights=book.sent[rows], minlength=len(world.fleet.servers))
    lot = world.spec.market.lot_shares
    assert [s.children_out * lot for s in world.fleet.servers] == sent.astype(np.int64).tolist()
    # The rates' parents are those of the last ten ticks, by when each arrived: the world stands
    # at 09:35:00 before its events then, so its last tick was at 09:34:59.
    window = world.rates.window_sums()["parents"]
    recent = book.arrived[rows] > world.now - 11 * 1000
    assert window.tolist() == np.bincount(book.server[rows][recent], minlength=len(world.fleet.servers)).tolist()


def test_walk_drawn_in_blocks_is_the_walk_drawn_tick_by_tick():
    from drill.sim.market import WALK_BLOCK, Market
    from drill.sim.rng import stream

    spec = knightmare().spec.market
    blocks = Market(spec, stream(7, "market"), 1000)
    by_tick = Market(spec, stream(7, "market"), 1000)
    for _ in range(WALK_BLOCK + 3):
        blocks.walk()
        by_tick.fair *= np.exp(by_tick._step_sigma * by_tick._rng.standard_normal(len(by_tick.fair)))
    assert np.array_equal(blocks.fair, by_tick.fair)


def test_a_hidden_tape_changes_nothing_else():
    """Re-simulations hide the tape (drill.debrief.sim): the drill must be the same without it."""
    shown, hidden = Session(knightmare(), "standard"), Session(knightmare(), "standard")
    hidden.world.tape.hide()
    for s in (shown, hidden):
        s.advance_to(parse_clock("09:35:00"))
    assert hidden.world.tape.rows(400) == [] and len(shown.world.tape.rows(400)) == 400
    assert hidden.outcome() == shown.outcome()
    assert np.array_equal(hidden.world.ledger.cash, shown.world.ledger.cash)
    assert np.array_equal(hidden.world.book.filled, shown.world.book.filled)
