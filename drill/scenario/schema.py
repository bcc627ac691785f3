"""The scenario file format, as pydantic models.

The schema is the single description of a scenario file: the loader validates TOML against it
and reports every problem as `FILE: field: what is wrong`. Bounds on rates and sizes live here
too, so a hostile file is refused before the engine does any work with it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from drill.commands import VERBS

# The engine's code paths (a release maps each flag to one): one table, drill/scenario/behaviours.py.
from drill.scenario.behaviours import BEHAVIOURS, UNENDING_BEHAVIOURS
from drill.seeds import SEED_LIMIT
from drill.timefmt import parse_clock

# A time of day in the scenario's clock (US Eastern), stored as ms since midnight.
ClockTime = Annotated[int, BeforeValidator(parse_clock)]
Name = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Usd = Annotated[float, Field(ge=0, le=1e12)]
Text = Annotated[str, Field(max_length=4000)]
ContentHash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]  # a sha256, as journals pin it


# Work bounds (Scenario._references; the measurements are in docs/RELIABILITY.md, "Work bounds").
MAX_PARENT_ORDERS = 200_000
MAX_WORK_UNITS = 50_000_000  # order-ticks, weighted: about 8x the CPU of knightmare's morning (13M)
ALERT_RULE_WEIGHT = 0.02  # an order_size rule's scan of a live parent, against the parent's own tick
TICK_WEIGHT = 2_000  # a tick of the open market with little live, in order-ticks
MAX_MESSAGES = 4_000  # emails, calls and alerts one drill may hold (each console frame copies them)
MAX_ACTION_SECONDS = 3600  # the longest a command may take: an hour of the drill's clock


class Problems(ValueError):
    """Every cross-reference or bound a scenario breaks, as (field, message) pairs: the loader
    reports each as its own `FILE: field: message` line."""

    def __init__(self, found: list[tuple[str, str]]):
        self.found = found
        super().__init__("\n".join(f"{field}: {message}" for field, message in found))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Clock(Strict):
    world_start: ClockTime = Field(description="when the simulated world begins (before the trainee's clock)")
    start: ClockTime = Field(description="when the trainee's clock starts")
    open: ClockTime = Field(description="when the market opens")
    end: ClockTime = Field(description="the scenario's last minute")
    zone: Annotated[str, Field(min_length=1, max_length=8)] = Field("ET", description="the clock's time zone label")

    @model_validator(mode="after")
    def _ordered(self) -> Clock:
        if not (self.world_start <= self.start < self.end and self.world_start <= self.open < self.end):
            raise ValueError("times must satisfy world_start <= start < end and world_start <= open < end")
        if self.end - self.world_start > 12 * 3600 * 1000:
            raise ValueError("a scenario may span at most 12 hours")
        return self


class Market(Strict):
    universe: int = Field(ge=1, le=1000, description="symbols the flow can touch")
    price_median_usd: float = Field(gt=0, le=1_000_000)
    price_sigma: float = Field(ge=0, le=3)
    adv_median_usd: float = Field(gt=0, le=1e12, description="median daily dollar volume per symbol")
    adv_sigma: float = Field(ge=0, le=3)
    volatility_bps_per_min: float = Field(ge=0, le=500)
    half_spread_bps: float = Field(ge=0, le=1000)
    impact_bps_per_pct_adv: float = Field(ge=0, le=1000, description="price displacement per 1% of ADV held")
    max_displacement_bps: float = Field(ge=0, le=5000)
    haircut_pct: float = Field(ge=0, le=100, description="liquidation haircut on leftover inventory")
    fill_probability: float = Field(gt=0, le=1)
    lot_shares: int = Field(ge=1, le=10_000)
    buy_fraction: float = Field(ge=0, le=1)
    side_by_symbol: bool = Field(True, description="retail flow in one symbol leans one way all morning")
    names: list[Name] = Field(default_factory=list, max_length=1000, description="symbol names; empty: made-up tickers")
    impact_half_life_s: float | None = Field(
        None, gt=0, le=86_400, description="price pressure decays with this half-life; none: permanent"
    )
    dryup: float = Field(
        0.0, ge=0, le=100, description="liquidity withdrawal: impact grows with the displacement already caused"
    )
    hot_potato: float = Field(
        0.0, ge=0, le=100, description="extra market volume per share the firm trades (intermediaries passing it on)"
    )
    trading_seconds_per_day: int = Field(23_400, ge=60, le=86_400)
    halt_at_move_bps: float | None = Field(
        None,
        gt=0,
        le=5000,
        description="a circuit breaker (a stop logic): trading in a symbol pauses "
        "once the firm's flow has moved its price this far from fair",
    )
    halt_seconds: float = Field(5.0, ge=1, le=3600, description="how long that pause lasts")
    reopen_half_life_s: float | None = Field(
        None,
        gt=0,
        le=86_400,
        description="after the pause, pressure decays with this half-life "
        "(the buy side steps back in); none: as before",
    )
    reopen_volume_factor: float = Field(
        1.0,
        ge=0.1,
        le=100,
        description="after the pause, everyone else's volume in the symbol runs at this multiple of normal",
    )
    fixed_prices: dict[Name, Annotated[float, Field(gt=0, le=1e7)]] = Field(
        default_factory=dict, description="fair values for named symbols"
    )
    fixed_adv_usd: dict[Name, Annotated[float, Field(gt=0, le=1e12)]] = Field(
        default_factory=dict, description="daily dollar volume for named symbols"
    )

    @model_validator(mode="after")
    def _names(self) -> Market:
        if self.names and len(self.names) != self.universe:
            raise ValueError(f"names: {len(self.names)} names for a universe of {self.universe}")
        if len(set(self.names)) != len(self.names):
            raise ValueError("names: must be unique")
        for field in ("fixed_prices", "fixed_adv_usd"):
            for name in getattr(self, field):
                if name not in self.names:
                    raise ValueError(f"{field}: no symbol {name!r} in names")
        return self


class Firm(Strict):
    capital_usd: Usd
    position_limit_usd: Usd


class CodePath(Strict):
    behaviour: str
    label: Annotated[str, Field(min_length=1, max_length=60)]
    customers_mod: tuple[int, int] | None = Field(
        None, description="only customers whose id % m == r take this path; others route healthily"
    )

    @model_validator(mode="after")
    def _known(self) -> CodePath:
        if self.behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {self.behaviour!r} (known: {', '.join(BEHAVIOURS)})")
        if self.customers_mod is not None:
            m, r = self.customers_mod
            if not (1 <= m <= 1_000_000 and 0 <= r < m):
                raise ValueError("customers_mod must be [m, r] with 1 <= m <= 1000000 and 0 <= r < m")
        return self


class Release(Strict):
    id: Name
    label: Annotated[str, Field(max_length=80)]
    built: Annotated[str, Field(max_length=40)] = ""
    flags: dict[Name, CodePath] = Field(default_factory=dict, max_length=50)


class Fleet(Strict):
    servers: list[Name] = Field(min_length=1, max_length=64)
    current_release: Name
    previous_release: Name
    routing_spread_pct: float = Field(
        0.0,
        ge=0,
        le=90,
        description="noise by seed: each server's share of the flow "
        "varies by up to this much, so a busy or quiet server proves nothing by itself",
    )


class Deploy(Strict):
    missed: list[Name] = Field(
        min_length=0, max_length=64, description="servers left on the previous release under the scenario's seed"
    )
    move_with_seed: bool = Field(True, description="other seeds pick other servers (same count)")
    initial: Literal["current", "previous"] = Field(
        "current", description="the release every server not missed starts on"
    )


class Flag(Strict):
    description: Text
    enabled: bool = True
    collateral_per_min_usd: Usd = 0.0


class Flow(Strict):
    name: Name
    flag: Name | None = None
    rate_per_min: float = Field(ge=0, le=6000, description="parent orders per minute, fleet-wide")
    start: ClockTime
    end: ClockTime
    qty_lots: tuple[int, int] = Field(description="parent size in lots, min and max")
    account: Literal["customer", "firm"] = Field(
        "customer", description="whose fills these are: customers' (excess is the firm's) or the firm's own"
    )
    customers: int = Field(100_000, ge=1, le=10_000_000, description="customer ids are drawn from 0..customers-1")
    symbols: list[Name] = Field(
        default_factory=list, max_length=5000, description="restrict the flow to these market.names"
    )

    @model_validator(mode="after")
    def _valid(self) -> Flow:
        lo, hi = self.qty_lots
        if not 1 <= lo <= hi <= 100_000:
            raise ValueError("qty_lots must be [min, max] with 1 <= min <= max <= 100000")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Behaviours(Strict):
    route_child_lots_per_s: int = Field(ge=1, le=1000, description="lots a healthy router sends per second per parent")
    runaway_child_lots_per_s: int = Field(ge=1, le=1000, description="lots a runaway parent sends per second")
    pov_participation: float = Field(
        0.09, gt=0, le=0.5, description="share of the last minute's market volume pov_unlimited targets"
    )
    resting_absorb_lots_per_s: float = Field(
        10.0, ge=0, le=100_000, description="lots buyers (or sellers) take from a resting order per second"
    )
    resting_absorb_growth_per_min: float = Field(
        0.0, ge=0, le=100, description="how fast that appetite grows, per minute the order rests"
    )
    overfill_factor: float = Field(
        2.0, ge=1, le=100, description="how many times its quantity an overfilling parent fills"
    )
    cancel_on_disconnect: bool = Field(
        False,
        description="the exchange cancels the firm's resting orders when the kill switch "
        "disconnects it (modern venues do; false keeps them on the book)",
    )


class Order(Strict):
    """One scheduled parent order (a program, a mistyped ticket)."""

    name: Name
    at: ClockTime
    jitter_s: int = Field(0, ge=0, le=3600)
    server: Name
    symbol: Name
    side: Literal["buy", "sell"]
    qty: int = Field(ge=1, le=100_000_000, description="shares (or contracts) as entered")
    intended_qty: int | None = Field(
        None, ge=0, le=100_000_000, description="what was meant; fills beyond it are erroneous"
    )
    flag: Name | None = None
    account: Literal["customer", "firm"] = "customer"
    warning: Text = Field("", description="what the order-entry screen warns when it is entered (into the inbox)")


class Stream(Strict):
    """A generated series of messages: `count` spread at random between `start` and `end`."""

    kind: Literal["email", "call"]
    id: Name
    count: int = Field(ge=0, le=5000)
    count_jitter_pct: float = Field(0, ge=0, le=100, description="other seeds vary the count by up to this much")
    start: ClockTime
    end: ClockTime
    sender: Annotated[str, Field(max_length=80)]
    subjects: list[Annotated[str, Field(max_length=200)]] = Field(min_length=1, max_length=100)
    body: Text = ""
    signal: bool = Field(False, description="true when the messages point at the fault (for the debrief)")
    difficulties: list[Name] = Field(
        default_factory=list, description="the difficulties that get this stream; empty: every one"
    )

    @model_validator(mode="after")
    def _valid(self) -> Stream:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Event(Strict):
    at: ClockTime
    kind: Literal["email", "call"]
    sender: Annotated[str, Field(max_length=80)]
    subject: Annotated[str, Field(max_length=200)]
    body: Text = ""
    jitter_s: int = Field(0, ge=0, le=3600, description="other seeds move the event by up to this much")
    difficulties: list[Name] = Field(
        default_factory=list, description="the difficulties that get this event; empty: every one"
    )


class Timeline(Strict):
    streams: list[Stream] = Field(default_factory=list, max_length=50)
    events: list[Event] = Field(default_factory=list, max_length=500)


class RiskMonitor(Strict):
    capacity_execs_per_s: float = Field(
        gt=0, le=1e9, description="executions the monitor digests per second; backlog is lag"
    )
    base_lag_s: float = Field(ge=0, le=3600)


class AlertRule(Strict):
    kind: Literal["order_ratio", "position_limit", "loss", "order_size", "price_move"]
    threshold: float = Field(gt=0, le=1e12)
    label: Annotated[str, Field(max_length=120)]


FLEET_COLUMNS = ("release", "flags", "state", "parents", "children", "fills", "out_in")


class View(Strict):
    """What the trainee can see in this difficulty. The fairness of a drill rests here: a
    historical difficulty shows what the firm's own staff had that day, so diagnosis takes work."""

    fleet_columns: list[Literal[FLEET_COLUMNS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(FLEET_COLUMNS), description="the fleet table's columns besides the server's name"
    )
    inspect: Literal["full", "release"] = Field(
        "full",
        description="full: release, what each flag does on it, and the server's flow; release: its state and installed build only",
    )
    logs: Literal["labelled", "raw"] = Field(
        "labelled",
        description="labelled: log lines name the code path; raw: only what the router printed (sent, filled)",
    )
    tape_names_server: bool = Field(True, description="whether the order tape shows which server sent each child order")
    incident_phase: bool = Field(
        True,
        description="whether the header shows the incident's phase (incident, contained, "
        "recovered): a truth no firm has, which would tell a trainee when a guess worked",
    )


# Difficulty fields that change only what the trainee sees or is told (alerts, hints, the coach,
# views, the risk monitor's lag, the runbook), never the fleet, the book or the market. Any other
# field, including one added later, keeps two difficulties' runs apart.
PRESENTATION_FIELDS = frozenset(
    {
        "description",
        "alerts",
        "runbook",
        "loss_visible",
        "hints",
        "stuck_hint_after_s",
        "release_dashboard",
        "risk_monitor",
        "view",
    }
)


class Difficulty(Strict):
    description: Text
    controls: list[str] = Field(min_length=1)
    alerts: bool = False
    runbook: bool = False
    loss_visible: bool = False
    hints: bool = False
    stuck_hint_after_s: float | None = Field(
        None, ge=10, le=3600, description="push the next hint when nothing was done for this long during an incident"
    )
    cancel_fails: bool = Field(False, description="the cancel path is broken: cancel-open is rejected")
    release_dashboard: bool = Field(
        False, description="a canary dashboard: each release's servers compared side by side"
    )
    risk_monitor: RiskMonitor
    view: View = Field(default_factory=View, description="what the trainee can see")
    action_seconds: dict[str, float] = Field(
        default_factory=dict, description="how long commands take in this difficulty (overrides the scenario's)"
    )
    operators: int = Field(
        0, ge=0, le=20, description="hands-on commands that can run at once (0: no limit); the rest wait their turn"
    )

    @field_validator("controls")
    @classmethod
    def _known_controls(cls, controls: list[str]) -> list[str]:
        unknown = [c for c in controls if c not in VERBS or VERBS[c].role != "trainee"]
        if unknown:
            raise ValueError(
                f"unknown controls {unknown} (known: {', '.join(v for v in VERBS if VERBS[v].role == 'trainee')})"
            )
        return controls


class Grade(Strict):
    grade: Annotated[str, Field(min_length=1, max_length=3)]
    max_score_usd: Usd


class Scoring(Strict):
    server_minute_usd: Usd = Field(description="healthy business one server carries per minute of market")
    grades: list[Grade] = Field(min_length=1, max_length=10)
    ends_on_bankruptcy: bool = False
    unfilled_lot_usd: Usd = Field(
        0.0, description="cost of each lot of the firm's own orders left unfilled at the end (a hedge left undone)"
    )
    unreleased_server_minute_usd: Usd = Field(
        0.0, description="cost per minute of market of each server not on the current release"
    )
    cancelled_order_usd: Usd = Field(
        0.0, description="cost of each customer order cancelled or offset before it was filled as meant"
    )
    cancelled_notional_pct: float = Field(
        0.0, ge=0, le=100, description="cost of cancelling a customer order, as a share of its unfilled notional"
    )
    needless_change_usd: Usd = Field(
        0.0,
        description=(
            "cost of each deploy to a server already on the intended release: a change to production that "
            "fixed nothing (its risk, its review, the orders held while it restarts)"
        ),
    )
    minutes_after_end: Annotated[int, Field(ge=0, le=24 * 60)] = Field(
        0,
        description=(
            "minutes of business after the drill's end that what is still switched off at the end keeps "
            "costing, at the end's collateral rate: a fleet stopped in the drill's last minute is not restored"
        ),
    )
    uncontained_best_grade: Annotated[str, Field(min_length=1, max_length=3)] = Field(
        "D", description="the best grade a drill may earn when the fault is still live at its end"
    )
    blind_best_grade: Annotated[str, Field(min_length=1, max_length=3)] = Field(
        "C",
        description="the best grade a blind policy (one that uses no information) may earn: the scenario's self-test",
    )


class Expect(Strict):
    """Bounds a play's outcome must fall within (its self-test)."""

    contained: bool | None = None
    bankrupt: bool | None = None
    min_loss_usd: Usd | None = None
    max_loss_usd: Usd | None = None
    max_score_usd: Usd | None = None


class Play(Strict):
    """An actions script shipped with the scenario. Scripts may name the truth with placeholders
    ({faulty_server}), so one play works for every seed's variant."""

    file: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]*\.actions$", max_length=200)]
    role: Literal["none", "best", "mistake", "historical", "other"]
    description: Text = ""
    difficulties: list[Name] = Field(default_factory=list, description="empty: every difficulty")
    expect: Expect = Field(default_factory=Expect)

    @field_validator("file")
    @classmethod
    def _inside(cls, file: str) -> str:
        if ".." in file.split("/"):
            raise ValueError("must stay inside the scenario's directory")
        return file


