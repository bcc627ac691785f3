"""Replay: re-simulate a journal and say whether it reproduces the drill exactly, or where not."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from drill.commands import CommandError
from drill.scenario.loader import LoadedScenario, ScenarioError, load, printable
from drill.session import snapshot as snapshot_mod
from drill.session.crew import CrewMember
from drill.session.journal import Journal, read
from drill.session.scoring import Outcome
from drill.session.session import Session, SessionError
from drill.timefmt import fmt_clock


@dataclass(frozen=True)
class ReplayReport:
    journal: str
    ok: bool
    cut_short: bool  # the journal has no end record (the drill was killed): checked up to its last record
    divergence: str | None
    checked_commands: int
    outcome: Outcome | None

    def to_dict(self) -> dict:
        return {
            "journal": self.journal,
            "ok": self.ok,
            "cut_short": self.cut_short,
            "divergence": self.divergence,
            "checked_commands": self.checked_commands,
            "outcome": self.outcome.to_dict() if self.outcome else None,
        }


def scenario_for(journal: Journal) -> LoadedScenario:
    """The journal's scenario: from the directory it names when that still holds the same content,
    else the bundled scenario of the same id."""
    h = journal.header
    path = h.get("scenario_path")
    try:
        usable = isinstance(path, str) and Path(path).is_dir()
    except (OSError, ValueError):  # a name too long, a NUL byte: fall back to the bundled one
        usable = False
    if usable:
        assert isinstance(path, str)  # usable says so
        try:
            sc = load(path)
            if sc.replays(h.get("scenario_hash")):
                return sc
        except ScenarioError:
            pass
    return load(h["scenario"])


def _first_difference(recorded: dict, replayed: dict, prefix: str = "outcome") -> str | None:
    for key in list(recorded) + [k for k in replayed if k not in recorded]:
        a, b = recorded.get(key, "<missing>"), replayed.get(key, "<missing>")
        if a != b:
            if isinstance(a, list) and isinstance(b, list):
                for i, (x, y) in enumerate(zip(a, b)):
                    if x != y:
                        return f"{prefix}.{key}[{i}]: journal {x!r}, replay {y!r}"
                return f"{prefix}.{key}: journal has {len(a)} entries, replay {len(b)}"
            return f"{prefix}.{key}: journal {a!r}, replay {b!r}"
    return None


def _structure_problem(j: Journal) -> str | None:
    """What no drill writes: more than one end record, records after the end, result records
    repeated. Checked before anything is simulated."""
    if j.extra_ends:
        more = f" (and {j.extra_ends - 1:,} more)" if j.extra_ends > 1 else ""
        return f"line {j.extra_end_lines[0]}: a second end record{more}: a drill ends once"
    if j.after_end_line is not None:
        return f"line {j.after_end_line}: a record after the end record"
    seen: set[int] = set()
    for rec in j.results:
        if rec["seq"] in seen:
            return f"result {rec['seq']}: journaled twice"
        seen.add(rec["seq"])
    return None


def _end_difference(end: dict, session: Session, outcome: Outcome) -> str | None:
    """The end record's own time and reason against the replay's (the outcome carries them only
    to the second, and not the reason the record states)."""
    if end.get("reason") != outcome.ended_by:
        return f"end.reason: journal {end.get('reason')!r}, replay {outcome.ended_by!r}"
    expected = {"end": session.end, "bankruptcy": session.world.halted_at}.get(outcome.ended_by, session.now)
    assert expected is not None  # a replay that ended by bankruptcy has halted
    if end["t"] != expected:
        return f"end.t: journal {fmt_clock(end['t'])} ({end['t']}), replay {fmt_clock(expected)} ({expected})"
    return None


def replay(path: str | Path) -> ReplayReport:
    """Raises JournalError / ScenarioError / SessionError for journals that cannot be replayed at all.
    The divergence quotes the journal, which may hold anything: control characters come escaped."""
    report = _replay(path)
    if report.divergence is not None:
        report = replace(report, divergence=printable(report.divergence))
    return report


class _Diverged(Exception):
    """The replay parted from the journal: why, and the drill's outcome where it is worth showing."""

    def __init__(self, why: str, outcome: Outcome | None = None):
        super().__init__(why)
        self.why, self.outcome = why, outcome


