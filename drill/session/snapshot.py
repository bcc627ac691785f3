"""Immutable views of a drill, the only thing the console renders. Plain frozen data: no SimPy
objects, no numpy arrays, nothing the UI could reach through to change the world.

`ConsoleSetup` is what never changes while a drill runs (its commands, servers, runbook...), read
once when a console opens; `Snapshot` is one instant of it, taken every frame.

Each row type sits beside its source: the function, registered with `@source`, that fills its
snapshot field from the world as this difficulty lets the trainee see it. `Session.snapshot()`
runs every registered source, so a panel over new data is a row type, a field and a source here,
its widget, and its `Panel` in drill/tui/panels.py (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from drill.score import Score
from drill.session.crew import CrewMember
from drill.session.scoring import ActionResult
from drill.sim import actions as act
from drill.timefmt import fmt_clock

if TYPE_CHECKING:
    from drill.sim.world import World

POSITIONS_SHOWN = 12  # the largest positions the risk monitor lists
TAPE_SHOWN = 60  # the newest tape rows a frame carries

# A source fills one or more snapshot fields (by name) from the world at its current instant.
Source = Callable[["World"], dict[str, Any]]
SOURCES: list[Source] = []


def source(fill: Source) -> Source:
    """Register a source: `Session.snapshot()` runs every one of them for every frame."""
    SOURCES.append(fill)
    return fill


def panel_data(world: World) -> dict[str, Any]:
    """Every registered source's fields at the world's current instant."""
    data: dict[str, Any] = {}
    for fill in SOURCES:
        data.update(fill(world))
    return data


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


# What each fleet column of a difficulty's view holds: a column not shown is blanked in the
# snapshot itself, not merely hidden by the console.
_FLEET_COLUMN_FIELDS: dict[str, dict[str, Any]] = {
    "release": {"release": ""},
    "flags": {"flags": ()},
    "parents": {"parents_in": 0, "parents_open": 0},
    "children": {"children_per_s": 0.0},
    "fills": {"fills_per_s": 0.0},
    "out_in": {"out_in": 0.0},
}


@source
def fleet_rows(w: World) -> dict[str, Any]:
    """The fleet as this difficulty lets the trainee see it: a figure the firm's staff did not
    have that day is not in the snapshot at all (not merely hidden by the console)."""
    fleet, shown = w.fleet, set(w.difficulty.view.fleet_columns)
    blank = {k: v for col, fields in _FLEET_COLUMN_FIELDS.items() if col not in shown for k, v in fields.items()}
    children, fills = w.rates.per_second(1.0)
    open_by_server = np.bincount(w.book.server[w.book.active], minlength=len(fleet.servers))
    rows = []
    for i, s in enumerate(fleet.servers):
        known = tuple(
            f for j, f in enumerate(fleet.flag_names) if fleet.flag_enabled[j] and f in w.spec.releases[s.release].flags
        )
        row = ServerRow(
            s.name,
            fleet.release_label(s.release),
            known,
            fleet.state_label(s),
            s.parents_in,
            int(open_by_server[i]),
            float(children[i]),
            float(fills[i]),
            s.children_out / s.parents_in if s.parents_in else 0.0,
        )
        rows.append(replace(row, **blank) if blank else row)
    return {"fleet": tuple(rows), "fleet_columns": tuple(w.difficulty.view.fleet_columns)}


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


@source
def release_rows(w: World) -> dict[str, Any]:
    """Each release with servers on it (and the current and previous ones), where the difficulty
    has a canary dashboard; none where it has not."""
    fleet = w.fleet
    sums = w.rates.window_sums()
    span_s = len(w.rates.children) * 1.0
    rows = []
    for ri, rel in enumerate(w.spec.releases if w.difficulty.release_dashboard else ()):
        on = [i for i, s in enumerate(fleet.servers) if s.release == ri]
        if not on and ri not in (fleet.current, fleet.previous):
            continue
        parents = float(sums["parents"][on].sum())
        children = float(sums["children"][on].sum())
        rows.append(
            ReleaseRow(
                rel.id,
                ri == fleet.current,
                len(on),
                parents / span_s,
                children / span_s,
                float(sums["fills"][on].sum()) / span_s,
                float(sums["errors"][on].sum()) / span_s,
                children / parents if parents else (float("inf") if children else 0.0),
            )
        )
    return {"releases": tuple(rows)}


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


@source
def tape_rows(w: World) -> dict[str, Any]:
    named = w.difficulty.view.tape_names_server
    rows = tuple(
        TapeRow(
            e.at, fmt_clock(e.at), e.server if named else "", e.parent, e.symbol, e.side, e.shares, e.price, e.status
        )
        for e in w.tape.rows(TAPE_SHOWN)
    )
    return {"tape": rows}


@dataclass(frozen=True)
class MessageRow:
    id: int
    at: int
    clock: str
    kind: str  # email or call
    sender: str
    subject: str
    body: str


@source
def message_rows(w: World) -> dict[str, Any]:
    rows = [MessageRow(m.id, m.at, fmt_clock(m.at), m.kind, m.sender, m.subject, m.body) for m in w.messages]
    return {"inbox": tuple(m for m in rows if m.kind == "email"), "calls": tuple(m for m in rows if m.kind == "call")}


@dataclass(frozen=True)
class AlertRow:
    id: str
    at: int
    clock: str
    label: str
    detail: str
    acked: bool


@source
def alert_rows(w: World) -> dict[str, Any]:
    return {
        "alerts": tuple(
            AlertRow(a.id, a.at, fmt_clock(a.at), a.label, a.detail, a.acked_at is not None) for a in w.alerts
        )
    }


@dataclass(frozen=True)
class PositionRow:
    symbol: str
    shares: int
    usd: float


@source
def risk_monitor(w: World) -> dict[str, Any]:
    """The largest positions and the gross exposure as the risk monitor shows them: as old as
    its backlog (nothing at all before its first digest)."""
    as_of, pos = w.monitor.view(w.now)
    positions: tuple[PositionRow, ...] = ()
    exposure = 0.0
    if pos is not None:
        usd = pos * w.market.fair
        exposure = float(np.abs(usd).sum())
        top = np.argsort(-np.abs(usd), kind="stable")[:POSITIONS_SHOWN]
        positions = tuple(PositionRow(w.market.symbols[i], int(pos[i]), float(usd[i])) for i in top if pos[i])
    return {
        "positions": positions,
        "exposure_usd": exposure,
        "monitor_as_of": fmt_clock(as_of),
        "monitor_lag_s": max(0, w.now - as_of) / 1000,
    }


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


def _progress(a: act.Action, now: int) -> float:
    """How far a command has got, 0..1: a running one by its time, a queued one not at all."""
    if a.status == act.RUNNING and a.duration_ms and a.started_at is not None:
        return min(1.0, (now - a.started_at) / a.duration_ms)
    return 0.0 if a.status in (act.RUNNING, act.QUEUED) else 1.0


@source
def action_rows(w: World) -> dict[str, Any]:
    # Steering is invisible: an inject reaches the trainee as its call or email, not as a command.
    rows = tuple(
        ActionRow(
            a.id,
            a.command.text,
            a.submitted_at,
            fmt_clock(a.submitted_at),
            a.duration_ms,
            _progress(a, w.now),
            a.status,
            a.result,
            CrewMember(a.member, a.role or "").label if a.member is not None else "",
        )
        for a in w.actions_log
        if a.by == "trainee"
    )
    return {"actions": rows}


@dataclass(frozen=True)
class CurvePoint:
    at: int
    loss_usd: float
    exposure_usd: float


@source
def curve_points(w: World) -> dict[str, Any]:
    visible = w.difficulty.loss_visible
    return {"curve": tuple(CurvePoint(t, loss if visible else 0.0, e) for t, loss, e in w.curve.points)}


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
