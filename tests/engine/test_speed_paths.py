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
    for script in ((), (("09:20:05", "deploy smars-8"),), (("09:32:00", "stop smars-8"),),
                   (("09:31:00", "rollback"),)):
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
