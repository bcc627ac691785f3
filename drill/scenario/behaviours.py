"""The engine's code paths, one table: what a release may map a flag to.

Scenario files name a behaviour and never carry Python. Everything that needs to know about a
behaviour reads it here: schema validation (is the name known), the fleet (the small integer a
tick looks a parent's path up by, and whether it is a fault), the work bound (how long a parent
on it can stay live) and the debrief's plans (which flags are faulty). How many lots a path sends
each tick is the one thing that lives in the engine, in `World._trade`, keyed by `code`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# How long a parent on this path can stay live, for the work bound (Scenario._work_bounds):
# until its quantity has filled, until it has filled behaviours.overfill_factor times that, or
# until the scenario ends (it never looks at fills, or rests at the exchange).
Lifetime = Literal["until_filled", "until_overfilled", "until_end"]


@dataclass(frozen=True)
class Behaviour:
    name: str
    code: int  # the path's number in the fleet's lookup table: 0, 1, 2... in the table's order
    summary: str  # one line for authors (docs/scenarios.md lists every name)
    faulty: bool  # its children are erroneous, and a server that runs it for an enabled flag is armed
    lives: Lifetime
    parameters: tuple[str, ...] = ()  # the [behaviours] fields it reads


_TABLE = (
    Behaviour(
        "route_until_filled",
        0,
        "sends child orders until the parent is filled, then stops (healthy)",
        faulty=False,
        lives="until_filled",
        parameters=("route_child_lots_per_s",),
    ),
    Behaviour(
        "runaway_untracked",
        1,
        "sends child orders without counting fills: never stops on its own (fault)",
        faulty=True,
        lives="until_end",
        parameters=("runaway_child_lots_per_s",),
    ),
    Behaviour(
        "pov_unlimited",
        2,
        "sells a share of the last minute's market volume with no price or time limit (fault)",
        faulty=True,
        lives="until_end",
        parameters=("pov_participation",),
    ),
    Behaviour(
        "resting_order",
        3,
        "rests at the exchange and fills as buyers arrive, whatever the firm's servers do",
        faulty=False,
        lives="until_end",
        parameters=("resting_absorb_lots_per_s", "resting_absorb_growth_per_min", "cancel_on_disconnect"),
    ),
    Behaviour(
        "overfill",
        4,
        "counts fills wrong: keeps sending until behaviours.overfill_factor times the quantity (fault)",
        faulty=True,
        lives="until_overfilled",
        parameters=("overfill_factor", "route_child_lots_per_s"),
    ),
)

BEHAVIOURS: dict[str, Behaviour] = {b.name: b for b in _TABLE}
BY_CODE: tuple[Behaviour, ...] = tuple(sorted(_TABLE, key=lambda b: b.code))
FAULTY_BEHAVIOURS = frozenset(b.name for b in _TABLE if b.faulty)
# Paths on which a parent may stay live until the scenario ends, whatever it fills.
UNENDING_BEHAVIOURS = frozenset(b.name for b in _TABLE if b.lives == "until_end")


def code(name: str) -> int:
    return BEHAVIOURS[name].code
