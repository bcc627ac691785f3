"""Assemble a debrief from a journal: the trainee's own re-simulation (timeline, loss curve), the
counterfactuals (edited journals, re-simulated in worker processes) and the after-action review.

`stream()` yields a complete, immutable `Debrief` at once (from the journal and the cache) and a
new one each time a re-simulation finishes; `build()` runs it to the end. Both are safe to call
from a worker thread: they touch no UI and report through their return values or a callback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from drill.commands import VERBS, CommandError, parse_command
from drill.debrief import plan
from drill.debrief.cache import Cache
from drill.debrief.figures import Alert, Command, Figures, Message, Probe, Visible, first_time, read
from drill.debrief.fmt import from_fault, usd
from drill.debrief.lessons import review
from drill.debrief.model import (
    Candidate,
    CommandEffect,
    Counterfactual,
    Debrief,
    Marker,
    Reference,
    ScoreCard,
    Series,
    TimelineEvent,
)
from drill.debrief.runner import DEFAULT_WORKERS, Runner
from drill.debrief.sim import extract
from drill.scenario.loader import LoadedScenario, ScenarioError
from drill.score import Score
from drill.seeds import SEED_RANGE, is_seed
from drill.session.journal import Journal, JournalError
from drill.session.journal import read as read_journal
from drill.session.replay import scenario_for
from drill.session.scoring import ENDED_BY, Outcome
from drill.timefmt import fmt_clock, parse_clock

# Order of events at the same instant on the timeline.
_RANK = {"clock": 0, "email": 1, "call": 1, "alert": 1, "facilitator": 2, "command": 2, "phase": 3, "end": 4}
_PHASE_TITLE = {
    "incident": "Incident: the first erroneous child order",
    "contained": "Contained",
    "recovered": "Recovered: healthy service back",
    "re-opened": "Re-opened",
}


class DebriefError(Exception):
    """A journal the debrief cannot use: str() is one line naming the file and the problem."""


@dataclass(frozen=True)
class Context:
    path: Path
    journal: Journal
    scenario: LoadedScenario

    @property
    def difficulty(self) -> str:
        return self.journal.header["difficulty"]

    @property
    def seed(self) -> int:
        return self.journal.header["seed"]


def _read_journal(p: Path) -> Journal:
    if p.is_dir():
        raise DebriefError(f"{p}: file: is a directory, not a journal")
    try:
        return read_journal(p)
    except JournalError as exc:
        raise DebriefError(str(exc)) from None


def _check_header(p: Path, j: Journal, sc: LoadedScenario) -> None:
    h = j.header
    if not sc.replays(h["scenario_hash"]):
        raise DebriefError(
            f"{p}: header.scenario_hash: scenario {sc.id!r} has changed since this drill was played, "
            "so it cannot be re-simulated (drill replay would diverge too)"
        )
    if h["difficulty"] not in sc.spec.difficulties:
        raise DebriefError(f"{p}: header.difficulty: {h['difficulty']!r} is not a difficulty of {sc.id}")
    if not is_seed(h["seed"]):
        raise DebriefError(f"{p}: header.seed: must be {SEED_RANGE}")


def _check_command(p: Path, c: dict, sc: LoadedScenario, names: dict[str, set[str]]) -> None:
    try:
        cmd = parse_command(c["command"])
    except CommandError as exc:
        raise DebriefError(f"{p}: command {c['seq']}: {exc}") from None
    for arg, value in zip(VERBS[cmd.verb].args, cmd.args):
        if arg.kind in names and value.lower() not in names[arg.kind]:
            raise DebriefError(f"{p}: command {c['seq']}: {cmd.verb}: unknown {arg.kind} {value!r} in {sc.id}")
    if not sc.spec.clock.start <= c["t"] <= sc.spec.clock.end:
        raise DebriefError(f"{p}: command {c['seq']}: {fmt_clock(c['t'])} is outside the drill's clock")


def open_journal(path: str | Path) -> Context:
    """Read and check a journal. Raises DebriefError (one line) for anything unusable."""
    p = Path(path)
    j = _read_journal(p)
    try:
        sc = scenario_for(j)
    except ScenarioError as exc:
        raise DebriefError(f"{p}: header.scenario: {str(exc).splitlines()[0]}") from None
    _check_header(p, j, sc)
    names = {"server": {x.lower() for x in sc.spec.fleet.servers}, "flag": {x.lower() for x in sc.spec.flags}}
    for c in j.commands:
        _check_command(p, c, sc, names)
    return Context(p, j, sc)


def _secs(t: int | None, ref: int | None) -> float | None:
    return None if t is None or ref is None else (t - ref) / 1000


def _reference(label: str, result: Figures) -> Reference:
    o = result.outcome
    return Reference(label, o.loss_usd, o.score_usd, o.grade, o.contained_at)


def _first_diagnostic(facts: plan.Facts) -> Command | None:
    """The trainee's first diagnostic command the drill accepted."""
    return next((c for c in facts.trainee if _diagnostic(c) and c.status != "refused"), None)


