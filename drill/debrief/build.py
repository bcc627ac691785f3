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

from drill.commands import VERBS, CommandError, parse_command
from drill.debrief import plan
from drill.debrief.cache import Cache
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
from drill.debrief.sim import extract, visible_in
from drill.scenario.loader import LoadedScenario, ScenarioError
from drill.score import Score
from drill.seeds import SEED_RANGE, is_seed
from drill.session.journal import Journal, JournalError, read
from drill.session.replay import scenario_for
from drill.session.scoring import ENDED_BY
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


def open_journal(path: str | Path) -> Context:
    """Read and check a journal. Raises DebriefError (one line) for anything unusable."""
    p = Path(path)
    if p.is_dir():
        raise DebriefError(f"{p}: file: is a directory, not a journal")
    try:
        j = read(p)
    except JournalError as exc:
        raise DebriefError(str(exc)) from None
    try:
        sc = scenario_for(j)
    except ScenarioError as exc:
        raise DebriefError(f"{p}: header.scenario: {str(exc).splitlines()[0]}") from None
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
    names = {"server": {x.lower() for x in sc.spec.fleet.servers}, "flag": {x.lower() for x in sc.spec.flags}}
    for c in j.commands:
        try:
            cmd = parse_command(c["command"])
        except CommandError as exc:
            raise DebriefError(f"{p}: command {c['seq']}: {exc}") from None
        for arg, value in zip(VERBS[cmd.verb].args, cmd.args):
            if arg.kind in names and value.lower() not in names[arg.kind]:
                raise DebriefError(f"{p}: command {c['seq']}: {cmd.verb}: unknown {arg.kind} {value!r} in {sc.id}")
        if not sc.spec.clock.start <= c["t"] <= sc.spec.clock.end:
            raise DebriefError(f"{p}: command {c['seq']}: {fmt_clock(c['t'])} is outside the drill's clock")
    return Context(p, j, sc)


def _secs(t: int | None, ref: int | None) -> float | None:
    return None if t is None or ref is None else (t - ref) / 1000


def _reference(label: str, result: dict | None) -> Reference | None:
    if result is None:
        return None
    o = result["outcome"]
    return Reference(label, o["loss_usd"], o["score_usd"], o["grade"], o["contained_at"])


