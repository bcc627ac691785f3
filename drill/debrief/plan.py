"""What the debrief re-simulates, as jobs: the trainee's own journal, the counterfactuals (edited
journals) and the reference plays. The rules, in full, are in docs/debrief.md.

(a) earliest effective containment: every containment move the difficulty offers, issued at the
    first moment the fault was visible; the cheapest one that contains wins.
(b) the trainee's play without each command that could change the market; kept where removing it
    lowers the score (the command made things worse).
(c) the trainee's play with the command that contained moved 1, 5 and 10 minutes earlier.
(d) the scenario's historical play, and its best play, for the same difficulty and seed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from drill.commands import VERBS
from drill.scenario.loader import LoadedScenario
from drill.session.journal import Journal
from drill.session.plays import play_lines, plays_with_role, substitutions
from drill.debrief.sim import STEP_MS, SimSpec
from drill.timefmt import fmt_clock, parse_clock

# Commands that cannot change the market: no need to re-simulate a play without them.
PASSIVE = {"ack", "hint", "resolve"}
EARLIER_MINUTES = (1, 5, 10)

try:  # the engine's list of faulty code paths (older engines knew only the runaway)
    from drill.scenario.schema import FAULTY_BEHAVIOURS
except ImportError:  # pragma: no cover
    FAULTY_BEHAVIOURS = {"runaway_untracked"}


@dataclass
class Job:
    id: str  # unique within one debrief
    kind: str  # trainee, probe, candidate, without, earlier, play
    label: str
    spec: SimSpec
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Facts:
    """What the trainee did and how it ended, in sim milliseconds."""

    commands: tuple[dict, ...]  # seq, t, command, status, finished_t
    outcome: dict
    phases: tuple[tuple[int, str], ...]


def base(sc: LoadedScenario, difficulty: str, seed: int, **kw) -> SimSpec:
    return SimSpec(sc.id, str(sc.directory), sc.content_hash, difficulty, seed, **kw)


def journal_end(journal: Journal) -> int | None:
    """Where a re-simulation of this journal stops early: the instant the trainee quit, or the last
    record of a journal cut short (a killed drill). None: it ran to its end."""
    if journal.end is not None:
        return journal.end["t"] if journal.end.get("reason") == "abandoned" else None
    times = [r["t"] for r in journal.commands] + [r["t"] for r in journal.results if isinstance(r.get("t"), int)]
    return max(times, default=0) + 1


def trainee_spec(sc: LoadedScenario, journal: Journal) -> SimSpec:
    h = journal.header
    return base(sc, h["difficulty"], h["seed"], commands=tuple((c["t"], c["command"]) for c in journal.commands),
                abandon_at=journal_end(journal), events=True)


def facts_from_journal(journal: Journal) -> Facts | None:
    if journal.end is None:
        return None
    results = {r.get("seq"): r for r in journal.results}
    cmds = []
    for c in journal.commands:
        r = results.get(c["seq"], {})
        cmds.append({"seq": c["seq"], "t": c["t"], "command": c["command"], "status": r.get("status", "unfinished"),
                     "finished_t": r.get("t") if isinstance(r.get("t"), int) else None})
    outcome = journal.end["outcome"]
    phases = tuple((parse_clock(p["at"]), p["phase"]) for p in outcome.get("phases", []))
    return Facts(tuple(cmds), outcome, phases)


def facts_from_result(result: dict) -> Facts:
    cmds = tuple({"seq": a["seq"], "t": a["t"], "command": a["command"], "status": a["status"],
                  "finished_t": a["finished_t"]} for a in result["actions"])
    return Facts(cmds, result["outcome"], tuple((t, p) for t, p in result["phases"]))


def can_change_market(cmd: dict) -> bool:
    verb = cmd["command"].split()[0]
    v = VERBS.get(verb)
    return v is not None and not v.diagnostic and verb not in PASSIVE and cmd["status"] != "refused"


def faulty_servers(sc: LoadedScenario, seed: int) -> list[str]:
    subs = substitutions(sc, seed)
    numbered = sorted((int(m.group(1)), v) for k, v in subs.items() if (m := re.fullmatch(r"\{faulty_server_(\d+)\}", k)))
    return [v for _, v in numbered]


def faulty_flags(sc: LoadedScenario) -> list[str]:
    found = []
    for rel in sc.spec.releases:
        for name, path in rel.flags.items():
            if path.behaviour in FAULTY_BEHAVIOURS and name not in found:
                found.append(name)
    return found


def containment_moves(sc: LoadedScenario, difficulty: str, seed: int) -> list[tuple[str, tuple[tuple[str, ...], ...]]]:
    """(label, steps) for every containment move the difficulty offers. A step's commands go in
    together; the next step when the previous one's actions have had their time."""
    controls = set(sc.spec.difficulties[difficulty].controls)
    moves: list[tuple[str, tuple[tuple[str, ...], ...]]] = []

    def add(*steps: tuple[str, ...]) -> None:
        verbs = {c.split()[0] for step in steps for c in step}
        if all(v in VERBS and v in controls for v in verbs):
            label = ", then ".join(" + ".join(step) for step in steps)
            moves.append((label, steps))

    servers = faulty_servers(sc, seed)
    if servers:
        add(tuple(f"stop {s}" for s in servers))
        add(tuple(f"deploy {s}" for s in servers))
    add(("rollout 100",))
    add(("stop-all",))
    add(("kill-switch",))
    for flag in faulty_flags(sc):
        add((f"disable-flag {flag}",), ("cancel-open",))
    add(("cancel-open",))
    add(("offset",))
    return moves