class LessonCheck(Strict):
    """How the debrief tells whether the trainee lived the lesson. Commands may use the plays'
    placeholders ({faulty_server})."""

    kind: Literal["command_before", "avoid_command", "contained_before", "never_reopened"]
    commands: list[Annotated[str, Field(max_length=80)]] = Field(default_factory=list, max_length=20)
    before: ClockTime | None = None

    @model_validator(mode="after")
    def _complete(self) -> LessonCheck:
        if self.kind in ("command_before", "avoid_command") and not self.commands:
            raise ValueError(f"{self.kind} needs commands")
        if self.kind in ("command_before", "contained_before") and self.before is None:
            raise ValueError(f"{self.kind} needs before")
        return self


class Lesson(Strict):
    """One lesson of the after-action review: what was expected, and what to keep or change."""

    id: Name
    title: Annotated[str, Field(max_length=120)]
    expected: Text
    keep: Text = Field(description="said when the trainee did it")
    change: Text = Field(description="said when they did not")
    why: Text = Field(description="why the morning went the way it did on this point")
    check: LessonCheck


# The SEC's measures of a firm's market impact (Release 34-70694): symbols where the firm was more
# than a share of the volume since the open and its flow moved the price more than a fraction.
MARKET_IMPACT_FIELDS = {
    "symbols_over_50pct_volume_moved_10pct": (0.50, 0.10),
    "symbols_over_20pct_volume_moved_5pct": (0.20, 0.05),
}

