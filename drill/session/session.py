"""One drill: the world, its clock, the actions submitted, the journal and the score.

This is the single door between the simulation and everything that drives it (the console, the
command line, replays, facilitators): advance time, submit a command, take a snapshot, read the
outcome.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

from drill import __version__
from drill.commands import SPEEDS, VERBS, Command, CommandError, parse_command
from drill.scenario.loader import LoadedScenario
from drill.score import Score
from drill.seeds import SEED_RANGE, is_seed
from drill.session import snapshot as snap
from drill.session.crew import CrewMember
from drill.session.journal import FORMAT, JournalWriter
from drill.session.scoring import Outcome, score
from drill.sim import actions as act
from drill.sim.world import World
from drill.timefmt import fmt_clock


class SessionError(ValueError):
    """Bad arguments for a session (an unknown difficulty, say)."""


@dataclass(frozen=True)
class Submission:
    accepted: bool  # False only for refusals; malformed commands raise CommandError
    command: Command
    message: str
    action_id: int | None = None


# Worlds already run to the start of the drill, by (scenario content hash, difficulty, seed). A
# warm process that forks one drill per browser tab (drill.gameday.warm) runs the morning once
# before forking; each tab's session takes its copy instead of simulating the morning again.
PREMARKET: dict[tuple[str, str, int], World] = {}


def check_command(scenario: LoadedScenario, command: Command) -> Command:
    """Validate a command against a scenario (its servers, flags, injects; nothing that needs
    the world to have run); return it with canonical names."""
    verb = VERBS[command.verb]
    args = list(command.args)
    for i, (spec, value) in enumerate(zip(verb.args, args)):
        canonical = _CANONICAL.get(spec.kind)
        if canonical is not None:
            args[i] = canonical(scenario, command.verb, value)
    return Command(command.verb, tuple(args))


def _named(verb: str, what: str, value: str, names: list[str] | tuple[str, ...]) -> str:
    """A server or flag as the scenario spells it, whatever the case it was typed in."""
    by_lower = {n.lower(): n for n in names}
    if value.lower() not in by_lower:
        raise CommandError(f"{verb}: unknown {what} {value!r} ({what}s: {', '.join(names) or 'none'})")
    return by_lower[value.lower()]


def _server_arg(scenario: LoadedScenario, verb: str, value: str) -> str:
    return _named(verb, "server", value, scenario.spec.fleet.servers)


def _flag_arg(scenario: LoadedScenario, verb: str, value: str) -> str:
    return _named(verb, "flag", value, list(scenario.spec.flags))


def _alert_arg(scenario: LoadedScenario, verb: str, value: str) -> str:
    return value.upper()


def _inject_arg(scenario: LoadedScenario, verb: str, value: str) -> str:
    ids = [i.id for i in scenario.spec.injects]
    if value not in ids:
        raise CommandError(f"{verb}: unknown inject {value!r} (catalogue: {', '.join(ids) or 'empty'})")
    return value


def _speed_arg(scenario: LoadedScenario, verb: str, value: str) -> str:
    if value not in {str(x) for x in SPEEDS}:
        raise CommandError(f"{verb}: speed must be one of {', '.join(map(str, SPEEDS))}")
    return value


def _percent_arg(scenario: LoadedScenario, verb: str, value: str) -> str:
    text = value.rstrip("%")
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise CommandError(f"{verb}: {value!r} is not a percentage from 1 to 100")
    return str(int(text))


# How each kind of argument is checked against the scenario and spelled canonically.
_CANONICAL = {
    "server": _server_arg,
    "flag": _flag_arg,
    "alert": _alert_arg,
    "inject": _inject_arg,
    "speed": _speed_arg,
    "percent": _percent_arg,
}


class Session:
    def __init__(
        self,
        scenario: LoadedScenario,
        difficulty: str | None = None,
        seed: int | None = None,
        journal: str | Path | None = None,
    ):
        spec = scenario.spec
        self.scenario = scenario
        self.difficulty = difficulty or spec.default_difficulty
        if self.difficulty not in spec.difficulties:
            raise SessionError(
                f"unknown difficulty {self.difficulty!r} for {spec.id} (have: {', '.join(spec.difficulties)})"
            )
        self.seed = spec.seed if seed is None else seed
        if not is_seed(self.seed):
            raise SessionError(f"seed must be {SEED_RANGE}, got {self.seed}")
        world = PREMARKET.pop((scenario.content_hash, self.difficulty, self.seed), None)
        if world is None:
            world = World(spec, self.difficulty, self.seed)
            world.run_until(spec.clock.start)  # the morning before the trainee arrives
        self.world: World = world
        self._outcome: Outcome | None = None
        self._unreported: list = []  # actions submitted but not finished yet
        self._seen = 0  # how much of the actions log _report_results has taken in
        self._ended_by = "end"  # "resolve" once the trainee declared it resolved
        self.journal_path: Path | None = None
        self._journal: JournalWriter | None = None
        if journal:
            self.open_journal(journal)

    def open_journal(self, journal: str | Path) -> None:
        """Start the journal with its header. A session built without one (a served tab's drill,
        built before its trainee arrives) opens it as the trainee starts, before anything is done."""
        if self._journal is not None:
            raise SessionError("the journal is open already")
        spec = self.scenario.spec
        self.journal_path = Path(journal)
        self._journal = JournalWriter(journal)
        self._write(
            {
                "type": "header",
                "format": FORMAT,
                "program": f"drill {__version__}",
                "scenario": spec.id,
                "scenario_hash": self.scenario.content_hash,
                "scenario_path": str(self.scenario.directory),
                "difficulty": self.difficulty,
                "seed": self.seed,
                "written": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            }
        )

    # -- time -------------------------------------------------------------------------------------
    @property
    def now(self) -> int:
        return self.world.now

    @property
    def clock(self) -> str:
        return fmt_clock(self.world.now)

    @property
    def finished(self) -> bool:
        return self._outcome is not None

    @property
    def end(self) -> int:
        return self.world.clock.end

    def advance(self, ms: int) -> None:
        """Run the world forward by `ms` simulated milliseconds (stopping at the scenario's end)."""
        self.advance_to(self.now + int(ms))

    def advance_to(self, at: int) -> None:
        if self.finished:
            return
        target = min(int(at), self.end)
        self.world.run_until(target)
        self._report_results()
        if self.world.halted_at is not None:
            self._finish(self.world.halted_at, "bankruptcy")
        elif self.now >= self.end:
            self._finish(self.end, self._ended_by)

    def run_to_end(self) -> Outcome:
        self.advance_to(self.end)
        assert self._outcome is not None
        return self._outcome

    # -- commands ---------------------------------------------------------------------------------
    def check(self, command: Command) -> Command:
        """Validate a command against this scenario; return it with canonical names."""
        return check_command(self.scenario, command)

    def submit(self, command: str | Command, by: str = "trainee", crew: CrewMember | None = None) -> Submission:
        """Submit a command now, as the trainee or the facilitator; `crew`, on a drill worked by
        several people, is the member of the trainee's side who gave it. Malformed commands (a
        trainee using a facilitator's verb, a crew member's role that may not give this one)
        raise CommandError and nothing is journaled; refused ones are journaled with their
        reason, like any other action."""
        cmd = parse_command(command) if isinstance(command, str) else command
        self._check_who(cmd, by, crew)
        cmd = self.check(cmd)
        if self.finished:
            return Submission(False, cmd, "the drill has ended")
        world = self.world
        action = act.Action(
            len(world.actions_log) + 1,
            cmd,
            self.now,
            0,
            by=by,
            member=crew.name if crew else None,
            role=crew.role if crew else None,
        )
        world.actions_log.append(action)
        record = {"type": "command", "seq": action.id, "t": self.now, "at": self.clock, "command": cmd.text}
        if by != "trainee":
            record["by"] = by
        if crew is not None:  # a drill played alone journals exactly what it did before crews
            record["member"], record["role"] = crew.name, crew.role
        self._write(record)
        if VERBS[cmd.verb].role == "facilitator":
            return self._facilitate(action)
        why = act.refusal(world, cmd) or self._already_running(action)
        if why is not None:
            action.status, action.result, action.finished_at = act.REFUSED, why, self.now
            self._report_results()
            return Submission(False, cmd, why, action.id)
        action.duration_ms = self.scenario.spec.action_ms(self.difficulty, cmd.verb)
        if cmd.verb == "resolve":
            return self._resolve(action)
        world.env.process(act.start(world, action))
        return Submission(True, cmd, f"{cmd.text}: started, takes {action.duration_ms // 1000}s", action.id)

    def _check_who(self, cmd: Command, by: str, crew: CrewMember | None) -> None:
        """Raise where the side (or the crew member's role) may not give this command."""
        if by not in ("trainee", "facilitator"):
            raise ValueError(f"by must be trainee or facilitator, not {by!r}")
        if VERBS[cmd.verb].role == "facilitator" and by != "facilitator":
            raise CommandError(f"{cmd.verb}: only the facilitator can do that")
        if crew is None:
            return
        if by != "trainee":
            raise ValueError("a crew member plays on the trainee's side")
        why_not = self.scenario.spec.crew.refusal(crew.role, cmd.verb)
        if why_not is not None:
            raise CommandError(why_not)

    def _already_running(self, action: act.Action) -> str | None:
        """A command is not queued behind an identical one still running (the same verb on the
        same server, or the same fleet-wide verb): the first one's result is what to wait for."""
        pending = self._unreported + self.world.actions_log[self._seen :]  # not the whole log
        same = next(
            (a for a in pending if a.status == act.RUNNING and a is not action and a.command == action.command), None
        )
        if same is None:
            return None
        return f"refused: {action.command.text} is already running (since {fmt_clock(same.submitted_at)})"

    def _facilitate(self, action: act.Action) -> Submission:
        """The facilitator's verbs act at once. pause, resume and speed belong to whoever drives
        the clock (the console); the session journals them so the record is complete."""
        cmd, world = action.command, self.world
        if cmd.verb == "inject":
            action.result = world.inject(cmd.args[0])
        elif cmd.verb == "push-hint":
            world.push_hint(cmd.args[0])
            action.result = f"hint sent: {cmd.args[0]}"
        else:
            action.result = {"pause": "clock paused", "resume": "clock resumed"}.get(
                cmd.verb, f"speed set to {cmd.args[0] if cmd.args else ''}x"
            )
        action.status, action.finished_at = act.DONE, self.now
        self._report_results()
        return Submission(True, cmd, action.result, action.id)

    def _resolve(self, action: act.Action) -> Submission:
        """Declaring the incident resolved ends the trainee's part, not the morning: the world runs
        on to the scenario's end and whatever accrues is charged (business left switched off, a
        fault that was still live or had not arrived yet). Declaring early never pays."""
        world = self.world
        action.finished_at = self.now
        if world.hazard():
            # Not done: the drill is recorded as having run to its end, not as resolved.
            action.status = act.REFUSED
            action.result = "resolve refused by reality: the fault is still live; the drill runs on to the end"
        else:
            action.status = act.DONE
            action.result = "incident declared resolved: the rest of the session runs on without you"
            self._ended_by = "resolve"
        self._report_results()
        self.run_to_end()
        return Submission(True, action.command, action.result, action.id)

    def abandon(self) -> Outcome:
        """End the drill now (the trainee quit): recorded as it stands, graded DNF."""
        if not self.finished:
            self._finish(self.now, "abandoned")
        assert self._outcome is not None
        return self._outcome

    # -- results ----------------------------------------------------------------------------------
    def _report_results(self) -> None:
        # Only the actions not yet reported are looked at: a long drill's log is not rescanned.
        log = self.world.actions_log
        pending = self._unreported + log[self._seen :]
        self._seen = len(log)
        done = [a for a in pending if a.status in (act.DONE, act.REFUSED)]
        self._unreported = [a for a in pending if a.status not in (act.DONE, act.REFUSED)]
        for a in sorted(done, key=lambda a: (a.finished_at, a.id)):
            self._write({"type": "result", "seq": a.id, "t": a.finished_at, "status": a.status, "result": a.result})

    def _finish(self, at: int, reason: str) -> None:
        self._outcome = score(self.world, at, reason, self.world.collateral_usd)
        self._write({"type": "end", "t": at, "reason": reason, "outcome": self._outcome.to_dict()})
        if self._journal:
            self._journal.close()

    def outcome(self) -> Outcome:
        """The final outcome once finished; before that, the drill scored as it stands."""
        if self._outcome is not None:
            return self._outcome
        return score(self.world, self.now, "running", self.world.collateral_usd)

    def truth(self) -> snap.Truth:
        """The facilitator's view: the real phase, loss and faulty servers, never what the
        difficulty hides from the trainee."""
        outcome, spec = self.outcome(), self.scenario.spec
        return snap.Truth(
            scenario=spec.id,
            difficulty=self.difficulty,
            seed=self.seed,
            clock=self.clock,
            zone=spec.clock.zone,
            phase="ended" if self.finished else self.world.phase(),
            finished=self.finished,
            faulty_servers=tuple(outcome.faulty_servers),
            commands=tuple(outcome.actions),
            injects=tuple((i.id, i.description) for i in spec.injects),
            **{name: getattr(outcome, name) for name in Score.names()},
        )

    def _write(self, record: dict) -> None:
        if self._journal:
            self._journal.write(record)

    def close(self) -> None:
        if self._journal:
            self._journal.close()

    # -- snapshots ---------------------------------------------------------------------------------
    def _phase(self) -> str:
        if self.finished:
            return "ended"
        phase = self.world.phase()
        if not self.world.difficulty.view.incident_phase and phase != "pre-open":
            return "open"  # what the firm could tell: the market is open; not whether it is contained
        return phase

    def snapshot(self) -> snap.Snapshot:
        """This instant as the trainee's difficulty shows it: the drill's own figures here, every
        panel's data from the sources registered in drill/session/snapshot.py."""
        w, spec = self.world, self.scenario.spec
        visible = w.difficulty.loss_visible
        return snap.Snapshot(
            scenario_id=spec.id,
            title=spec.title,
            difficulty=self.difficulty,
            seed=self.seed,
            now=self.now,
            clock=self.clock,
            zone=spec.clock.zone,
            start=spec.clock.start,
            open=spec.clock.open,
            end=spec.clock.end,
            phase=self._phase(),
            finished=self.finished,
            capital_usd=spec.firm.capital_usd,
            loss_usd=w.loss_usd if visible else None,
            capital_left_usd=spec.firm.capital_usd - w.loss_usd if visible else None,
            # Once finished, the outcome's figure: it adds what the end leaves switched off (one figure).
            collateral_usd=self._outcome.collateral_usd if self._outcome is not None else w.collateral_usd,
            **snap.panel_data(w),
        )

    def setup(self) -> snap.ConsoleSetup:
        """What a console shows of this drill that never changes while it runs."""
        spec, difficulty = self.scenario.spec, self.world.difficulty
        return snap.ConsoleSetup(
            title=spec.title,
            difficulty=self.difficulty,
            seed=self.seed,
            zone=spec.clock.zone,
            controls=tuple(v for v in VERBS if v in difficulty.controls),
            servers=tuple(spec.fleet.servers),
            flags=tuple(spec.flags),
            alerts_enabled=difficulty.alerts,
            canary=difficulty.release_dashboard,
            runbook=self.scenario.runbook if difficulty.runbook else None,
            journal_path=str(self.journal_path) if self.journal_path else None,
        )
