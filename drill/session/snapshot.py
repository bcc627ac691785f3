"""Immutable views of a drill, the only thing the console renders. Plain frozen data: no SimPy
objects, no numpy arrays, nothing the UI could reach through to change the world.

`ConsoleSetup` is what never changes while a drill runs (its commands, servers, runbook...), read
once when a console opens; `Snapshot` is one instant of it, taken every frame."""

from __future__ import annotations

from dataclasses import dataclass

from drill.score import Score
from drill.session.scoring import ActionResult


@dataclass(frozen=True)
class ServerRow:
    name: str
    release: str
    flags: tuple[str, ...]  # flags enabled fleet-wide that this release knows
    state: str  # running, stopped, deploying, restarting, disconnected
    parents_in: int
    parents_open: int
    children_per_s: float
    fills_per_s: float
    out_in: float  # children out per parent in, since the start


@dataclass(frozen=True)
class ReleaseRow:
    """One release's servers side by side with the others': what a canary dashboard shows.
    Rates are over the last few seconds."""

    release: str
    current: bool  # the release being rolled out
    servers: int
    parents_per_s: float
    children_per_s: float
    fills_per_s: float
    erroneous_fills_per_s: float
    out_in: float  # children out per parent in, over the window


@dataclass(frozen=True)
class TapeRow:
    at: int
    clock: str
    server: str
    parent: int
    symbol: str
    side: str
    shares: int
    price: float
    status: str


@dataclass(frozen=True)
class MessageRow:
    id: int
    at: int
    clock: str
    kind: str  # email or call
    sender: str
    subject: str
    body: str


@dataclass(frozen=True)
class AlertRow:
    id: str
    at: int
    clock: str
    label: str
    detail: str
    acked: bool


@dataclass(frozen=True)
class PositionRow:
    symbol: str
    shares: int
    usd: float


@dataclass(frozen=True)
class ActionRow:
    id: int
    command: str
    submitted_at: int
    clock: str
    duration_ms: int
    progress: float  # 0..1
    status: str  # running, done, refused
    result: str
    who: str = ""  # a drill worked by a crew: "Ann (operator)"; empty for a trainee alone


@dataclass(frozen=True)
class CurvePoint:
    at: int
    loss_usd: float
    exposure_usd: float


@dataclass(frozen=True)
class Snapshot:
    scenario_id: str
    title: str
    difficulty: str
    seed: int
    now: int
    clock: str
    zone: str  # the clock's time zone label (ET, JST...)
    start: int
    open: int
    end: int
    phase: str
    finished: bool
    capital_usd: float
    loss_usd: float | None  # None where the difficulty hides the true loss
    capital_left_usd: float | None
    exposure_usd: float  # gross, as the risk monitor shows it
    monitor_as_of: str  # the clock time the risk monitor's view is from
    monitor_lag_s: float
    collateral_usd: float
    fleet: tuple[ServerRow, ...]
    fleet_columns: tuple[str, ...]  # the fleet columns this difficulty shows (besides the server's name)
    releases: tuple[ReleaseRow, ...]  # empty unless the difficulty has a canary dashboard
    tape: tuple[TapeRow, ...]
    inbox: tuple[MessageRow, ...]
    calls: tuple[MessageRow, ...]
    alerts: tuple[AlertRow, ...]
    positions: tuple[PositionRow, ...]
    curve: tuple[CurvePoint, ...]  # exposure is always there; loss only where visible
    actions: tuple[ActionRow, ...]


@dataclass(frozen=True)
class ConsoleSetup:
    """What a drill's console shows that never changes while it runs: read once, not per frame."""

    title: str
    difficulty: str
    seed: int
    zone: str
    controls: tuple[str, ...]  # the verbs this difficulty offers, in the vocabulary's order
    servers: tuple[str, ...]
    flags: tuple[str, ...]
    alerts_enabled: bool
    canary: bool  # the difficulty has a canary (release) dashboard
    runbook: str | None  # the runbook's Markdown, where the difficulty has one
    journal_path: str | None


@dataclass(frozen=True)
class Truth(Score):
    """The drill as it really stands, whatever the trainee's difficulty shows: what a facilitator
    watches. Its score is the outcome's as it stands (ended_by "running" until the drill ends)."""

    scenario: str
    difficulty: str
    seed: int
    clock: str
    zone: str
    phase: str  # the real phase (a historical console says only "open"), or "ended"
    finished: bool
    faulty_servers: tuple[str, ...]  # the servers still running the fault
    commands: tuple[ActionResult, ...]  # the trainee's and the facilitator's, in order
    injects: tuple[tuple[str, str], ...]  # (id, description): what the facilitator may inject
