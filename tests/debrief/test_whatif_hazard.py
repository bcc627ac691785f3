"""The containment what-ifs keep servers out of service for the rest of the morning, and parents pile
up on them. `World.hazard()` reads each open parent's code path from what the router keeps between
ticks (it worked every one out again, every tick): here, at every tick of such drills, the kept paths
are held to paths worked out afresh, and hazard() to its old computation on them."""

from __future__ import annotations

import pytest

from drill.scenario import load
from drill.session import Session
from drill.sim import orders as ob
from drill.sim.world import FAULTY
from drill.timefmt import parse_clock

from .conftest import STALE

# (HH:MM:SS, command): moves that take servers out, change flags and bring servers back.
DRILLS = {
    "stop-all, then back": [("09:31:00", "stop-all"), ("09:36:00", f"deploy {STALE}"), ("09:40:00", "start-all")],
    "the stale server out, fixed, back": [("09:30:40", f"stop {STALE}"), ("09:31:30", f"deploy {STALE}"),
                                          ("09:35:30", f"start {STALE}")],
    "the flag off, then on again": [("09:31:00", "disable-flag RLP"), ("09:33:00", "cancel-open"),
                                    ("09:38:00", "enable-flag RLP")],
    "kill switch": [("09:30:30", "kill-switch")],
}
UNTIL = "09:45:00"


def hazard_afresh(w) -> bool:
    """hazard() as it was: every open parent's path worked out now (`World.paths`)."""
    if w.fleet.armed():
        return True
    act, book = w.book.active, w.book
    if not w.fleet.may_send_faulty() and not w._mistyped_live():
        return False
    if not len(act):
        return False
    path = w.paths(act)
    live = w._can_trade(act, path)
    over = (book.qty[act] > book.intended[act]) & (book.account[act] == ob.CUSTOMER)
    return bool((live & (FAULTY[path] | over)).any())


@pytest.mark.parametrize("name", sorted(DRILLS))
def test_hazard_from_kept_paths_is_hazard_worked_out_afresh_at_every_tick(name):
    s = Session(load("knightmare"), "standard", None)
    steps = list(DRILLS[name])
    answers = []
    for t in range(parse_clock("09:29:00"), parse_clock(UNTIL), 1000):
        s.advance_to(t)
        while steps and parse_clock(steps[0][0]) == t:
            s.submit(steps.pop(0)[1])
        w = s.world
        act = w.book.active
        # What hazard() now reads (the paths kept between ticks) is every open parent's path now.
        assert (w._active_paths(act) == w.paths(act)).all(), f"{name}: a kept path is stale at tick {t}"
        answers.append(w.hazard())
        assert answers[-1] == hazard_afresh(w), f"{name}: at tick {t}"
    assert not steps, "every command was given at its time"
    # The drills do move: the hazard is on at some tick and off at another (else nothing was held).
    assert any(answers) and not all(answers), name