CALIBRATION_FIELDS = (
    "runaway_parent_orders",
    "executions",
    "shares",
    "symbols",
    "long_usd",
    "long_symbols",
    "short_usd",
    "short_symbols",
    "loss_usd",
    "emails_before_open",
    "max_price_move_bps",
    "minutes_to_contain",
    *MARKET_IMPACT_FIELDS,
)


class CalibrationTarget(Strict):
    """A figure of the public record the scenario's historical play must reproduce."""

    field: Literal[CALIBRATION_FIELDS]  # type: ignore[valid-type]
    record: float = Field(ge=0, le=1e13)
    tolerance_pct: float = Field(
        10.0, gt=0, le=100, description="how far the scenario's own seed may land from the record"
    )
    mean_tolerance_pct: float | None = Field(
        None,
        gt=0,
        le=100,
        description="how far the mean over variant seeds may land (`drill calibrate --seeds N`); none: tolerance_pct",
    )
    source: Annotated[str, Field(min_length=1, max_length=200)]
    play: Name = "historical"


class Inject(Strict):
    """An event a facilitator can inject while the drill runs (`inject ID`)."""

    id: Name
    description: Text
    kind: Literal["email", "call", "alert_burst", "revert_server"]
    sender: Annotated[str, Field(max_length=80)] = "Facilitator"
    subject: Annotated[str, Field(max_length=200)] = ""
    body: Text = ""
    count: int = Field(1, ge=1, le=50, description="alert_burst: how many noisy alerts")
    server: Name | None = Field(
        None, description="revert_server: which server silently restarts on the previous release"
    )


