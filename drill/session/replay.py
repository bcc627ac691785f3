"""Replay: re-simulate a journal and say whether it reproduces the drill exactly, or where not."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from drill.commands import CommandError
from drill.scenario.loader import LoadedScenario, ScenarioError, load, printable
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
            "journal": self.journal, "ok": self.ok, "cut_short": self.cut_short,
            "divergence": self.divergence, "checked_commands": self.checked_commands,
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
        try:
            sc = load(path)
            if sc.content_hash == h.get("scenario_hash"):
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


def _replay(path: str | Path) -> ReplayReport:
    j = read(path)
    sc = scenario_for(j)
    name = str(path)
    session = Session(sc, j.header["difficulty"], j.header["seed"])
    if sc.content_hash != j.header["scenario_hash"]:
        return ReplayReport(name, False, j.end is None,
                            f"scenario {sc.id!r} differs from the one journaled (content hash changed)", 0, None)
    structural = _structure_problem(j)
    if structural is not None:
        session.close()
        return ReplayReport(name, False, j.end is None, structural, 0, None)
    checked = 0
    try:
        for rec in j.commands:
            session.advance_to(rec["t"])
            if session.finished:
                return ReplayReport(name, False, j.end is None,
                                    f"command {rec['seq']} ({rec['command']}) at {fmt_clock(rec['t'])}: the replayed drill had already ended at {session.outcome().ended_at}",
                                    checked, session.outcome())
            if session.now != rec["t"]:
                return ReplayReport(name, False, j.end is None,
                                    f"command {rec['seq']} ({rec['command']}): journaled at {fmt_clock(rec['t'])}, past the scenario's end",
                                    checked, None)
            try:
                sub = session.submit(rec["command"], by=rec.get("by", "trainee"))
            except CommandError as exc:
                return ReplayReport(name, False, j.end is None, f"command {rec['seq']}: {exc}", checked, None)
            if sub.action_id != rec["seq"]:
                # Sequence numbers are the session's own count: a duplicate, a gap or a reordering
                # is a journal edited after the fact.
                return ReplayReport(name, False, j.end is None,
                                    f"command {rec['seq']} ({rec['command']}): journaled as seq {rec['seq']}, "
                                    f"the replay numbers it {sub.action_id}", checked, None)
            checked += 1
        if j.end is not None:
            if j.end.get("reason") == "abandoned":
                session.advance_to(j.end["t"])
                session.abandon()
            else:
                session.run_to_end()
        else:
            last = max([r["t"] for r in j.commands] + [r.get("t", 0) for r in j.results if isinstance(r.get("t"), int)], default=session.now)
            # +1 ms: run(until=t) stops before events at t, and the last result landed at t.
            session.advance_to(last + 1)
        log = {a.id: a for a in session.world.actions_log}
        for rec in sorted(j.results, key=lambda r: r.get("seq", 0)):
            a = log.get(rec.get("seq"))
            if a is None:
                return ReplayReport(name, False, j.end is None, f"result {rec.get('seq')}: no such command in the replay", checked, session.outcome())
            got = {"status": a.status, "t": a.finished_at, "result": a.result}
            want = {"status": rec.get("status"), "t": rec.get("t"), "result": rec.get("result")}
            if got != want:
                diff = _first_difference(want, got, prefix=f"result of command {a.id} ({a.command.text})")
                return ReplayReport(name, False, j.end is None, diff, checked, session.outcome())
        outcome = session.outcome()
        if j.end is None:
            return ReplayReport(name, True, True, None, checked, outcome)
        diff = _end_difference(j.end, session, outcome) or _first_difference(j.end["outcome"], outcome.to_dict())
        return ReplayReport(name, diff is None, False, diff, checked, outcome)
    finally:
        session.close()


__all__ = ["ReplayReport", "replay", "SessionError"]