def _replay(path: str | Path) -> ReplayReport:
    j = read(path)
    sc = scenario_for(j)
    name = str(path)
    session = Session(sc, j.header["difficulty"], j.header["seed"])
    checked = 0
    try:
        if not sc.replays(j.header["scenario_hash"]):
            raise _Diverged(f"scenario {sc.id!r} differs from the one journaled (content hash changed)")
        structural = _structure_problem(j)
        if structural is not None:
            raise _Diverged(structural)
        for rec in j.commands:
            _replay_command(session, rec)
            checked += 1
        _run_as_journaled(session, j)
        _check_results(session, j)
        outcome = session.outcome()
        if j.end is None:
            return ReplayReport(name, True, True, None, checked, outcome)
        diff = _end_difference(j.end, session, outcome) or _first_difference(j.end["outcome"], outcome.to_dict())
        return ReplayReport(name, diff is None, False, diff, checked, outcome)
    except _Diverged as d:
        return ReplayReport(name, False, j.end is None, d.why, checked, d.outcome)
    finally:
        session.close()


def _replay_command(session: Session, rec: dict) -> None:
    """Advance to a journaled command's instant and submit it, as the console did."""
    session.advance_to(rec["t"])
    if session.finished:
        raise _Diverged(
            f"command {rec['seq']} ({rec['command']}) at {fmt_clock(rec['t'])}: "
            f"the replayed drill had already ended at {session.outcome().ended_at}",
            session.outcome(),
        )
    if session.now != rec["t"]:
        raise _Diverged(
            f"command {rec['seq']} ({rec['command']}): journaled at {fmt_clock(rec['t'])}, past the scenario's end"
        )
    try:
        sub = session.submit(rec["command"], by=rec.get("by", "trainee"), crew=crew_of(rec))
    except CommandError as exc:
        raise _Diverged(f"command {rec['seq']}: {exc}") from None
    if sub.action_id != rec["seq"]:
        # Sequence numbers are the session's own count: a duplicate, a gap or a reordering is a
        # journal edited after the fact.
        raise _Diverged(
            f"command {rec['seq']} ({rec['command']}): journaled as seq {rec['seq']}, "
            f"the replay numbers it {sub.action_id}"
        )


def _run_as_journaled(session: Session, j: Journal) -> None:
    """Run on after the last command as the drill did: abandoned at its end record's time, to the
    scenario's end, or (no end record: a killed drill) just past its last record."""
    if j.end is not None:
        if j.end.get("reason") == "abandoned":
            session.advance_to(j.end["t"])
            session.abandon()
        else:
            session.run_to_end()
        return
    last = max(
        [r["t"] for r in j.commands] + [r.get("t", 0) for r in j.results if isinstance(r.get("t"), int)],
        default=session.now,
    )
    session.advance_to(last + 1)  # +1 ms: run(until=t) stops before events at t, and the last result landed at t


def _check_results(session: Session, j: Journal) -> None:
    """Every journaled result against the replayed action's status, time and text."""
    log = {a.id: a for a in session.world.actions_log}
    for rec in sorted(j.results, key=lambda r: r.get("seq", 0)):
        a = log.get(rec.get("seq"))
        if a is None:
            raise _Diverged(f"result {rec.get('seq')}: no such command in the replay", session.outcome())
        got = {"status": a.status, "t": a.finished_at, "result": a.result}
        want = {"status": rec.get("status"), "t": rec.get("t"), "result": rec.get("result")}
        if got != want:
            diff = _first_difference(want, got, prefix=f"result of command {a.id} ({a.command.text})")
            assert diff is not None  # got != want
            raise _Diverged(diff, session.outcome())


# -- watching: a journal re-simulated forward on demand --------------------------------------------


class WatchError(Exception):
    """A journal that cannot be watched: str() is one line naming the file and what is wrong."""


@dataclass(frozen=True)
class Mark:
    """One command on a watched drill's timeline: where next/previous-command keys jump to."""

    seq: int
    t: int
    clock: str
    command: str
    by: str


def crew_of(rec: dict) -> CrewMember | None:
    """The crew member a journaled command names (journal.read checked both fields), or None."""
    return CrewMember(rec["member"], rec["role"]) if "member" in rec else None


def crew_label(rec: dict) -> str:
    """The crew member who gave a journaled command, in words ("Ann (operator)"); "" for none."""
    member = crew_of(rec)
    return member.label if member is not None else ""


def who_of(rec: dict) -> str:
    """Who gave a journaled command, in words: "Ann (operator)", else its side."""
    return crew_label(rec) or rec.get("by", "trainee")


def marks_of(journal: Journal) -> tuple[Mark, ...]:
    return tuple(Mark(r["seq"], r["t"], fmt_clock(r["t"]), r["command"], who_of(r)) for r in journal.commands)