# What the coach can tell about the fleet when it picks a hint (drill/sim/world.py, `World.hint_state`).
HINT_STATES = (
    "armed",
    "hazard",
    "contained",
    "server_stopped",
    "all_stopped",
    "rolled_back",
    "flag_disabled",
    "disconnected",
)
HintCommand = Annotated[str, Field(min_length=1, max_length=80)]


class Hint(Strict):
    """A coach's hint with the conditions under which it fits the drill. The coach gives the first
    hint, in order, not given yet that fits now (a plain string is a hint with no conditions)."""

    text: Text
    unless_ran: list[HintCommand] = Field(
        default_factory=list, max_length=20, description="skip once the trainee has run one of these"
    )
    after_ran: list[HintCommand] = Field(
        default_factory=list, max_length=20, description="only once the trainee has run one of these"
    )
    when: list[Literal[HINT_STATES]] = Field(default_factory=list, description="only while all of these hold")  # type: ignore[valid-type]
    unless: list[Literal[HINT_STATES]] = Field(default_factory=list, description="never while any of these holds")  # type: ignore[valid-type]

    @field_validator("unless_ran", "after_ran")
    @classmethod
    def _known_commands(cls, commands: list[str]) -> list[str]:
        for c in commands:
            if not c.split() or c.split()[0].lower() not in VERBS or VERBS[c.split()[0].lower()].role != "trainee":
                raise ValueError(f"unknown command {c!r}")
        return commands


