"""The outcome of a drill: what the trainee contained, when, and what it cost."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from drill.scenario.schema import MARKET_IMPACT_FIELDS
from drill.score import Score
from drill.sim.world import World
from drill.timefmt import fmt_clock


@dataclass(frozen=True)
class ActionResult:
    """One command of the drill as the outcome records it."""

    at: str
    command: str
    status: str  # done, refused, or unfinished (still running when the drill ended)
    result: str
    finished_at: str | None
    by: str  # trainee or facilitator
    member: str | None = None  # a drill worked by a crew: the member of the trainee's side who gave it
    role: str | None = None  # and their role

    @classmethod
    def from_dict(cls, d: dict) -> ActionResult:
        # Journals written before facilitators existed carry no `by`: every command was the trainee's;
        # those written before crews carry no member or role.
        return cls(
            d["at"],
            d["command"],
            d["status"],
            d["result"],
            d.get("finished_at"),
            d.get("by", "trainee"),
            d.get("member"),
            d.get("role"),
        )

    def to_dict(self) -> dict:
        """As journals and the results store keep it: a command of no crew member has no member or
        role fields at all, so a drill played alone records exactly what it did before crews."""
        d = asdict(self)
        if self.member is None:
            del d["member"], d["role"]
        return d

    @property
    def who(self) -> str:
        """Who gave it, as the debrief and the facilitator show it: "Ann (operator)", else the side."""
        return f"{self.member} ({self.role})" if self.member is not None else self.by

    @property
    def first_line(self) -> str:
        """The result's first line: what a one-line list of commands shows."""
        return self.result.splitlines()[0] if self.result else ""


@dataclass(frozen=True)
class Phase:
    """When the incident entered a phase (incident, contained, re-opened, recovered)."""

    at: str
    phase: str

    @classmethod
    def from_dict(cls, d: dict) -> Phase:
        return cls(d["at"], d["phase"])


@dataclass(frozen=True)
class Outcome(Score):
    """A drill's result: its score (drill.score.Score) and what the trainee did and caused."""

    scenario: str
    difficulty: str
    seed: int
    runaway_parent_orders: int
    executions: int
    shares: int
    symbols: int
    long_usd: float
    long_symbols: int
    short_usd: float
    short_symbols: int
    emails_before_open: int
    faulty_servers: list[str]
    max_price_move_bps: float
    symbols_over_50pct_volume_moved_10pct: int  # the SEC's market-impact measures (schema.MARKET_IMPACT_FIELDS)
    symbols_over_20pct_volume_moved_5pct: int
    first_error_at: str | None  # the first erroneous child order
    minutes_to_contain: float | None  # from the first erroneous order to containment
    phases: list[Phase]
    actions: list[ActionResult]

    def to_dict(self) -> dict:
        """The outcome as journals and the results store keep it (phases and actions as objects)."""
        return {**asdict(self), "actions": [a.to_dict() for a in self.actions]}

    @classmethod
    def from_dict(cls, d: dict) -> Outcome:
        """An outcome read back from `to_dict()`'s JSON (a journal's end record, a stored result,
        a drill's status). Raises TypeError or KeyError where it is not one."""
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise TypeError(f"not an outcome field: {', '.join(sorted(unknown))}")
        return cls(
            **{
                **d,
                "phases": [Phase.from_dict(p) for p in d["phases"]],
                "actions": [ActionResult.from_dict(a) for a in d["actions"]],
            }
        )

    def phase_at(self, phase: str) -> str | None:
        """When the incident first entered `phase` (None: it never did)."""
        return next((p.at for p in self.phases if p.phase == phase), None)


DNF = "DNF"  # the grade of an abandoned drill: recorded, never ranked above a completed one
# Why a drill ended (Outcome.ended_by), in words for "ended at 10:15:00 by ...": the debrief, its
# exports and the console's score card all say it the same way. "running" is a journal cut short.
ENDED_BY = {
    "end": "the scenario's end",
    "resolve": "the scenario's end, after you declared it resolved",
    "bankruptcy": "bankruptcy",
    "abandoned": "the trainee quitting",
    "running": "the journal being cut short",
}


