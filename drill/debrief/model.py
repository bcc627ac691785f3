"""The debrief as plain frozen data: what every export renders and what the console shows. Times
are integer ms since midnight in the scenario's clock, with the HH:MM:SS beside them; money in USD.
`Debrief.to_dict()` is the JSON export."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from drill.score import Score


@dataclass(frozen=True)
class Reference:
    """A figure to set the trainee's beside: the real incident's, or a play's re-simulated."""

    label: str
    loss_usd: float | None
    score_usd: float | None = None
    grade: str | None = None
    contained_at: str | None = None


@dataclass(frozen=True)
class ScoreCard(Score):
    """The debrief's score: the drill's (drill.score.Score) and what the re-simulations add."""

    capital_usd: float
    # When the fault first showed on the trainee's screen (see docs/debrief.md), and why.
    visible_t: int | None
    visible_at: str | None
    visible_reason: str | None
    incident_at: str | None  # the fault: its first erroneous child order
    first_diagnostic_at: str | None
    first_diagnostic_command: str | None
    recovered_at: str | None
    # Seconds from the fault, its first erroneous child order (negative: before it). None: never
    # happened, or there was no erroneous order to count from.
    time_to_first_diagnostic_s: float | None
    time_to_containment_s: float | None
    time_to_recovery_s: float | None
    warning_emails: int  # warning emails before the open: the drill's own count, the one quoted everywhere
    historical: Reference | None  # the real incident's figure
    historical_play: Reference | None  # the scenario's historical play, same difficulty and seed
    best_play: Reference | None  # the scenario's best play, same difficulty and seed
    # The times, each told once and counted from the fault: (label, text) rows for every export and
    # the console ("Fault visible", "Fault", "First diagnostic", "Contained", "Recovered").
    story: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TimelineEvent:
    t: int
    at: str
    kind: str  # clock (start, open), phase, email, call, alert, command (the trainee's), facilitator, end
    title: str
    detail: str = ""
    status: str | None = None  # commands: done, refused, unfinished
    finished_at: str | None = None
    sender: str | None = None
    before_start: bool = False  # arrived before the trainee's clock started (waiting in the inbox)
    signal: bool = False  # a message that pointed at the fault
    by: str | None = None  # commands: trainee or facilitator


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    kind: str  # trainee, earliest, without, earlier, play
    points: tuple[tuple[int, float], ...]  # (t ms, loss USD), every 10 s of market


@dataclass(frozen=True)
class Marker:
    seq: int
    t: int
    at: str
    command: str
    status: str


@dataclass(frozen=True)
class Counterfactual:
    key: str  # the job id: earliest, without:3, earlier:5, play:historical, play:best
    kind: str  # earliest, without, earlier, historical, best
    label: str
    loss_usd: float | None
    collateral_usd: float | None
    score_usd: float | None
    grade: str | None
    contained: bool | None
    contained_at: str | None
    bankrupt: bool | None
    delta_usd: float | None  # score minus the trainee's score: negative is cheaper
    commands: tuple[tuple[str, str], ...]  # (HH:MM:SS, command): the trainee's, as edited
    note: str = ""
    steering: tuple[tuple[str, str], ...] = ()  # (HH:MM:SS, command): the facilitator's, replayed unedited


@dataclass(frozen=True)
class Candidate:
    """One containment move tried for the earliest effective containment."""

    move: str
    issued_at: str | None
    effective: bool
    score_usd: float | None
    loss_usd: float | None
    collateral_usd: float | None
    note: str = ""


@dataclass(frozen=True)
class CommandEffect:
    """What one of the trainee's commands was worth: the score without it, minus the score with it,
    negated. Positive cost: the command made things worse."""

    seq: int  # the group's first command
    at: str
    command: str  # the command, or what the group's commands share (identical ones, or a verb)
    score_without_usd: float
    cost_usd: float
    count: int = 1  # commands in the group, removed together
    seqs: tuple[int, ...] = ()


@dataclass(frozen=True)
class LessonReview:
    id: str
    title: str
    expected: str
    happened: str
    why: str
    verdict: str  # keep or change
    advice: str


@dataclass(frozen=True)
class Debrief:
    journal: str
    scenario: str
    title: str
    difficulty: str
    seed: int
    clock_zone: str
    start_t: int
    open_t: int
    end_t: int
    card: ScoreCard
    timeline: tuple[TimelineEvent, ...]
    curves: tuple[Series, ...]  # the trainee's first, then the counterfactuals'
    markers: tuple[Marker, ...]  # the trainee's commands, for the chart
    steering: tuple[Marker, ...]  # the facilitator's commands (speed, pause, inject, push-hint)
    counterfactuals: tuple[Counterfactual, ...]
    candidates: tuple[Candidate, ...]
    command_effects: tuple[CommandEffect, ...]
    lessons: tuple[LessonReview, ...]
    done: int  # re-simulations finished (cached ones count)
    total: int
    pending: tuple[str, ...]  # labels of what is still computing
    warnings: tuple[str, ...]
    notes: tuple[str, ...] = ()  # what the debrief chose not to re-simulate, and why

    @property
    def complete(self) -> bool:
        return not self.pending

    def to_dict(self) -> dict:
        d = asdict(self)
        d["complete"] = self.complete
        d["counterfactuals"] = [
            {
                **c,
                "commands": [{"at": at, "command": cmd} for at, cmd in c["commands"]],
                "steering": [{"at": at, "command": cmd} for at, cmd in c["steering"]],
            }
            for c in d["counterfactuals"]
        ]
        d["curves"] = [{**s, "points": [{"t": t, "loss_usd": v} for t, v in s["points"]]} for s in d["curves"]]
        return d