def _diagnostic(c: Command) -> bool:
    verb = VERBS.get(c.verb)
    return verb is not None and verb.diagnostic


def _recovered(phases: tuple[tuple[int, str], ...]) -> int | None:
    """When healthy service was last back, unless the incident re-opened after."""
    recovered = None
    for t, p in phases:
        if p == "recovered":
            recovered = t
        elif p == "re-opened":
            recovered = None
    return recovered


def _before(commands: tuple[tuple[int, str], ...], visible: Visible | None) -> tuple[tuple[int, str], ...]:
    """The commands before the fault showed (all of them if it never did)."""
    return commands if visible is None else tuple(c for c in commands if c[0] < visible.t)


def _unpriced(groups: list[plan.Group], left: list[plan.Group]) -> str:
    """Why some groups of commands have no price: the budget of re-simulations."""
    market = sum(len(g.seqs) for g in groups)
    return (
        f"{market} of your commands could change the market, in {len(groups)} groups; the debrief re-simulates "
        f"at most {plan.MAX_WITHOUT} groups (those that changed your loss curve most), so these were not "
        f"priced: {', '.join(g.name for g in left)}"
    )


def _contained_move(r: Figures) -> bool:
    """A containment move that ran to the end and contained."""
    return not r.aborted and r.outcome.contained


def _rescored(recorded: dict, outcome: Outcome) -> list[str]:
    """A warning when the re-simulation does not score the drill as its journal recorded."""
    if abs(recorded["score_usd"] - outcome.score_usd) <= 0.01 and recorded["contained_at"] == outcome.contained_at:
        return []
    return [
        f"the journal recorded a score of {usd(recorded['score_usd'])}; re-simulated it scores "
        f"{usd(outcome.score_usd)} (the engine changed since?): figures here are the re-simulation's"
    ]


def _fault_row(incident: int | None) -> str:
    if incident is None:
        return "no erroneous order was ever sent"
    return f"the first erroneous order at {fmt_clock(incident)}"


def _historical(loss_usd: float | None) -> Reference | None:
    """The real incident's loss, where the scenario records one."""
    return Reference("The real incident", loss_usd) if loss_usd is not None else None


def _marker(c: Command) -> Marker:
    return Marker(c.seq, c.t, fmt_clock(c.t), c.command, c.status)


def _clock(t: int | None) -> str | None:
    return fmt_clock(t) if t is not None else None


@dataclass(frozen=True)
class _Times:
    """The moments the score card and its story count from the fault (sim ms; None: never)."""

    visible: Visible | None
    incident: int | None  # the fault: its first erroneous child order
    diagnostic: Command | None
    contained: int | None
    recovered: int | None

    @property
    def visible_t(self) -> int | None:
        return self.visible.t if self.visible else None

    @property
    def diagnostic_t(self) -> int | None:
        return self.diagnostic.t if self.diagnostic else None

    def from_fault(self, t: int | None) -> float | None:
        """Seconds from the fault to `t` (None: either never happened)."""
        return _secs(t, self.incident)

    def told(self, t: int) -> str:
        """A moment as the story tells it: when, and how long after (or before) the fault."""
        if self.incident is None:
            return f"{fmt_clock(t)}, before any erroneous order"
        return f"{fmt_clock(t)}, {from_fault(_secs(t, self.incident))}"

    def at_or(self, t: int | None, never: str) -> str:
        return f"at {self.told(t)}" if t is not None else never


M = TypeVar("M", plan.Removal, plan.Shift, plan.Move, plan.PlayRole)


