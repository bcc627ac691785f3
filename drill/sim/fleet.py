"""The router fleet: servers, the release each runs, and what each flag means on that release."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from drill.scenario.behaviours import BY_CODE, code
from drill.scenario.schema import Scenario

# Code paths as small integers (drill/scenario/behaviours.py), so a tick can look them up for every
# parent at once; World._trade says how many lots each sends.
HEALTHY, RUNAWAY, POV = code("route_until_filled"), code("runaway_untracked"), code("pov_unlimited")
RESTING, OVERFILL = code("resting_order"), code("overfill")
FAULTY = np.array([b.faulty for b in BY_CODE])  # indexed by code: does this path send erroneous orders?


# What of a server the fleet's cached masks depend on: setting one of these counts as a change.
_STATE_FIELDS = frozenset({"wanted_running", "outages", "release"})


class Tally:
    """Per server since the start: parents in, children out and fills, as numpy counts a tick adds
    to in one operation; and `version`, a count of changes to anything the fleet's cached masks
    depend on (a server's state, a flag, the connection), so a cache is checked with one compare."""

    def __init__(self, n_servers: int):
        self.version = 0
        self.parents = np.zeros(n_servers, dtype=np.int64)
        # children and fills: the two rows of one block, which a tick adds to in one operation
        self.sent = np.zeros((2, n_servers), dtype=np.int64)
        self.children, self.fills = self.sent
        # Brings `parents` up to date: the world counts arrivals from its book when asked.
        self.count_parents = lambda: None


@dataclass(eq=False)
class Server:
    name: str
    release: int  # index into Fleet.releases
    wanted_running: bool = True
    outages: int = 0  # deploys/restarts in progress: out of service while > 0
    activity: str = ""  # what an outage is doing ("deploying", "restarting")
    index: int = 0  # its place in the fleet
    tally: Tally = field(default_factory=lambda: Tally(1), repr=False)

    def __setattr__(self, name: str, value) -> None:
        object.__setattr__(self, name, value)
        if name in _STATE_FIELDS and "tally" in self.__dict__:
            self.tally.version += 1

    @property
    def parents_in(self) -> int:
        self.tally.count_parents()
        return int(self.tally.parents[self.index])

    @property
    def children_out(self) -> int:
        return int(self.tally.children[self.index])

    @property
    def fills(self) -> int:
        return int(self.tally.fills[self.index])


class _Flags(list):
    """The flags' on/off list: setting one counts as a change of the fleet (Tally.version)."""

    def __init__(self, values, tally: Tally):
        super().__init__(values)
        self.tally = tally

    def __setitem__(self, i, value) -> None:
        super().__setitem__(i, value)
        self.tally.version += 1


def _path_tables(spec: Scenario, flag_names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """path[release, flag + 1] and the customer split (mod_m, mod_r) of every release's flags."""
    shape = (len(spec.releases), len(flag_names) + 1)
    path = np.zeros(shape, dtype=np.int8)
    mod_m = np.zeros(shape, dtype=np.int32)
    mod_r = np.zeros(shape, dtype=np.int32)
    for ri, rel in enumerate(spec.releases):
        for fname, cp in rel.flags.items():
            j = flag_names.index(fname) + 1
            path[ri, j] = code(cp.behaviour)
            if cp.customers_mod:
                mod_m[ri, j], mod_r[ri, j] = cp.customers_mod
    return path, mod_m, mod_r


@dataclass
class Fleet:
    spec: Scenario
    servers: list[Server]
    flag_names: list[str]
    flag_enabled: list[bool]
    connected: bool = True
    release_ids: list[str] = field(default_factory=list)
    # path[release, flag + 1]: the code path a parent takes (column 0: parents with no flag)
    path: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int8))
    # A path may apply to some customers only (id % mod_m == mod_r); mod_m 0: to everyone.
    mod_m: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int32))
    mod_r: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int32))
    flowing_flags: frozenset = frozenset()  # flags some flow sets on its orders
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.tally = Tally(len(self.servers))
        for i, s in enumerate(self.servers):
            s.index, s.tally = i, self.tally
        self.flag_enabled = self.flag_enabled  # now as _Flags, which count a change

    def __setattr__(self, name: str, value) -> None:
        tally = self.__dict__.get("tally")
        if name == "flag_enabled" and tally is not None:
            value = _Flags(value, tally)
        object.__setattr__(self, name, value)
        if name in ("connected", "flag_enabled") and tally is not None:
            tally.version += 1

    @classmethod
    def build(cls, spec: Scenario, missed: list[str]) -> Fleet:
        release_ids = [r.id for r in spec.releases]
        flag_names = list(spec.flags)
        path, mod_m, mod_r = _path_tables(spec, flag_names)
        prev = release_ids.index(spec.fleet.previous_release)
        start = release_ids.index(spec.fleet.current_release) if spec.deploy.initial == "current" else prev
        return cls(
            spec,
            [Server(name, prev if name in missed else start) for name in spec.fleet.servers],
            flag_names,
            [spec.flags[f].enabled for f in flag_names],
            release_ids=release_ids,
            path=path,
            mod_m=mod_m,
            mod_r=mod_r,
            flowing_flags=frozenset(f.flag for f in spec.flows if f.flag),
        )

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.servers]

    @property
    def current(self) -> int:
        return self.release_ids.index(self.spec.fleet.current_release)

    @property
    def previous(self) -> int:
        return self.release_ids.index(self.spec.fleet.previous_release)

    def index(self, name: str) -> int:
        return [s.name for s in self.servers].index(name)

    def in_service(self, s: Server) -> bool:
        return self.connected and s.wanted_running and s.outages == 0

    # The masks below are asked for every tick but change only when an action lands, so they are
    # cached until the fleet's state changes (Tally.version: one compare, not a key to build).
    def _cached(self, name: str, build):
        hit = self._cache.get(name)
        if hit is not None and hit[0] == self.tally.version:
            return hit[1]
        value = build()
        self._cache[name] = (self.tally.version, value)
        return value

    def in_service_mask(self) -> np.ndarray:
        return self._cached("in_service", lambda: np.array([self.in_service(s) for s in self.servers], dtype=np.bool_))

    def release_of(self) -> np.ndarray:
        return self._cached("release_of", lambda: np.array([s.release for s in self.servers], dtype=np.int16))

    def all_in_service(self) -> bool:
        return self._cached("all_in_service", lambda: bool(self.in_service_mask().all()))

    def armed(self) -> bool:
        """Whether any server in service would turn an enabled flag into faulty code."""
        return self._cached("armed_any", lambda: bool(self.armed_mask().any()))

    def armed_mask(self) -> np.ndarray:
        """Per server: in service with a release that turns an enabled flag into runaway code."""
        return self._cached("armed", self._armed_mask)

    def _armed_mask(self) -> np.ndarray:
        # Only flags that order flow keeps setting can turn new orders into faulty ones.
        enabled = (
            np.flatnonzero([on and name in self.flowing_flags for name, on in zip(self.flag_names, self.flag_enabled)])
            + 1
        )
        if len(enabled) == 0:
            return np.zeros(len(self.servers), dtype=np.bool_)
        faulty = FAULTY[self.path[self.release_of()][:, enabled]].any(axis=1)
        return faulty & self.in_service_mask()

    def may_send_faulty(self) -> bool:
        """Whether any server's release has a faulty code path for any flag, or for no flag (in
        service or not): when none has, no routed parent can be on a faulty path."""
        return self._cached("may_send_faulty", lambda: bool(FAULTY[self.path[self.release_of()]].any()))

    def state_label(self, s: Server) -> str:
        if s.outages:
            return s.activity or "restarting"
        if not s.wanted_running:
            return "stopped"
        if not self.connected:
            return "disconnected"
        return "running"

    def release_label(self, ri: int) -> str:
        return self.spec.releases[ri].id

    def code_path_label(self, ri: int, flag: str) -> str:
        cp = self.spec.releases[ri].flags.get(flag)
        return cp.label if cp else "ignored"
