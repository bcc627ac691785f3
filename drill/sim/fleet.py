"""The router fleet: servers, the release each runs, and what each flag means on that release."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from drill.scenario.schema import Scenario

HEALTHY, RUNAWAY = 0, 1
_BEHAVIOUR_CODE = {"route_until_filled": HEALTHY, "runaway_untracked": RUNAWAY}


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

    @classmethod
    def build(cls, spec: Scenario, missed: list[str]) -> "Fleet":
        release_ids = [r.id for r in spec.releases]
        flag_names = list(spec.flags)
        path = np.zeros((len(release_ids), len(flag_names) + 1), dtype=np.int8)
        for ri, rel in enumerate(spec.releases):
            for fname, cp in rel.flags.items():
                path[ri, flag_names.index(fname) + 1] = _BEHAVIOUR_CODE[cp.behaviour]
        cur = release_ids.index(spec.fleet.current_release)
        prev = release_ids.index(spec.fleet.previous_release)
        servers = [Server(name, prev if name in missed else cur) for name in spec.fleet.servers]
        return cls(spec, servers, flag_names, [spec.flags[f].enabled for f in flag_names],
                   release_ids=release_ids, path=path)

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

    def in_service_mask(self) -> np.ndarray:
        return np.array([self.in_service(s) for s in self.servers], dtype=np.bool_)

    def release_of(self) -> np.ndarray:
        return np.array([s.release for s in self.servers], dtype=np.int16)

    def armed(self, s: Server) -> list[str]:
        """Enabled flags that this server's release would turn into runaway code."""
        return [f for i, f in enumerate(self.flag_names)
                if self.flag_enabled[i] and self.path[s.release, i + 1] == RUNAWAY]

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