class Assembler:
    """Holds the jobs and their results; `debrief()` turns them into a Debrief at any moment."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.jobs: dict[str, plan.Job] = {}
        self.results: dict[str, Figures | Probe] = {}
        self.failed: dict[str, str] = {}
        self.submitted: set[str] = set()
        # The trainee's commands the containment moves replay before the fault shows (None: the
        # moves are not planned yet; empty: they run on the untouched drill).
        self.prefix: tuple | None = None

    def add(self, job: plan.Job) -> None:
        self.jobs[job.id] = job

    def set(self, job_id: str, result: dict | Figures | Probe | BaseException) -> None:
        """A job's result: as a worker or the cache gave it (read here, once), or its failure."""
        if isinstance(result, BaseException):
            self.failed[job_id] = f"{type(result).__name__}: {result}"
        else:
            self.results[job_id] = read(result) if isinstance(result, dict) else result

    def finished(self, job_id: str) -> bool:
        return job_id in self.results or job_id in self.failed

    def figures(self, job_id: str) -> Figures | None:
        """A finished re-simulation's figures (None: not finished, failed, or a probe)."""
        r = self.results.get(job_id)
        return r if isinstance(r, Figures) else None

    def probe(self) -> Probe | None:
        r = self.results.get("probe")
        return r if isinstance(r, Probe) else None

    def of_kind(self, meta: type[M]) -> list[tuple[plan.Job, M]]:
        """The jobs of one kind (by what their plan says about them), in the order planned."""
        return [(j, j.meta) for j in self.jobs.values() if isinstance(j.meta, meta)]

    def done_of_kind(self, meta: type[M]) -> list[tuple[plan.Job, M, Figures]]:
        """The jobs of one kind that have their figures, in the order planned."""
        return [(j, m, r) for j, m in self.of_kind(meta) if (r := self.figures(j.id)) is not None]

    # -- the pieces -------------------------------------------------------------------------------
    def facts(self) -> plan.Facts | None:
        trainee = self.figures("trainee")
        if trainee is not None:
            return plan.facts_from_result(trainee, self.ctx.journal)
        return plan.facts_from_journal(self.ctx.journal)

    def visible(self) -> Visible | None:
        """When the fault first showed on the trainee's own screen: from the trainee's drill once
        it is re-simulated; before that, from the untouched drill when the two are the same world
        up to that moment."""
        trainee = self.figures("trainee")
        if trainee is not None and trainee.messages is not None:
            return trainee.visible(self.ctx.scenario.spec.clock.start)
        probe = self.probe()
        if self.prefix == () and probe is not None:
            return probe.visible
        return None

    def debrief(self) -> Debrief:
        ctx, sc = self.ctx, self.ctx.scenario
        spec = sc.spec
        facts = self.facts()
        assert facts is not None, "a journal without an end needs the trainee's re-simulation first"
        score = facts.outcome.score_usd
        effects, cost_of = self._effects(score)
        cfs, candidates = self._counterfactuals(facts, score, effects)
        return Debrief(
            journal=str(ctx.path.resolve()),
            scenario=sc.id,
            title=spec.title,
            difficulty=ctx.difficulty,
            seed=ctx.seed,
            clock_zone=getattr(spec.clock, "zone", "ET"),
            start_t=spec.clock.start,
            open_t=spec.clock.open,
            end_t=spec.clock.end,
            card=self._card(facts),
            timeline=self._timeline(facts),
            curves=self._curves(cfs),
            markers=tuple(_marker(c) for c in facts.trainee),
            steering=tuple(_marker(c) for c in facts.steering),
            counterfactuals=tuple(cfs),
            candidates=tuple(candidates),
            command_effects=tuple(effects),
            lessons=review(sc, ctx.seed, list(facts.trainee), facts.outcome, list(facts.phases), cost_of),
            done=sum(1 for jid in self.jobs if self.finished(jid)),
            total=len(self.jobs),
            pending=self._pending(),
            warnings=self._warnings(facts),
            notes=self._notes(facts),
        )

    def _warnings(self, facts: plan.Facts) -> tuple[str, ...]:
        end = self.ctx.journal.end
        warnings = []
        if end is None:
            warnings.append(
                f"the journal has no end record (the drill was cut short, a process killed?): it is scored "
                f"as it stood at its last record, {facts.outcome.ended_at}, and so are its counterfactuals"
            )
        elif self.figures("trainee") is not None:
            warnings += _rescored(end["outcome"], facts.outcome)
        warnings += [f"{self.jobs[jid].label}: could not be re-simulated ({err})" for jid, err in self.failed.items()]
        return tuple(warnings)

    def _curves(self, cfs: list[Counterfactual]) -> tuple[Series, ...]:
        """The trainee's loss curve first, then each counterfactual's that has one."""
        trainee = self.figures("trainee")
        curves = [Series("trainee", "Your drill", "trainee", self._points(trainee))] if trainee else []
        for cf in cfs:
            r = self.figures(cf.key) if cf.kind != "earliest" else self._best_candidate_result()
            if r is not None:
                curves.append(Series(cf.key, cf.label, cf.kind, self._points(r)))
        return tuple(curves)

    def _notes(self, facts: plan.Facts) -> tuple[str, ...]:
        groups = plan.command_groups(facts)
        tested = {m.seq for _, m in self.of_kind(plan.Removal)}
        left = [g for g in groups if g.seqs[0] not in tested]
        return (_unpriced(groups, left),) if tested and left else ()

    def _moves_pending(self) -> list[str]:
        """The earliest effective containment, while its moves are still being planned or tried."""
        if self.prefix is None:
            return ["earliest effective containment (finding when the fault showed)"]
        cands = self.of_kind(plan.Move)
        left = [j for j, _ in cands if not self.finished(j.id)]
        return [f"earliest effective containment ({len(cands) - len(left)}/{len(cands)} moves tried)"] if left else []

    def _pending(self) -> tuple[str, ...]:
        out = self._moves_pending()
        out += [
            _PENDING.get(j.kind, j.label)
            for j in self.jobs.values()
            if j.kind != "candidate" and not self.finished(j.id)
        ]
        return tuple(out)

    def _points(self, r: Figures) -> tuple[tuple[int, float], ...]:
        # The loss is zero until the first trade: start the line at the trainee's clock.
        pts = [(int(t), float(loss)) for t, loss, _ in r.curve]
        start = self.ctx.scenario.spec.clock.start
        if not pts or pts[0][0] > start:
            pts.insert(0, (start, 0.0))
        # The curve is sampled every 10 s: end it on the outcome itself, at the drill's end.
        if isinstance(r.end_t, int) and r.end_t > pts[-1][0]:
            pts.append((r.end_t, float(r.outcome.loss_usd)))
        return tuple(pts)

    def _times(self, facts: plan.Facts) -> _Times:
        o = facts.outcome
        return _Times(
            visible=self.visible(),
            incident=first_time(facts.phases, "incident"),
            diagnostic=_first_diagnostic(facts),
            contained=parse_clock(o.contained_at) if o.contained and o.contained_at else None,
            recovered=_recovered(facts.phases),
        )

    def _play_ref(self, role: str) -> Reference | None:
        """The scenario's play in `role` (the cheapest, if there are two), re-simulated."""
        done = [(j, r) for j, m, r in self.done_of_kind(plan.PlayRole) if m.role == role]
        if not done:
            return None
        j, r = min(done, key=lambda jr: jr[1].outcome.score_usd)
        return _reference(j.label, r)

    def _card(self, facts: plan.Facts) -> ScoreCard:
        spec = self.ctx.scenario.spec
        o = facts.outcome
        tm = self._times(facts)
        return ScoreCard(
            **{name: getattr(o, name) for name in Score.names()},
            capital_usd=spec.firm.capital_usd,
            visible_t=tm.visible_t,
            visible_at=_clock(tm.visible_t),
            visible_reason=tm.visible.reason if tm.visible else None,
            incident_at=_clock(tm.incident),
            first_diagnostic_at=_clock(tm.diagnostic_t),
            first_diagnostic_command=tm.diagnostic.command if tm.diagnostic else None,
            recovered_at=_clock(tm.recovered),
            # Every time is counted from the fault, its first erroneous child order.
            time_to_first_diagnostic_s=tm.from_fault(tm.diagnostic_t),
            time_to_containment_s=tm.from_fault(tm.contained),
            time_to_recovery_s=tm.from_fault(tm.recovered),
            warning_emails=int(o.emails_before_open or 0),
            historical=_historical(spec.historical_loss_usd),
            historical_play=self._play_ref("historical"),
            best_play=self._play_ref("best"),
            story=self._story(tm),
        )

    def _visible_row(self, vis: Visible | None) -> str:
        if vis is not None:
            return f"{fmt_clock(vis.t)}: {vis.reason}"
        return "(still working it out)" if "probe" in self.jobs and not self.finished("probe") else "never showed"

    def _story(self, tm: _Times) -> tuple[tuple[str, str], ...]:
        """Each time once, counted from the fault (its first erroneous child order)."""
        diag = tm.diagnostic
        return (
            ("Fault visible", self._visible_row(tm.visible)),
            ("Fault", _fault_row(tm.incident)),
            ("First diagnostic", f"{diag.command} at {tm.told(diag.t)}" if diag else "none"),
            ("Contained", tm.at_or(tm.contained, "never: erroneous orders could still follow when the drill ended")),
            ("Recovered", tm.at_or(tm.recovered, "no: healthy service was not fully back")),
        )

    def _effects(self, score: float) -> tuple[list[CommandEffect], dict[int, float]]:
        effects, cost_of = [], {}
        for _, m, r in self.done_of_kind(plan.Removal):
            without = r.outcome.score_usd
            cost = round(score - without, 2)
            for seq in m.seqs:  # the group's commands were removed together: one cost for each
                cost_of[seq] = cost
            effects.append(CommandEffect(m.seq, fmt_clock(m.t), m.command, without, cost, m.count, tuple(m.seqs)))
        effects.sort(key=lambda e: e.seq)
        return effects, cost_of

    def _candidates(self) -> list[tuple[plan.Job, plan.Move, Figures | None]]:
        return [(j, m, self.figures(j.id)) for j, m in self.of_kind(plan.Move)]

    def _best_candidate_result(self) -> Figures | None:
        best = self._best_candidate()
        return best[2] if best else None

    def _best_candidate(self) -> tuple[plan.Job, plan.Move, Figures] | None:
        effective = [(j, m, r) for j, m, r in self._candidates() if r is not None and _contained_move(r)]
        if not effective:
            return None
        # Cheapest first; then the one contained soonest; then the simplest (the order tried).
        order = {j.id: i for i, j in enumerate(self.jobs.values())}
        return min(
            effective,
            key=lambda jmr: (
                jmr[2].outcome.score_usd,
                parse_clock(jmr[2].outcome.contained_at),
                order[jmr[0].id],
            ),
        )

    def _candidate_rows(self) -> list[Candidate]:
        """Each containment move tried, and whether it contained."""
        rows = []
        for j, m, r in self._candidates():
            if r is None:
                continue
            issued = fmt_clock(m.issued_t)
            if r.aborted:
                rows.append(Candidate(j.label, issued, False, None, None, None, _NOT_EFFECTIVE))
                continue
            o = r.outcome
            note = "" if o.contained else "not contained at the end"
            rows.append(Candidate(j.label, issued, bool(o.contained), o.score_usd, o.loss_usd, o.collateral_usd, note))
        return rows

    def _earliest(self, score: float) -> list[Counterfactual]:
        """The earliest effective containment, once every move has been tried (none if none contained)."""
        cands = self._candidates()
        if not cands or not all(self.finished(j.id) for j, _, _ in cands):
            return []
        best = self._best_candidate()
        if best is None:
            return []
        j, m, r = best
        at = fmt_clock(m.visible.t)
        label = (
            f"Earliest effective containment: {j.label} at {at}"
            if not self.prefix
            else f"Earliest effective containment: your commands until {at}, then {j.label}"
        )
        note = f"issued the moment the fault was visible ({m.visible.reason})"
        return [_counterfactual("earliest", "earliest", label, r, score, note)]

    def _withouts(self, score: float, effects: list[CommandEffect]) -> list[Counterfactual]:
        """The commands that made things worse, costliest first."""
        out = []
        for e in sorted(effects, key=lambda e: -e.cost_usd):
            if e.cost_usd > 0.005:
                j = self.jobs[f"without:{e.seq}"]
                what = f"{e.command} at {e.at}" if e.count == 1 else f"{e.command} \u00d7{e.count} from {e.at}"
                r = self.figures(j.id)
                assert r is not None  # an effect is priced from its figures
                out.append(_counterfactual(j.id, "without", j.label, r, score, f"{what} cost {usd(e.cost_usd)}"))
        return out

    def _earliers(self, facts: plan.Facts, score: float) -> list[Counterfactual]:
        """The containment moved earlier, soonest move first; titled from what the re-simulation showed."""
        vis = self.visible()
        out = []
        for j, m, r in sorted(self.done_of_kind(plan.Shift), key=lambda jmr: jmr[1].minutes):
            note = ""
            if vis is not None and m.first_to_t < vis.t:
                note = f"moved to before the fault showed on screen ({fmt_clock(vis.t)})"
            # The title is what the re-simulation showed, never what the edit meant to show.
            title, _ = plan.earlier_title(j, r, facts.outcome)
            out.append(_counterfactual(j.id, "earlier", title, r, score, note))
        return out

    def _plays(self, score: float) -> list[Counterfactual]:
        done = self.done_of_kind(plan.PlayRole)
        return [
            _counterfactual(j.id, role, j.label, r, score)
            for role in ("historical", "best")
            for j, m, r in done
            if m.role == role
        ]

    def _counterfactuals(
        self, facts: plan.Facts, score: float, effects: list[CommandEffect]
    ) -> tuple[list[Counterfactual], list[Candidate]]:
        cfs = self._earliest(score) + self._withouts(score, effects)
        cfs += self._earliers(facts, score) + self._plays(score)
        return cfs, self._candidate_rows()

    def _events(self, trainee: Figures | None, ended: int) -> list[TimelineEvent]:
        """The messages and alerts of the trainee's drill, up to its end."""
        if trainee is None:
            return []
        start = self.ctx.scenario.spec.clock.start
        ev = [_message_event(m, start) for m in trainee.messages_until(ended)]
        return ev + [_alert_event(a) for a in trainee.alerts_until(ended)]

    def _timeline(self, facts: plan.Facts) -> tuple[TimelineEvent, ...]:
        spec = self.ctx.scenario.spec
        trainee = self.figures("trainee")
        outcome = facts.outcome
        ended = parse_clock(outcome.ended_at)
        ev = [
            TimelineEvent(spec.clock.start, fmt_clock(spec.clock.start), "clock", "Your clock starts"),
            TimelineEvent(spec.clock.open, fmt_clock(spec.clock.open), "clock", "The market opens"),
            TimelineEvent(
                ended, outcome.ended_at, "end", f"The drill ends: by {ENDED_BY.get(outcome.ended_by, outcome.ended_by)}"
            ),
        ]
        ev += [TimelineEvent(t, fmt_clock(t), "phase", _PHASE_TITLE.get(p, p.capitalize())) for t, p in facts.phases]
        ev += self._events(trainee, ended)
        # What each command printed: the facts are the re-simulation's once it is in, else the journal's.
        ev += [_command_event(c) for c in facts.commands]
        ev.sort(key=lambda e: (e.t, _RANK.get(e.kind, 9)))
        return tuple(ev)