def _hint(value: object) -> object:
    """A plain string is a hint with no conditions (the format before hints had any)."""
    return {"text": value} if isinstance(value, str) else value


class Crew(Strict):
    """Who may work one drill together (issue 16): the roles a crew member joins with, the one the
    drill's owner plays, and which commands only some roles may give. The default restricts no
    command, so a crew works as one trainee does; a drill played alone never meets these."""

    roles: list[Name] = Field(
        default_factory=lambda: ["commander", "operator", "communications"],
        min_length=1,
        max_length=10,
        description="the roles a crew member can take",
    )
    owner: Name = Field("commander", description="the role of whoever started the drill (the one who owns its world)")
    only: dict[str, list[Name]] = Field(
        default_factory=dict,
        max_length=30,
        description="commands only some roles may give, by command: the roles that may (unlisted: every role)",
    )

    @field_validator("only")
    @classmethod
    def _only_names_commands(cls, only: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = [v for v in only if v not in VERBS or VERBS[v].role != "trainee"]
        if unknown:
            raise ValueError(
                f"unknown commands {unknown} (known: {', '.join(v for v in VERBS if VERBS[v].role == 'trainee')})"
            )
        return only

    @model_validator(mode="after")
    def _roles_known(self) -> Crew:
        if len(set(self.roles)) != len(self.roles):
            raise ValueError("roles: names must be unique")
        if self.owner not in self.roles:
            raise ValueError(f"owner: {self.owner!r} is not one of the roles ({', '.join(self.roles)})")
        for verb, roles in self.only.items():
            strangers = [r for r in roles if r not in self.roles]
            if strangers:
                raise ValueError(f"only.{verb}: {strangers} are not roles (have: {', '.join(self.roles)})")
            if not roles:
                raise ValueError(f"only.{verb}: name at least one role")
        return self

    def refusal(self, role: str, verb: str) -> str | None:
        """Why a crew member in `role` may not give `verb`, or None."""
        if role not in self.roles:
            return f"{role!r} is not a role of this drill (roles: {', '.join(self.roles)})"
        allowed = self.only.get(verb)
        if allowed is not None and role not in allowed:
            return f"{verb}: only the {' or the '.join(allowed)} may give it (you are the {role})"
        return None


class Scenario(Strict):
    id: Name
    title: Annotated[str, Field(min_length=1, max_length=120)]
    summary: Annotated[str, Field(min_length=1, max_length=300)]
    seed: int = Field(ge=0, le=SEED_LIMIT - 1)
    default_difficulty: Name
    briefing: Name = Field(description="Markdown file beside the scenario")
    runbook: Name = Field(description="Markdown file beside the scenario")
    clock: Clock
    market: Market
    firm: Firm
    releases: list[Release] = Field(min_length=1, max_length=20)
    fleet: Fleet
    deploy: Deploy
    flags: dict[Name, Flag] = Field(default_factory=dict, max_length=50)
    flows: list[Flow] = Field(default_factory=list, max_length=50)
    orders: list[Order] = Field(default_factory=list, max_length=200)
    behaviours: Behaviours
    timeline: Timeline = Field(default_factory=Timeline)
    difficulties: dict[Name, Difficulty] = Field(min_length=1, max_length=10)
    alerts: list[AlertRule] = Field(default_factory=list, max_length=50)
    hints: list[Annotated[Hint, BeforeValidator(_hint)]] = Field(default_factory=list, max_length=50)
    action_seconds: dict[str, float] = Field(description="how long each command takes, in sim seconds")
    scoring: Scoring
    plays: dict[Name, Play] = Field(default_factory=dict, max_length=30)
    lessons: list[Lesson] = Field(default_factory=list, max_length=30)
    calibration: list[CalibrationTarget] = Field(default_factory=list, max_length=30)
    injects: list[Inject] = Field(default_factory=list, max_length=30)
    historical_loss_usd: Usd | None = Field(None, description="what the real incident cost, for the debrief")
    crew: Crew = Field(default_factory=Crew, description="roles when several people work one drill together")
    refusals: dict[str, Text] = Field(
        default_factory=dict,
        max_length=30,
        description=(
            "why a command a difficulty does not offer is refused, in the story's words, by command "
            "(the engine's generic reason otherwise)"
        ),
    )
    replays_versions: list[ContentHash] = Field(
        default_factory=list,
        max_length=50,
        description=(
            "content hashes of earlier versions of this scenario whose journals replay under this one: "
            "edits that moved words, or changed what some drills cost; a replay still checks every "
            "figure, so a journal the edit changed is reported as not reproducing"
        ),
    )

    @field_validator("refusals")
    @classmethod
    def _refusals_name_commands(cls, refusals: dict[str, str]) -> dict[str, str]:
        unknown = [v for v in refusals if v not in VERBS or VERBS[v].role != "trainee"]
        if unknown:
            raise ValueError(
                f"unknown commands {unknown} (known: {', '.join(v for v in VERBS if VERBS[v].role == 'trainee')})"
            )
        return refusals

    def action_ms(self, difficulty: str, verb: str) -> int:
        """How long a command takes in this difficulty, in sim milliseconds."""
        own = self.difficulties[difficulty].action_seconds
        return int(own.get(verb, self.action_seconds.get(verb, 0)) * 1000)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        """Every cross-reference and bound, each checked by its own small validator; all the
        problems found are reported together (Problems), one per field."""
        found = [problem for check in _CROSS_CHECKS for problem in check(self)]
        if found:
            raise Problems(found)
        return self

    # Each check yields (field, message) for every problem it finds.
    def _release_refs(self) -> Iterator[tuple[str, str]]:
        releases = {r.id for r in self.releases}
        for field in ("current_release", "previous_release"):
            rid = getattr(self.fleet, field)
            if rid not in releases:
                yield f"fleet.{field}", f"no release {rid!r} (have: {', '.join(sorted(releases))})"
        for rel in self.releases:
            for flag in rel.flags:
                if flag not in self.flags:
                    yield f"releases.{rel.id}.flags", f"flag {flag!r} is not defined under [flags]"

    def _server_refs(self) -> Iterator[tuple[str, str]]:
        if len(set(self.fleet.servers)) != len(self.fleet.servers):
            yield "fleet.servers", "names must be unique"
        for name in self.deploy.missed:
            if name not in self.fleet.servers:
                yield "deploy.missed", f"no server {name!r} in fleet.servers"
        if len(set(self.deploy.missed)) != len(self.deploy.missed):
            yield "deploy.missed", "names must be unique"

    def _flow_refs(self) -> Iterator[tuple[str, str]]:
        names = set(self.market.names)
        for i, flow in enumerate(self.flows):
            if flow.flag is not None and flow.flag not in self.flags:
                yield f"flows.{i}.flag", f"flag {flow.flag!r} is not defined under [flags]"
            if not (self.clock.world_start <= flow.start and flow.end <= self.clock.end):
                yield f"flows.{i}", "must run inside the scenario (world_start..end)"
            for sym in flow.symbols:
                if sym not in names:
                    yield f"flows.{i}.symbols", f"no symbol {sym!r} in market.names"
        if not self.flows and not self.orders:
            yield "flows", "a scenario needs at least one flow or order"

    def _order_refs(self) -> Iterator[tuple[str, str]]:
        names = set(self.market.names)
        for i, o in enumerate(self.orders):
            if o.server not in self.fleet.servers:
                yield f"orders.{i}.server", f"no server {o.server!r} in fleet.servers"
            if o.symbol not in names:
                yield f"orders.{i}.symbol", f"no symbol {o.symbol!r} in market.names"
            if o.flag is not None and o.flag not in self.flags:
                yield f"orders.{i}.flag", f"flag {o.flag!r} is not defined under [flags]"
            if not self.clock.world_start <= o.at <= self.clock.end:
                yield f"orders.{i}.at", "outside the scenario (world_start..end)"

    def _timeline_refs(self) -> Iterator[tuple[str, str]]:
        for i, ev in enumerate(self.timeline.events):
            if not self.clock.world_start <= ev.at <= self.clock.end:
                yield f"timeline.events.{i}.at", "outside the scenario (world_start..end)"
        for i, st in enumerate(self.timeline.streams):
            if not (self.clock.world_start <= st.start and st.end <= self.clock.end):
                yield f"timeline.streams.{i}", "must run inside the scenario (world_start..end)"
        timed: tuple[tuple[str, Sequence[Stream | Event]], ...] = (
            ("streams", self.timeline.streams),
            ("events", self.timeline.events),
        )
        for kind, items in timed:
            for i, item in enumerate(items):
                for d in item.difficulties:
                    if d not in self.difficulties:
                        yield f"timeline.{kind}.{i}.difficulties", f"no difficulty {d!r}"

    def _difficulty_refs(self) -> Iterator[tuple[str, str]]:
        if self.default_difficulty not in self.difficulties:
            yield "default_difficulty", f"no difficulty {self.default_difficulty!r}"
        for name, play in self.plays.items():
            for d in play.difficulties:
                if d not in self.difficulties:
                    yield f"plays.{name}.difficulties", f"no difficulty {d!r}"

    def _action_seconds(self) -> Iterator[tuple[str, str]]:
        for verb, secs in self.action_seconds.items():
            if verb not in VERBS:
                yield f"action_seconds.{verb}", "unknown command"
            elif not 0 <= secs <= MAX_ACTION_SECONDS:
                yield f"action_seconds.{verb}", f"must be between 0 and {MAX_ACTION_SECONDS} seconds"
        for name, d in self.difficulties.items():
            for verb, secs in d.action_seconds.items():
                if verb not in VERBS or not 0 <= secs <= MAX_ACTION_SECONDS:
                    yield (
                        f"difficulties.{name}.action_seconds.{verb}",
                        f"unknown command, or not 0..{MAX_ACTION_SECONDS} seconds",
                    )

    def _grade_refs(self) -> Iterator[tuple[str, str]]:
        grades = [g.grade for g in self.scoring.grades]
        for field in ("uncontained_best_grade", "blind_best_grade"):
            if getattr(self.scoring, field) not in grades:
                yield f"scoring.{field}", f"no grade {getattr(self.scoring, field)!r} (grades: {', '.join(grades)})"

    def _inject_refs(self) -> Iterator[tuple[str, str]]:
        for i, inj in enumerate(self.injects):
            if inj.server is not None and inj.server not in self.fleet.servers:
                yield f"injects.{i}.server", f"no server {inj.server!r} in fleet.servers"
            if inj.kind == "revert_server" and inj.server is None:
                yield f"injects.{i}.server", "revert_server needs a server"
        if len({i.id for i in self.injects}) != len(self.injects):
            yield "injects", "ids must be unique"

    def _play_refs(self) -> Iterator[tuple[str, str]]:
        for i, target in enumerate(self.calibration):
            if target.play not in self.plays:
                yield f"calibration.{i}.play", f"no play {target.play!r}"
        for i, lesson in enumerate(self.lessons):
            c = lesson.check
            if c.before is not None and not self.clock.start <= c.before <= self.clock.end:
                yield f"lessons.{i}.check.before", "outside the drill (start..end)"
            for cmd in c.commands:
                if not cmd.split() or cmd.split()[0] not in VERBS:
                    yield f"lessons.{i}.check.commands", f"unknown command {cmd!r}"

    # -- work bounds: a hostile file must not make the engine do unbounded work. Everything that
    # costs time is counted (docs/RELIABILITY.md, "Work bounds", has the measurements behind the
    # weights).
    def _parent_bound(self) -> Iterator[tuple[str, str]]:
        minutes = (self.clock.end - self.clock.world_start) / 60_000
        parents = sum(f.rate_per_min * (f.end - f.start) / 60_000 for f in self.flows)
        if parents > MAX_PARENT_ORDERS:
            yield (
                "flows",
                (
                    f"{parents:,.0f} parent orders over {minutes:.0f} minutes is more than the engine "
                    f"accepts ({MAX_PARENT_ORDERS:,})"
                ),
            )

    def _live_order_ticks(self, overfill_factor: float) -> float:
        """How long the orders can stay live, summed (each live parent costs work every tick):
        a parent on a path that never looks at fills (or resting at the exchange) until the end;
        an overfilling one until it has filled overfill_factor times its size; a healthy one until
        its lots have been routed and filled (drill/scenario/behaviours.py, `lives`)."""
        ways_of: dict[str, set[str]] = {}
        for rel in self.releases:
            for flag, cp in rel.flags.items():
                ways_of.setdefault(flag, set()).add(cp.behaviour)
        lots_per_s = max(1, self.behaviours.route_child_lots_per_s)
        total = len(self.orders) * (self.clock.end - self.clock.world_start) / 1000
        for f in self.flows:
            ways = ways_of.get(f.flag, set()) if f.flag is not None else set()
            span = (self.clock.end - f.start) / 1000
            if ways & UNENDING_BEHAVIOURS:
                life = span
            else:
                overfills = any(BEHAVIOURS[w].lives == "until_overfilled" for w in ways)
                factor = overfill_factor if overfills else 1.0
                life = min(span, f.qty_lots[1] * factor / lots_per_s / self.market.fill_probability)
            total += f.rate_per_min * (f.end - f.start) / 60_000 * life
        return total

    def _size_rules(self) -> int:
        # Each `order_size` rule compares every live parent every tick; other rules cost per
        # server or symbol, which the counts already bound.
        return sum(1 for a in self.alerts if a.kind == "order_size")

    def _work_bound(self) -> Iterator[tuple[str, str]]:
        order_ticks = self._live_order_ticks(self.behaviours.overfill_factor)
        size_rules = self._size_rules()
        base = TICK_WEIGHT * max(0, self.clock.end - self.clock.open) / 1000  # before the open a tick costs little
        work = order_ticks * (1 + ALERT_RULE_WEIGHT * size_rules) + base
        if work <= MAX_WORK_UNITS:
            return
        # Name what pushed it over: the overfill factor or the alert rules, when the orders
        # without it would fit.
        if self._live_order_ticks(1.0) * (1 + ALERT_RULE_WEIGHT * size_rules) + base <= MAX_WORK_UNITS:
            where = "behaviours.overfill_factor"
        elif size_rules and order_ticks + base <= MAX_WORK_UNITS:
            where = "alerts"
        else:
            where = "flows"
        yield (
            where,
            (
                f"the orders could stay live for {order_ticks:,.0f} order-ticks "
                f"(overfill_factor {self.behaviours.overfill_factor:g}, fill_probability "
                f"{self.market.fill_probability:g}, {size_rules} order_size alert rules): "
                f"{work:,.0f} units of work, more than a drill may take ({MAX_WORK_UNITS:,})"
            ),
        )

    def _messages_at_most(self) -> float:
        """The most emails and calls a drill can hold: every stream at its jittered count, every
        event, order and inject."""
        messages = sum(st.count * (1 + st.count_jitter_pct / 100) for st in self.timeline.streams)
        return messages + len(self.timeline.events) + len(self.orders) + len(self.injects)

    def _alerts_at_most(self) -> float:
        """The most alerts a drill can raise: one per order its order_size rules catch (flows at
        their rate over their span), plus a bound on those about servers and symbols."""
        alerts = 0.0
        if self._size_rules():
            lot = self.market.lot_shares
            low = min(a.threshold for a in self.alerts if a.kind == "order_size")
            alerts += sum(f.rate_per_min * (f.end - f.start) / 60_000 for f in self.flows if f.qty_lots[1] * lot >= low)
            alerts += sum(1 for o in self.orders if o.qty >= low)
        return alerts + len(self.fleet.servers) + self.market.universe + 2

    def _message_bound(self) -> Iterator[tuple[str, str]]:
        # Every message and alert is kept for the console, which copies them into each frame's
        # snapshot: bound them together. Alerts de-duplicate per parent, server and symbol.
        messages = self._messages_at_most()
        if messages > MAX_MESSAGES:
            yield (
                "timeline.streams",
                (
                    f"up to {messages:,.0f} messages in one drill: more than the console "
                    f"can show each frame ({MAX_MESSAGES:,})"
                ),
            )
            return
        alerts = self._alerts_at_most()
        if messages + alerts > MAX_MESSAGES:
            yield (
                "alerts",
                (
                    f"order_size thresholds as low as these could raise {alerts:,.0f} alerts, with "
                    f"{messages:,.0f} messages: more than the console can show each frame ({MAX_MESSAGES:,})"
                ),
            )


# The order problems are reported in: references first, then the work bounds.
_CROSS_CHECKS = (
    Scenario._release_refs,
    Scenario._server_refs,
    Scenario._flow_refs,
    Scenario._order_refs,
    Scenario._timeline_refs,
    Scenario._difficulty_refs,
    Scenario._action_seconds,
    Scenario._grade_refs,
    Scenario._inject_refs,
    Scenario._play_refs,
    Scenario._parent_bound,
    Scenario._work_bound,
    Scenario._message_bound,
)
