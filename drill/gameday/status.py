"""A drill's status as the facilitator reads it: the JSON a drill's channel sends
(drill.hosting.host.DrillHost.truth, plus what drill.hosting.hosted adds), read once into typed
records. A field missing or of the wrong type (a drill of another version) reads as its default,
never as an error: the facilitator shows what it can."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import overload


def _of(d: Mapping, name: str, kind: type | tuple[type, ...], default=None):
    """d[name] where it is of `kind` (a bool is never a number), else `default`."""
    v = d.get(name)
    if isinstance(v, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        return default
    return v if isinstance(v, kind) else default


# With a default, a field always reads as a value: the overloads say so to the type checker.
@overload
def _number(d: Mapping, name: str, default: float) -> float: ...
@overload
def _number(d: Mapping, name: str, default: None = None) -> float | None: ...
def _number(d: Mapping, name: str, default: float | None = None) -> float | None:
    v = _of(d, name, (int, float))
    return float(v) if v is not None else default


@overload
def _text(d: Mapping, name: str, default: str) -> str: ...
@overload
def _text(d: Mapping, name: str, default: None = None) -> str | None: ...
def _text(d: Mapping, name: str, default: str | None = None) -> str | None:
    return _of(d, name, str, default)


def _records(d: Mapping, name: str) -> list[Mapping]:
    return [x for x in _of(d, name, list, []) if isinstance(x, Mapping)]


@dataclass(frozen=True)
class ScreenView:
    """What the trainee's screen showed at its last frame."""

    clock: str
    loss_usd: float | None  # None where the difficulty hides the loss
    exposure_usd: float | None
    monitor_as_of: str
    monitor_lag_s: float

    @classmethod
    def from_json(cls, d: Mapping) -> ScreenView:
        return cls(
            _text(d, "clock", ""),
            _number(d, "loss_usd"),
            _number(d, "exposure_usd"),
            _text(d, "monitor_as_of", ""),
            _number(d, "monitor_lag_s", 0.0),
        )


@dataclass(frozen=True)
class Health:
    """The console's event loop as the drill measured it (no samples yet: nothing to show)."""

    samples: int
    lag_p99_ms: float
    frames_per_s: float

    @classmethod
    def from_json(cls, d: Mapping) -> Health:
        return cls(_of(d, "samples", int, 0), _number(d, "lag_p99_ms", 0.0), _number(d, "frames_per_s", 0.0))


@dataclass(frozen=True)
class CommandRow:
    """One command of the drill, its result's first line."""

    at: str
    by: str
    command: str
    status: str
    result: str

    @classmethod
    def from_json(cls, d: Mapping) -> CommandRow:
        return cls(*(_text(d, name, "") for name in ("at", "by", "command", "status", "result")))


@dataclass(frozen=True)
class DrillStatus:
    team: str | None
    scenario: str | None
    difficulty: str | None
    seed: int | None
    clock: str
    zone: str
    phase: str
    paused: bool
    speed: float
    busy: bool  # a resolve was simulating: this is the last truth, marked so
    finished: bool
    faulty_servers: tuple[str, ...]
    true_loss_usd: float | None
    score_usd: float | None  # None: no status with a score yet (not ranked)
    collateral_usd: float | None
    grade: str
    contained: bool
    contained_at: str | None
    ended_by: str
    commands: tuple[CommandRow, ...]
    injects: tuple[tuple[str, str], ...]  # (id, description)
    screen: ScreenView | None
    health: Health | None
    outcome: dict | None  # the whole outcome once the drill has ended (drill.session.scoring.Outcome.to_dict)
    journal: str | None

    @property
    def board(self) -> tuple[str | None, str | None, int | None]:
        """(scenario, difficulty, seed): only drills on the same board are ranked together."""
        return self.scenario, self.difficulty, self.seed

    @classmethod
    def from_json(cls, d: Mapping) -> DrillStatus:
        screen, health = _of(d, "screen", Mapping), _of(d, "health", Mapping)
        return cls(
            team=_text(d, "team"),
            scenario=_text(d, "scenario"),
            difficulty=_text(d, "difficulty"),
            seed=_of(d, "seed", int),
            clock=_text(d, "clock", ""),
            zone=_text(d, "zone", ""),
            phase=_text(d, "phase", ""),
            paused=_of(d, "paused", bool, False),
            speed=_number(d, "speed", 1.0),
            busy=_of(d, "busy", bool, False),
            finished=_of(d, "finished", bool, False),
            faulty_servers=tuple(s for s in _of(d, "faulty_servers", list, []) if isinstance(s, str)),
            true_loss_usd=_number(d, "true_loss_usd"),
            score_usd=_number(d, "score_usd"),
            collateral_usd=_number(d, "collateral_usd"),
            grade=_text(d, "grade", "?"),
            contained=_of(d, "contained", bool, False),
            contained_at=_text(d, "contained_at"),
            ended_by=_text(d, "ended_by", ""),
            commands=tuple(CommandRow.from_json(c) for c in _records(d, "commands")),
            injects=tuple(
                (i["id"], i["description"])
                for i in _records(d, "injects")
                if isinstance(i.get("id"), str) and isinstance(i.get("description"), str)
            ),
            screen=ScreenView.from_json(screen) if screen is not None else None,
            health=Health.from_json(health) if health is not None else None,
            outcome=dict(o) if (o := _of(d, "outcome", Mapping)) else None,
            journal=_text(d, "journal"),
        )