def known_until(journal: Journal) -> int | None:
    """Up to when the journal says everything that happened: its end (None: the whole morning is
    known) or, while the drill still runs, its latest record's time. A command not written yet is
    never earlier than that (commands are journaled at the moment they are given, and results no
    later than the drill's clock), so a state before it can no longer change."""
    if journal.end is not None:
        return None
    times = [r["t"] for r in journal.commands]
    times += [r["t"] for r in journal.results if isinstance(r.get("t"), int)]
    return max(times, default=0)


class Player:
    """A journal re-simulated forward, on demand: the world as the trainee had it at any time up to
    now. The trainee's console advanced, then submitted; the player advances to each command's time
    and submits it, so a snapshot at any instant is the one the trainee's console took then.
    Going backwards is not possible here (a SimPy world cannot be copied): drill.session.rewind
    keeps forked players for that."""

    def __init__(self, path: str | Path, *, live: bool = False):
        """`live`: the drill is still being played (its journal grows; see `reload`)."""
        self.path = Path(path)
        self.live = live
        self.journal = read(self.path)
        self.scenario = scenario_for(self.journal)
        if not self.scenario.replays(self.journal.header["scenario_hash"]):
            raise WatchError(
                f"{printable(str(self.path))}: header.scenario_hash: scenario {self.scenario.id!r} "
                "has changed since this drill was played; it cannot be re-simulated"
            )
        h = self.journal.header
        self.session = Session(self.scenario, h["difficulty"], h["seed"])
        self.start = self.session.now
        self._next = 0  # the index of the next journaled command to submit
        self._size = self._file_size()
        self.problems: list[str] = []  # commands the re-simulation could not take as journaled

    @property
    def now(self) -> int:
        return self.session.now

    @property
    def marks(self) -> tuple[Mark, ...]:
        return marks_of(self.journal)

    @property
    def limit(self) -> int:
        """How far there is anything to watch: the drill's end; while it is played, the scenario's
        (the watcher may run ahead of the journal); for a journal cut short (a killed process),
        its last record."""
        end = self.journal.end
        if end is not None:
            return end["t"]
        if self.live:
            return self.session.end
        # +1 ms: a result journaled at t lands in the world's step at t, which running until t
        # stops just before (as in `replay`).
        return max(self.start, min((known_until(self.journal) or 0) + 1, self.session.end))

    @property
    def finished(self) -> bool:
        return self.session.finished

    def advance_to(self, at: int) -> None:
        """Forward only: submit every journaled command up to `at` at its own time."""
        target = min(int(at), self.limit)
        commands = self.journal.commands
        while self._next < len(commands) and commands[self._next]["t"] <= target and not self.session.finished:
            rec = commands[self._next]
            self.session.advance_to(rec["t"])
            self._submit(rec)
            self._next += 1
        # A drill the trainee quit stops at `limit` still running, as the trainee's console last
        # showed it (abandoning would only mark it ended).
        self.session.advance_to(target)

    def _submit(self, rec: dict) -> None:
        try:
            sub = self.session.submit(rec["command"], by=rec.get("by", "trainee"), crew=crew_of(rec))
        except CommandError as exc:
            self.problems.append(f"command {rec['seq']}: {exc}")
            return
        if sub.action_id != rec["seq"]:
            self.problems.append(f"command {rec['seq']}: the re-simulation numbers it {sub.action_id}")

    def snapshot(self) -> snapshot_mod.Snapshot:
        return self.session.snapshot()

    def setup(self) -> snapshot_mod.ConsoleSetup:
        # The trainee's console named the journal being written: this one, being watched.
        return replace(self.session.setup(), journal_path=str(self.path))

    def _file_size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return -1

    def reload(self) -> int | None:
        """Read the journal again if it grew (a drill still being played). Returns the time of the
        earliest new command this player has already run past (it must be rewound to take it), or
        None."""
        size = self._file_size()
        if size == self._size:
            return None
        journal = read(self.path)
        self._size = size
        old = len(self.journal.commands)
        if journal.commands[:old] != self.journal.commands:
            raise WatchError(f"{printable(str(self.path))}: the journal was rewritten while being watched")
        self.journal = journal
        late = [r["t"] for r in journal.commands[old:] if r["t"] < self.now]
        return min(late) if late else None

    def close(self) -> None:
        self.session.close()


__all__ = ["Mark", "Player", "ReplayReport", "SessionError", "WatchError", "known_until", "marks_of", "replay"]