_NOT_EFFECTIVE = "not contained once it had run: not effective"
# What a job still running is called while the debrief waits for it (else its label).
_PENDING = {"trainee": "your own drill, re-simulated", "probe": "when the fault became visible"}


def _counterfactual(key: str, kind: str, label: str, r: Figures, score: float, note: str = "") -> Counterfactual:
    o = r.outcome
    mine = tuple((fmt_clock(c[0]), c[1]) for c in r.issued if len(c) == 2)
    steering = tuple((fmt_clock(c[0]), c[1]) for c in r.issued if len(c) > 2)
    return Counterfactual(
        key,
        kind,
        label,
        o.loss_usd,
        o.collateral_usd,
        o.score_usd,
        o.grade,
        o.contained,
        o.contained_at,
        o.bankrupt,
        round(o.score_usd - score, 2),
        mine,
        note,
        steering,
    )


def _message_event(m: Message, start: int) -> TimelineEvent:
    return TimelineEvent(
        m.t,
        fmt_clock(m.t),
        m.kind,
        m.subject,
        m.body,
        sender=m.sender,
        before_start=m.t < start,
        signal=m.signal,
    )


def _alert_event(a: Alert) -> TimelineEvent:
    status = "acknowledged at " + fmt_clock(a.acked_t) if a.acked_t else "never acknowledged"
    return TimelineEvent(a.t, fmt_clock(a.t), "alert", f"{a.id}: {a.label}", a.detail, status=status)