class Assembler:
    """Holds the jobs and their results; `debrief()` turns them into a Debrief at any moment."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.jobs: dict[str, plan.Job] = {}
        self.results: dict[str, dict] = {}
        self.failed: dict[str, str] = {}
        self.submitted: set[str] = set()
        # The trainee's commands the containment moves replay before the fault shows (None: the
        # moves are not planned yet; empty: they run on the untouched drill).
        self.prefix: tuple | None = None

    def add(self, job: plan.Job) -> None:
        self.jobs[job.id] = job

    def set(self, job_id: str, result: dict | BaseException) -> None:
        if isinstance(result, BaseException):
            self.failed[job_id] = f"{type(result).__name__}: {result}"
        else:
            self.results[job_id] = result

    def finished(self, job_id: str) -> bool:
        return job_id in self.results or job_id in self.failed

    # -- the pieces -------------------------------------------------------------------------------
    def facts(self) -> plan.Facts | None:
        if "trainee" in self.results:
            return plan.facts_from_result(self.results["trainee"])
        return plan.facts_from_journal(self.ctx.journal)

    def visible(self) -> dict | None:
        """When the fault first showed on the trainee's own screen: from the trainee's drill once
        it is re-simulated; before that, from the untouched drill when the two are the same world
        up to that moment."""
        trainee = self.results.get("trainee")
        if trainee is not None and "messages" in trainee:
            incident = next((t for t, p in trainee["phases"] if p == "incident"), None)
            return visible_in(self.ctx.scenario.spec.clock.start, trainee["messages"], trainee["alerts"], incident)
        probe = self.results.get("probe")
        if self.prefix == () and probe is not None:
            return probe.get("visible")
        return None

    def debrief(self) -> Debrief:
        ctx, sc = self.ctx, self.ctx.scenario
        spec = sc.spec
        facts = self.facts()
        assert facts is not None, "a journal without an end needs the trainee's re-simulation first"
        outcome = facts.outcome
        trainee = self.results.get("trainee")
        warnings = []
        if trainee is not None and ctx.journal.end is not None:
            recorded = ctx.journal.end["outcome"]
            if (
                abs(recorded["score_usd"] - outcome["score_usd"]) > 0.01
                or recorded["contained_at"] != outcome["contained_at"]
            ):
                warnings.append(
                    f"the journal recorded a score of {usd(recorded['score_usd'])}; re-simulated it scores "
                    f"{usd(outcome['score_usd'])} (the engine changed since?): figures here are the re-simulation's"
                )
        if ctx.journal.end is None:
            warnings.append(
                f"the journal has no end record (the drill was cut short, a process killed?): it is scored "
                f"as it stood at its last record, {outcome['ended_at']}, and so are its counterfactuals"
            )
        for jid, err in self.failed.items():
            warnings.append(f"{self.jobs[jid].label}: could not be re-simulated ({err})")
        score = outcome["score_usd"]
        effects, cost_of = self._effects(facts, score)
        cfs, candidates = self._counterfactuals(score, effects)
        card = self._card(facts, outcome)
        curves = [Series("trainee", "Your drill", "trainee", self._points(trainee))] if trainee else []
        for cf in cfs:
            r = self.results.get(cf.key) if cf.kind != "earliest" else self._best_candidate_result()
            if r is not None and r.get("curve") is not None:
                curves.append(Series(cf.key, cf.label, cf.kind, self._points(r)))
        markers = tuple(Marker(c["seq"], c["t"], fmt_clock(c["t"]), c["command"], c["status"]) for c in facts.trainee)
        steering = tuple(Marker(c["seq"], c["t"], fmt_clock(c["t"]), c["command"], c["status"]) for c in facts.steering)
        lessons = review(sc, ctx.seed, list(facts.trainee), outcome, list(facts.phases), cost_of)
        pending = self._pending()
        done = sum(1 for jid in self.jobs if self.finished(jid))
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
            card=card,
            timeline=self._timeline(facts, outcome, trainee),
            curves=tuple(curves),
            markers=markers,
            steering=steering,
            counterfactuals=tuple(cfs),
            candidates=tuple(candidates),
            command_effects=tuple(effects),
            lessons=lessons,
            done=done,
            total=len(self.jobs),
            pending=pending,
            warnings=tuple(warnings),
            notes=self._notes(facts),
        )

    def _notes(self, facts: plan.Facts) -> tuple[str, ...]:
        groups = plan.command_groups(facts)
        tested = {j.meta["seq"] for j in self.jobs.values() if j.kind == "without"}
        left = [g for g in groups if g.seqs[0] not in tested]
        if not tested or not left:
            return ()
        market = sum(len(g.seqs) for g in groups)
        return (
            f"{market} of your commands could change the market, in {len(groups)} groups; the debrief re-simulates "
            f"at most {plan.MAX_WITHOUT} groups (those that changed your loss curve most), so these were not "
            f"priced: {', '.join(g.name for g in left)}",
        )

    def _pending(self) -> tuple[str, ...]:
        out = []
        cands = [j for j in self.jobs.values() if j.kind == "candidate"]
        left = [j for j in cands if not self.finished(j.id)]
        if self.prefix is None:
            out.append("earliest effective containment (finding when the fault showed)")
        elif left:
            out.append(f"earliest effective containment ({len(cands) - len(left)}/{len(cands)} moves tried)")
        for j in self.jobs.values():
            if j.kind != "candidate" and not self.finished(j.id):
                out.append(
                    "your own drill, re-simulated"
                    if j.kind == "trainee"
                    else "when the fault became visible"
                    if j.kind == "probe"
                    else j.label
                )
        return tuple(out)

    def _points(self, r: dict) -> tuple[tuple[int, float], ...]:
        # The loss is zero until the first trade: start the line at the trainee's clock.
        pts = [(int(t), float(loss)) for t, loss, _ in r["curve"]]
        start = self.ctx.scenario.spec.clock.start
        if not pts or pts[0][0] > start:
            pts.insert(0, (start, 0.0))
        # The curve is sampled every 10 s: end it on the outcome itself, at the drill's end.
        end_t, final = r.get("end_t"), r["outcome"]["loss_usd"]
        if isinstance(end_t, int) and end_t > pts[-1][0]:
            pts.append((end_t, float(final)))
        return tuple(pts)

    def _card(self, facts: plan.Facts, o: dict) -> ScoreCard:
        spec = self.ctx.scenario.spec
        vis = self.visible()
        vt = vis["t"] if vis else None
        diag = next(
            (
                c
                for c in facts.trainee
                if VERBS.get(c["command"].split()[0]) is not None
                and VERBS[c["command"].split()[0]].diagnostic
                and c["status"] != "refused"
            ),
            None,
        )
        incident = next((t for t, p in facts.phases if p == "incident"), None)
        recovered = None
        for t, p in facts.phases:
            if p == "recovered":
                recovered = t
            elif p == "re-opened":
                recovered = None
        contained_t = parse_clock(o["contained_at"]) if o.get("contained") and o.get("contained_at") else None
        refs = {
            r: [j for j in self.jobs.values() if j.kind == "play" and j.meta["role"] == r]
            for r in ("historical", "best")
        }

        def play_ref(role: str) -> Reference | None:
            done = [(j, self.results[j.id]) for j in refs[role] if j.id in self.results]
            if not done:
                return None
            j, r = min(done, key=lambda jr: jr[1]["outcome"]["score_usd"])
            return _reference(j.label, r)

        hist = spec.historical_loss_usd
        ref = incident  # every time is counted from the fault: its first erroneous child order
        story = self._story(vis, incident, diag, contained_t, recovered)
        return ScoreCard(
            **{name: o[name] for name in Score.names()},
            capital_usd=spec.firm.capital_usd,
            visible_t=vt,
            visible_at=fmt_clock(vt) if vt is not None else None,
            visible_reason=vis["reason"] if vis else None,
            incident_at=fmt_clock(incident) if incident is not None else None,
            first_diagnostic_at=fmt_clock(diag["t"]) if diag else None,
            first_diagnostic_command=diag["command"] if diag else None,
            recovered_at=fmt_clock(recovered) if recovered is not None else None,
            time_to_first_diagnostic_s=_secs(diag["t"] if diag else None, ref),
            time_to_containment_s=_secs(contained_t, ref),
            time_to_recovery_s=_secs(recovered, ref),
            warning_emails=int(o.get("emails_before_open") or 0),
            historical=Reference("The real incident", hist) if hist is not None else None,
            historical_play=play_ref("historical"),
            best_play=play_ref("best"),
            story=story,
        )

    def _story(
        self, vis: dict | None, incident: int | None, diag: dict | None, contained: int | None, recovered: int | None
    ) -> tuple[tuple[str, str], ...]:
        """Each time once, counted from the fault (its first erroneous child order)."""

        def when(t: int) -> str:
            return fmt_clock(t) + (
                ", " + from_fault(_secs(t, incident)) if incident is not None else ", before any erroneous order"
            )

        if vis is not None:
            visible = f"{fmt_clock(vis['t'])}: {vis['reason']}"
        else:
            visible = (
                "(still working it out)" if "probe" in self.jobs and not self.finished("probe") else "never showed"
            )
        rows = [
            ("Fault visible", visible),
            (
                "Fault",
                f"the first erroneous order at {fmt_clock(incident)}"
                if incident is not None
                else "no erroneous order was ever sent",
            ),
            ("First diagnostic", f"{diag['command']} at {when(diag['t'])}" if diag else "none"),
            (
                "Contained",
                f"at {when(contained)}"
                if contained is not None
                else "never: erroneous orders could still follow when the drill ended",
            ),
            (
                "Recovered",
                f"at {when(recovered)}" if recovered is not None else "no: healthy service was not fully back",
            ),
        ]
        return tuple(rows)

    def _effects(self, facts: plan.Facts, score: float) -> tuple[list[CommandEffect], dict[int, float]]:
        effects, cost_of = [], {}
        for j in self.jobs.values():
            if j.kind == "without" and j.id in self.results:
                without = self.results[j.id]["outcome"]["score_usd"]
                cost = round(score - without, 2)
                for seq in j.meta["seqs"]:  # the group's commands were removed together: one cost for each
                    cost_of[seq] = cost
                effects.append(
                    CommandEffect(
                        j.meta["seq"],
                        fmt_clock(j.meta["t"]),
                        j.meta["command"],
                        without,
                        cost,
                        j.meta["count"],
                        tuple(j.meta["seqs"]),
                    )
                )
        effects.sort(key=lambda e: e.seq)
        return effects, cost_of

    def _candidates(self) -> list[tuple[plan.Job, dict | None]]:
        return [(j, self.results.get(j.id)) for j in self.jobs.values() if j.kind == "candidate"]

    def _best_candidate_result(self) -> dict | None:
        best = self._best_candidate()
        return best[1] if best else None

    def _best_candidate(self) -> tuple[plan.Job, dict] | None:
        effective = [
            (j, r) for j, r in self._candidates() if r is not None and not r["aborted"] and r["outcome"]["contained"]
        ]
        if not effective:
            return None
        # Cheapest first; then the one contained soonest; then the simplest (the order tried).
        order = {j.id: i for i, j in enumerate(self.jobs.values())}
        return min(
            effective,
            key=lambda jr: (
                jr[1]["outcome"]["score_usd"],
                parse_clock(jr[1]["outcome"]["contained_at"]),
                order[jr[0].id],
            ),
        )

    def _cf(self, key: str, kind: str, label: str, r: dict, score: float, note: str = "") -> Counterfactual:
        o = r["outcome"]
        issued = r.get("issued", [])
        mine = tuple((fmt_clock(c[0]), c[1]) for c in issued if len(c) == 2)
        steering = tuple((fmt_clock(c[0]), c[1]) for c in issued if len(c) > 2)
        return Counterfactual(
            key,
            kind,
            label,
            o["loss_usd"],
            o["collateral_usd"],
            o["score_usd"],
            o["grade"],
            o["contained"],
            o["contained_at"],
            o["bankrupt"],
            round(o["score_usd"] - score, 2),
            mine,
            note,
            steering,
        )

    def _counterfactuals(
        self, score: float, effects: list[CommandEffect]
    ) -> tuple[list[Counterfactual], list[Candidate]]:
        cfs: list[Counterfactual] = []
        cands = self._candidates()
        candidates = []
        for j, r in cands:
            if r is None:
                continue
            issued = fmt_clock(j.meta["issued_t"])
            if r["aborted"]:
                candidates.append(
                    Candidate(j.label, issued, False, None, None, None, "not contained once it had run: not effective")
                )
            else:
                o = r["outcome"]
                candidates.append(
                    Candidate(
                        j.label,
                        issued,
                        bool(o["contained"]),
                        o["score_usd"],
                        o["loss_usd"],
                        o["collateral_usd"],
                        "" if o["contained"] else "not contained at the end",
                    )
                )
        if cands and all(self.finished(j.id) for j, _ in cands):
            best = self._best_candidate()
            if best is not None:
                j, r = best
                vis = j.meta["visible"]
                at = fmt_clock(vis["t"])
                label = (
                    f"Earliest effective containment: {j.label} at {at}"
                    if not self.prefix
                    else f"Earliest effective containment: your commands until {at}, then {j.label}"
                )
                cfs.append(
                    self._cf(
                        "earliest",
                        "earliest",
                        label,
                        r,
                        score,
                        f"issued the moment the fault was visible ({vis['reason']})",
                    )
                )
        for e in sorted(effects, key=lambda e: -e.cost_usd):
            if e.cost_usd > 0.005:
                j = self.jobs[f"without:{e.seq}"]
                what = f"{e.command} at {e.at}" if e.count == 1 else f"{e.command} \u00d7{e.count} from {e.at}"
                cfs.append(
                    self._cf(j.id, "without", j.label, self.results[j.id], score, f"{what} cost {usd(e.cost_usd)}")
                )
        vis = self.visible()
        for j in sorted(
            (j for j in self.jobs.values() if j.kind == "earlier" and j.id in self.results),
            key=lambda j: j.meta["minutes"],
        ):
            note = ""
            if vis is not None and j.meta["first_to_t"] < vis["t"]:
                note = f"moved to before the fault showed on screen ({fmt_clock(vis['t'])})"
            # The title is what the re-simulation showed, never what the edit meant to show.
            facts = self.facts()
            assert facts is not None  # earlier jobs are planned only from a drill that ended
            title, _ = plan.earlier_title(j, self.results[j.id], facts.outcome)
            cfs.append(self._cf(j.id, "earlier", title, self.results[j.id], score, note))
        for role in ("historical", "best"):
            for j in self.jobs.values():
                if j.kind == "play" and j.meta["role"] == role and j.id in self.results:
                    cfs.append(self._cf(j.id, role, j.label, self.results[j.id], score))
        return cfs, candidates

    def _timeline(self, facts: plan.Facts, outcome: dict, trainee: dict | None) -> tuple[TimelineEvent, ...]:
        spec = self.ctx.scenario.spec
        start = spec.clock.start
        ev: list[TimelineEvent] = [
            TimelineEvent(start, fmt_clock(start), "clock", "Your clock starts"),
            TimelineEvent(spec.clock.open, fmt_clock(spec.clock.open), "clock", "The market opens"),
        ]
        ended = parse_clock(outcome["ended_at"])
        ev.append(
            TimelineEvent(
                ended,
                outcome["ended_at"],
                "end",
                f"The drill ends: by {ENDED_BY.get(outcome['ended_by'], outcome['ended_by'])}",
            )
        )
        for t, p in facts.phases:
            ev.append(TimelineEvent(t, fmt_clock(t), "phase", _PHASE_TITLE.get(p, p.capitalize())))
        if trainee is not None:
            for m in trainee.get("messages", []):
                if m["t"] <= ended:
                    ev.append(
                        TimelineEvent(
                            m["t"],
                            fmt_clock(m["t"]),
                            m["kind"],
                            m["subject"],
                            m["body"],
                            sender=m["sender"],
                            before_start=m["t"] < start,
                            signal=m["signal"],
                        )
                    )
            for a in trainee.get("alerts", []):
                if a["t"] <= ended:
                    ev.append(
                        TimelineEvent(
                            a["t"],
                            fmt_clock(a["t"]),
                            "alert",
                            f"{a['id']}: {a['label']}",
                            a["detail"],
                            status="acknowledged at " + fmt_clock(a["acked_t"])
                            if a["acked_t"]
                            else "never acknowledged",
                        )
                    )
        texts = (
            {a["seq"]: a["result"] for a in trainee["actions"]}
            if trainee
            else {r.get("seq"): r.get("result", "") for r in self.ctx.journal.results}
        )
        for c in facts.commands:
            by = c["by"]
            ev.append(
                TimelineEvent(
                    c["t"],
                    fmt_clock(c["t"]),
                    "facilitator" if by == plan.FACILITATOR else "command",
                    c["command"],
                    texts.get(c["seq"]) or "",
                    status=c["status"],
                    finished_at=fmt_clock(c["finished_t"]) if c["finished_t"] is not None else None,
                    by=c.get("who", by),  # who gave it: a crew member by name and role
                )
            )
        ev.sort(key=lambda e: (e.t, _RANK.get(e.kind, 9)))
        return tuple(ev)


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
    staged = False

    def replan() -> None:
        """Plan what has become plannable: the trainee's edits once their commands and how the drill
        ended are known; the containment moves once the moment the fault showed is known."""
        nonlocal staged
        facts = asm.facts()
        if facts is None:
            return  # a journal cut short: its own re-simulation comes first
        if not staged:
            # Within the budget every group of commands is re-simulated without; beyond it the
            # trainee's own loss curve ranks them, so its re-simulation comes first.
            ranked = plan.needs_ranking(facts)
            if not ranked or asm.finished("trainee"):
                staged = True
                trainee = plan.trainee_spec(sc, ctx.journal)
                curve = asm.results.get("trainee", {}).get("curve") if ranked else None
                for j in plan.without_jobs(trainee, facts, curve) + plan.earlier_jobs(sc, trainee, facts):
                    asm.add(j)
        if asm.prefix is None and asm.finished("probe"):
            probe = asm.results.get("probe")
            v0 = probe.get("visible") if probe else None
            if not plan.touched_before(facts, v0):
                # The trainee's world is the untouched one until the fault showed: shared moves.
                asm.prefix = ()
                visible = v0
            elif "trainee" in asm.results:
                visible = asm.visible()  # on the trainee's own screen
                asm.prefix = tuple(c for c in plan.market_commands(facts) if visible is None or c[0] < visible["t"])
            elif asm.finished("trainee"):
                asm.prefix, visible = (), None  # it failed (a warning says so): no moment to issue moves at
            else:
                return  # the moment depends on what the trainee did: their re-simulation says
            if visible is not None:
                for j in plan.candidate_jobs(sc, difficulty, seed, visible, asm.prefix, plan.world_steering(facts)):
                    asm.add(j)

    def from_cache() -> list[plan.Job]:
        """Take what the cache holds (planning further as it allows); return what is left to run."""
        while True:
            before = len(asm.jobs)
            for j in list(asm.jobs.values()):
                if not asm.finished(j.id):
                    hit = store.get(j.spec.key())
                    if hit is not None:
                        asm.set(j.id, hit)
            replan()
            if len(asm.jobs) == before:
                return [j for j in asm.jobs.values() if not asm.finished(j.id) and j.id not in asm.submitted]

    todo = from_cache()
    if asm.facts() is not None:
        yield asm.debrief()
    if not todo:
        return
    own = runner is None
    pool = runner or Runner(workers)
    futures: dict[Future, list[str]] = {}  # future -> the spec keys of its group, in order
    by_key: dict[str, list[str]] = {}

    def submit(jobs: list[plan.Job]) -> None:
        fresh: list[plan.Job] = []
        for j in jobs:
            asm.submitted.add(j.id)
            key = j.spec.key()
            if key in by_key:  # the same edited journal twice (e.g. without the only command = no action)
                by_key[key].append(j.id)
                first = by_key[key][0]
                if first in asm.results:
                    asm.set(j.id, asm.results[first])
                elif first in asm.failed:
                    asm.set(j.id, RuntimeError(asm.failed[first]))
                continue
            by_key[key] = [j.id]
            fresh.append(j)
        for group in plan.branch_groups(fresh, pool.workers):
            keys = [j.spec.key() for j in group]
            futures[pool.submit_group(tuple(j.spec for j in group))] = keys

    try:
        submit(todo)
        while futures:
            done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
            for f in done:
                keys = futures.pop(f)
                for key, result in zip(keys, _group_results(f, len(keys))):
                    if not isinstance(result, BaseException):
                        store.put(key, result)
                    for jid in by_key[key]:
                        asm.set(jid, result)
                    if "trainee" in by_key[key] and isinstance(result, BaseException) and ctx.journal.end is None:
                        raise DebriefError(f"{ctx.path}: the drill could not be re-simulated ({result})")
            submit(from_cache())
            if asm.facts() is not None:
                yield asm.debrief()
    finally:
        for f in futures:
            f.cancel()
        if own:
            pool.close()


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