def grade_for(world: World, score: float, contained: bool = True, ended_by: str = "end") -> str:
    """The scenario's grade for a score. A drill whose fault is still live at its end earns no
    better than `scoring.uncontained_best_grade`, however little it lost: loops that merely slow
    the bleeding are not containment. A drill the trainee quit is DNF."""
    if ended_by == "abandoned":
        return DNF
    grades = [g.grade for g in world.spec.scoring.grades]
    by_score = next((g.grade for g in world.spec.scoring.grades if score <= g.max_score_usd), grades[-1])
    if contained:
        return by_score
    cap = world.spec.scoring.uncontained_best_grade
    return grades[max(grades.index(by_score), grades.index(cap))]


def contained_at(world: World) -> int | None:
    """When the last erroneous child order was sent, provided none can follow."""
    if world.hazard():
        return None
    inc = world.incident
    if inc.last_error_at is not None:
        return inc.last_error_at
    if inc.hazard_cleared_at is not None:
        return inc.hazard_cleared_at
    return world.clock.start  # there never was a live fault


# The drills that ran to the scenario's end: only theirs has an "after" to charge. A quit drill is
# DNF and compared on its own horizon; one still running is scored as it stands.
_RAN_TO_THE_END = ("end", "resolve", "bankruptcy")


def _after_the_end(world: World, ended_by: str) -> float:
    """What is still switched off when the drill ends stays off after it, for the scenario's
    `minutes_after_end`: containing by stopping everything in the last minute must cost what
    walking away from a stopped fleet costs. A server kept out because it still carries the fault
    is containment, not business switched off: it costs nothing after the end."""
    if ended_by not in _RAN_TO_THE_END:
        return 0.0
    fleet = world.fleet
    still_faulty = sum(
        1 for s in fleet.servers if not fleet.in_service(s) and s.name in world.missed and s.release != fleet.current
    )
    rate = world.collateral_rate_per_min() - still_faulty * world.spec.scoring.server_minute_usd
    return rate * world.spec.scoring.minutes_after_end


def score(world: World, ended_at: int, ended_by: str, collateral_usd: float) -> Outcome:
    loss = round(world.loss_usd, 2)
    # The firm's own orders left unfilled (a hedge left undone) are business not done.
    collateral_usd += world.unfilled_firm_lots() * world.spec.scoring.unfilled_lot_usd
    collateral_usd += _after_the_end(world, ended_by)
    collateral = round(collateral_usd, 2)
    total = round(loss + collateral, 2)
    long_usd, long_n, short_usd, short_n = world.ledger.long_short()
    c_at = contained_at(world)
    first = world.incident.first_error_at
    actions = []
    for a in world.actions_log:
        done = a.finished_at is not None and a.finished_at <= ended_at
        actions.append(
            ActionResult(
                at=fmt_clock(a.submitted_at),
                command=a.command.text,
                status=a.status if done or a.status == "refused" else "unfinished",
                result=a.result if done or a.status == "refused" else "(still running when the drill ended)",
                finished_at=fmt_clock(a.finished_at) if done else None,
                by=a.by,
                member=a.member,
                role=a.role,
            )
        )
    return Outcome(
        scenario=world.spec.id,
        difficulty=world.difficulty_name,
        seed=world.seed,
        contained=c_at is not None,
        contained_at=fmt_clock(c_at) if c_at is not None else None,
        loss_usd=loss,
        collateral_usd=collateral,
        score_usd=total,
        grade=grade_for(world, total, c_at is not None, ended_by),
        bankrupt=loss > world.spec.firm.capital_usd,
        runaway_parent_orders=world.runaway_parents,
        executions=world.runaway_executions,
        shares=world.runaway_shares,
        symbols=int(world.ledger.touched.sum()),
        long_usd=round(long_usd, 2),
        long_symbols=long_n,
        short_usd=round(short_usd, 2),
        short_symbols=short_n,
        emails_before_open=world.emails_before_open(),
        faulty_servers=list(world.missed),
        max_price_move_bps=round(world.max_move_bps, 1),
        **{name: world.market.symbols_impacted(share, move) for name, (share, move) in MARKET_IMPACT_FIELDS.items()},
        first_error_at=fmt_clock(first) if first is not None else None,
        minutes_to_contain=round((c_at - first) / 60_000, 2) if first is not None and c_at is not None else None,
        ended_at=fmt_clock(ended_at),
        ended_by=ended_by,
        phases=[Phase(fmt_clock(t), p) for t, p in world.incident.phases if t <= ended_at],
        actions=actions,
    )