def _command_event(c: Command) -> TimelineEvent:
    return TimelineEvent(
        c.t,
        fmt_clock(c.t),
        "facilitator" if c.by_facilitator else "command",
        c.command,
        c.result,
        status=c.status,
        finished_at=_clock(c.finished_t),
        by=c.who or c.by,  # who gave it: a crew member by name and role
    )


class _Planner:
    """Plans what has become plannable, and takes what the cache already holds."""

    def __init__(self, asm: Assembler, store: Cache):
        self.asm = asm
        self.store = store
        self.staged = False  # the trainee's edits are planned

    def replan(self) -> None:
        """The trainee's edits once their commands and how the drill ended are known; the
        containment moves once the moment the fault showed is known."""
        facts = self.asm.facts()
        if facts is None:
            return  # a journal cut short: its own re-simulation comes first
        if not self.staged:
            self._stage_edits(facts)
        if self.asm.prefix is None and self.asm.finished("probe"):
            self._plan_moves(facts)

    def _stage_edits(self, facts: plan.Facts) -> None:
        # Within the budget every group of commands is re-simulated without; beyond it the
        # trainee's own loss curve ranks them, so its re-simulation comes first.
        asm, ctx = self.asm, self.asm.ctx
        ranked = plan.needs_ranking(facts)
        if ranked and not asm.finished("trainee"):
            return
        self.staged = True
        trainee = plan.trainee_spec(ctx.scenario, ctx.journal)
        own = asm.figures("trainee")
        curve = list(own.curve) if ranked and own is not None else None
        for j in plan.without_jobs(trainee, facts, curve) + plan.earlier_jobs(ctx.scenario, trainee, facts):
            asm.add(j)

    def _moves_moment(self, facts: plan.Facts) -> tuple[bool, Visible | None]:
        """Whether the moment to issue the containment moves at is known yet, and that moment (None:
        there is none); sets the trainee's commands the moves replay before it."""
        asm = self.asm
        probe = asm.probe()
        untouched = probe.visible if probe else None
        if not plan.touched_before(facts, untouched):
            # The trainee's world is the untouched one until the fault showed: shared moves.
            asm.prefix = ()
            return True, untouched
        if asm.figures("trainee") is not None:
            visible = asm.visible()  # on the trainee's own screen
            asm.prefix = _before(plan.market_commands(facts), visible)
            return True, visible
        if asm.finished("trainee"):
            asm.prefix = ()  # it failed (a warning says so): no moment to issue moves at
            return True, None
        return False, None  # the moment depends on what the trainee did: their re-simulation says

    def _plan_moves(self, facts: plan.Facts) -> None:
        ready, visible = self._moves_moment(facts)
        if not ready or visible is None:
            return
        ctx = self.asm.ctx
        steering = plan.world_steering(facts)
        for j in plan.candidate_jobs(ctx.scenario, ctx.difficulty, ctx.seed, visible, self.asm.prefix or (), steering):
            self.asm.add(j)

    def from_cache(self) -> list[plan.Job]:
        """Take what the cache holds (planning further as it allows); return what is left to run."""
        asm = self.asm
        while True:
            before = len(asm.jobs)
            self._take_cached()
            self.replan()
            if len(asm.jobs) == before:
                return [j for j in asm.jobs.values() if not asm.finished(j.id) and j.id not in asm.submitted]

    def _take_cached(self) -> None:
        asm = self.asm
        for j in [j for j in asm.jobs.values() if not asm.finished(j.id)]:
            hit = self.store.get(j.spec.key())
            if hit is not None:
                asm.set(j.id, hit)


