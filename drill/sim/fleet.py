"""The router fleet: servers, the release each runs, and what each flag means on that release."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np

from drill.scenario.behaviours import BY_CODE, code
from drill.scenario.schema import Scenario

# Code paths as small integers (drill/scenario/behaviours.py), so a tick can look them up for every
# parent at once; World._trade says how many lots each sends.
HEALTHY, RUNAWAY, POV = code("route_until_filled"), code("runaway_untracked"), code("pov_unlimited")
RESTING, OVERFILL = code("resting_order"), code("overfill")
FAULTY = np.array([b.faulty for b in BY_CODE])  # indexed by code: does this path send erroneous orders?


@dataclass
class Server:
    name: str
    release: int  # index into Fleet.releases
    wanted_running: bool = True
    outages: int = 0  # deploys/restarts in progress: out of service while > 0
    parents_in: int = 0
    children_out: int = 0
    fills: int = 0
    activity: str = ""  # what an outage is doing ("deploying", "restarting")


# What of a server the cached masks depend on (attrgetter: the key is built many times a tick).
_SERVER_STATE = attrgetter("wanted_running", "outages", "release")


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

    @classmethod
    def build(cls, spec: Scenario, missed: list[str]) -> Fleet:
        release_ids = [r.id for r in spec.releases]
        flag_names = list(spec.flags)
        shape = (len(release_ids), len(flag_names) + 1)
        path = np.zeros(shape, dtype=np.int8)
        mod_m = np.zeros(shape, dtype=np.int32)
        mod_r = np.zeros(shape, dtype=np.int32)
        for ri, rel in enumerate(spec.releases):
            for fname, cp in rel.flags.items():
                j = flag_names.index(fname) + 1
                path[ri, j] = code(cp.behaviour)
                if cp.customers_mod:
                    mod_m[ri, j], mod_r[ri, j] = cp.customers_mod
        cur = release_ids.index(spec.fleet.current_release)
        prev = release_ids.index(spec.fleet.previous_release)
        start = cur if spec.deploy.initial == "current" else prev
        servers = [Server(name, prev if name in missed else start) for name in spec.fleet.servers]
        return cls(
            spec,
            servers,
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
    # cached on a key of everything they depend on (cheaper to build than the masks themselves).
    def _key(self) -> tuple:
        return (self.connected, tuple(self.flag_enabled), tuple(map(_SERVER_STATE, self.servers)))

    def _cached(self, name: str, build):
        key = self._key()
        hit = self._cache.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        value = build()
        self._cache[name] = (key, value)
        return value

    def in_service_mask(self) -> np.ndarray:
        return self._cached("in_service", lambda: np.array([self.in_service(s) for s in self.servers], dtype=np.bool_))

    def release_of(self) -> np.ndarray:
        return self._cached("release_of", lambda: np.array([s.release for s in self.servers], dtype=np.int16))

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