def probe_job(sc: LoadedScenario, difficulty: str, seed: int) -> Job:
    return Job("probe", "probe", "when the fault became visible", base(sc, difficulty, seed, probe_only=True))


def candidate_jobs(sc: LoadedScenario, difficulty: str, seed: int, visible: dict,
                   prefix: tuple[tuple[int, str], ...] = ()) -> list[Job]:
    """Every containment move, issued the moment the fault showed (`visible["t"]`), as an edited
    journal: `prefix` (the trainee's commands that can change the market and came before that
    moment; empty for the untouched drill, the same for every trainee) and then the move's steps,
    each when the previous one's action has had its time. Judged a tick after its last step."""
    seconds = sc.spec.action_seconds
    jobs = []
    for label, steps in containment_moves(sc, difficulty, seed):
        t = visible["t"]
        cmds = [c for c in prefix if c[0] < t]
        last = t
        for step in steps:
            cmds.extend((t, c) for c in step)
            last = t
            t += max(int(seconds.get(c.split()[0], 0) * 1000) for c in step)
        judge = t + STEP_MS + 1  # the last step's action has finished, and the world has ticked
        jobs.append(Job(f"candidate:{label}", "candidate", label,
                        base(sc, difficulty, seed, commands=tuple(cmds), judge_at=judge),
                        {"move": label, "visible": visible, "issued_t": visible["t"], "last_step_t": last}))
    return jobs


def play_jobs(sc: LoadedScenario, difficulty: str, seed: int) -> list[Job]:
    jobs = []
    for role in ("historical", "best"):
        for name in plays_with_role(sc, role, difficulty):
            lines = play_lines(sc, name, seed)
            play = sc.spec.plays[name]
            label = f"{'Historical' if role == 'historical' else 'Best'} play: {play.description or name}"
            jobs.append(Job(f"play:{name}", "play", label,
                            base(sc, difficulty, seed, commands=tuple((sl.at, sl.command.text) for sl in lines)),
                            {"role": role, "name": name}))
    return jobs


def market_commands(facts: Facts) -> tuple[tuple[int, str], ...]:
    return tuple((c["t"], c["command"]) for c in facts.commands if can_change_market(c))


def touched_before(facts: Facts, untouched_visible: dict | None) -> bool:
    """Whether the trainee changed the market before the fault showed in the untouched drill. If not,
    the trainee's world is the untouched one up to that moment: the fault showed at the same moment
    on the trainee's screen, and the containment moves are the same for every such trainee."""
    market = market_commands(facts)
    return bool(market) and (untouched_visible is None or any(t < untouched_visible["t"] for t, _ in market))


def without_jobs(trainee: SimSpec, facts: Facts) -> list[Job]:
    jobs = []
    for c in facts.commands:
        if not can_change_market(c):
            continue
        cmds = tuple((r["t"], r["command"]) for r in facts.commands if r["seq"] != c["seq"])
        spec = SimSpec(**{**_fields(trainee), "commands": cmds, "events": False})
        jobs.append(Job(f"without:{c['seq']}", "without", f"Without {c['command']} ({fmt_clock(c['t'])})", spec,
                        {"seq": c["seq"], "command": c["command"], "t": c["t"]}))
    return jobs


# The incident's state is updated once a tick: containment shows at most a tick or so after the
# action that caused it has finished.
CONTAIN_SLACK_MS = 2000


def containing_command(facts: Facts) -> dict | None:
    """The command that contained the incident: of the trainee's commands that can change the
    market, the one at work when the final containment came (between its submission and a moment
    after it finished; the latest submitted if several). None when the drill was not contained, or
    containment came from no command (the faulty order simply ran out)."""
    if not facts.outcome.get("contained"):
        return None
    contained = [t for t, p in facts.phases if p == "contained"]
    if not contained or any(p == "re-opened" and t > contained[-1] for t, p in facts.phases):
        return None
    tc = contained[-1]
    at_work = [c for c in facts.commands if can_change_market(c) and c["status"] == "done"
               and c["finished_t"] is not None and c["t"] <= tc <= c["finished_t"] + CONTAIN_SLACK_MS]
    return max(at_work, key=lambda c: (c["t"], c["seq"])) if at_work else None


def earlier_jobs(sc: LoadedScenario, trainee: SimSpec, facts: Facts) -> list[Job]:
    c = containing_command(facts)
    if c is None:
        return []
    start = sc.spec.clock.start
    jobs, seen = [], set()
    for minutes in EARLIER_MINUTES:
        new_t = max(start, c["t"] - minutes * 60_000)
        if new_t >= c["t"] or new_t in seen:
            continue
        seen.add(new_t)
        rest = [(r["t"], r["command"]) for r in facts.commands if r["seq"] != c["seq"]]
        pos = sum(1 for t, _ in rest if t <= new_t)
        cmds = tuple(rest[:pos] + [(new_t, c["command"])] + rest[pos:])
        clamped = new_t == start and c["t"] - minutes * 60_000 < start
        label = (f"Contained {minutes} min earlier: {c['command']} at {fmt_clock(new_t)}"
                 + (" (the clock's start)" if clamped else "") + f" instead of {fmt_clock(c['t'])}")
        spec = SimSpec(**{**_fields(trainee), "commands": cmds, "events": False})
        jobs.append(Job(f"earlier:{minutes}", "earlier", label, spec,
                        {"minutes": minutes, "command": c["command"], "from_t": c["t"], "to_t": new_t, "clamped": clamped}))
    return jobs


def _fields(spec: SimSpec) -> dict:
    return {f: getattr(spec, f) for f in spec.__dataclass_fields__}