class _Submitter:
    """Sends jobs to the pool in branching groups, once per distinct spec, and takes their results."""

    def __init__(self, asm: Assembler, pool: Runner):
        self.asm = asm
        self.pool = pool
        self.futures: dict[Future, list[str]] = {}  # future -> the spec keys of its group, in order
        self.by_key: dict[str, list[str]] = {}  # spec key -> the jobs that share it

    def _share(self, j: plan.Job, key: str) -> None:
        """The same edited journal twice (e.g. without the only command = no action): one run."""
        asm = self.asm
        self.by_key[key].append(j.id)
        first = self.by_key[key][0]
        if first in asm.results:
            asm.set(j.id, asm.results[first])
        elif first in asm.failed:
            asm.set(j.id, RuntimeError(asm.failed[first]))

    def submit(self, jobs: list[plan.Job]) -> None:
        fresh: list[plan.Job] = []
        for j in jobs:
            self.asm.submitted.add(j.id)
            key = j.spec.key()
            if key in self.by_key:
                self._share(j, key)
            else:
                self.by_key[key] = [j.id]
                fresh.append(j)
        for group in plan.branch_groups(fresh, self.pool.workers):
            keys = [j.spec.key() for j in group]
            self.futures[self.pool.submit_group(tuple(j.spec for j in group))] = keys

    def collect(self, store: Cache) -> None:
        """Wait for at least one group; cache and record its results."""
        done, _ = wait(list(self.futures), return_when=FIRST_COMPLETED)
        for f in done:
            keys = self.futures.pop(f)
            for key, result in zip(keys, _group_results(f, len(keys))):
                self._record(store, key, result)

    def _record(self, store: Cache, key: str, result: dict | BaseException) -> None:
        """One spec's result, for every job that shares it. A journal cut short has nothing to
        debrief without its own re-simulation: that failing ends the debrief."""
        ctx = self.asm.ctx
        if not isinstance(result, BaseException):
            store.put(key, result)
        for jid in self.by_key[key]:
            self.asm.set(jid, result)
        if isinstance(result, BaseException) and "trainee" in self.by_key[key] and ctx.journal.end is None:
            raise DebriefError(f"{ctx.path}: the drill could not be re-simulated ({result})")

    def cancel(self) -> None:
        for f in self.futures:
            f.cancel()


def _assembler(ctx: Context, session) -> Assembler:
    """The jobs known from the start: the trainee's own drill (done already when the console hands
    over its finished session), the probe, and the scenario's plays."""
    asm = Assembler(ctx)
    sc, difficulty, seed = ctx.scenario, ctx.difficulty, ctx.seed
    asm.add(plan.Job("trainee", "trainee", "your own drill, re-simulated", plan.trainee_spec(sc, ctx.journal)))
    if session is not None:
        if not session.finished:
            raise DebriefError(f"{ctx.path}: the session has not finished yet")
        asm.set("trainee", extract(session, events=True))
    asm.add(plan.probe_job(sc, difficulty, seed))
    for j in plan.play_jobs(sc, difficulty, seed):
        asm.add(j)
    return asm


def _so_far(asm: Assembler) -> list[Debrief]:
    """The debrief as it stands, once there is one (a journal cut short waits for its own drill)."""
    return [asm.debrief()] if asm.facts() is not None else []


def stream(
    journal: str | Path,
    *,
    session=None,
    runner: Runner | None = None,
    workers: int = DEFAULT_WORKERS,
    cache: bool | Cache = True,
) -> Iterator[Debrief]:
    """Yield the debrief of `journal` as it fills in: the first at once (the journal, the scenario's
    lessons and whatever the cache holds), then one more each time a re-simulation finishes. The
    last has `complete` True. `total` can grow while the plan unfolds (the containment moves are
    planned once the moment the fault showed is known). Close the iterator to stop early: queued
    re-simulations are cancelled.

    session: the finished Session of this very drill, when the caller has it (the console): its
    world gives the timeline and the loss curve without re-simulating the trainee's drill.
    runner: a started Runner to use (and leave running); by default a pool of `workers` is made
    for this call and shut down at its end.
    """
    ctx = open_journal(journal)
    store = cache if isinstance(cache, Cache) else Cache(enabled=bool(cache))
    asm = _assembler(ctx, session)
    planner = _Planner(asm, store)
    todo = planner.from_cache()
    yield from _so_far(asm)
    if not todo:
        return
    sub = _Submitter(asm, runner or Runner(workers))
    try:
        sub.submit(todo)
        while sub.futures:
            sub.collect(store)
            sub.submit(planner.from_cache())
            yield from _so_far(asm)
    finally:
        sub.cancel()
        if runner is None:
            sub.pool.close()


def _group_results(f: Future, n: int) -> list[dict | BaseException]:
    """A group's results, one per spec: its figures, or the exception that spoiled it (an engine
    failure spoils one counterfactual, a lost worker its group's; never the debrief)."""
    try:
        outcomes = f.result()
    except Exception as exc:  # noqa: BLE001 - the worker itself was lost
        return [exc] * n
    return [value if kind == "ok" else RuntimeError(value) for kind, value in outcomes]


def build(journal: str | Path, progress: Callable[[Debrief], None] | None = None, **kwargs) -> Debrief:
    """The complete debrief. `progress` (optional) is called with each partial Debrief as it fills
    in (done/total/pending say how far along it is). Keyword arguments as for `stream`."""
    last = None
    for d in stream(journal, **kwargs):
        last = d
        if progress is not None:
            progress(d)
    assert last is not None
    return last
