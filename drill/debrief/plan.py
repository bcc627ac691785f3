"""What the debrief re-simulates, as jobs: the trainee's own journal, the counterfactuals (edited
journals) and the reference plays. The rules, in full, are in docs/debrief.md.

(a) earliest effective containment: every containment move the difficulty offers, issued at the
    first moment the fault was visible; the cheapest one that contains wins.
(b) the trainee's play without each group of commands that could change the market (identical
    commands together); kept where removing it lowers the score (the commands made things worse).
(c) the trainee's play with the commands that contained (and those they depend on) moved 1, 5 and
    10 minutes earlier; titled from the re-simulated outcome, never from the intent.
(d) the scenario's historical play, and its best play, for the same difficulty and seed.

The facilitator's commands (speed, pause, inject, push-hint) are replayed as the facilitator's in
every re-simulation, at their own times: no edit removes or moves them.

However long the journal, the plan stays within MAX_RESIMULATIONS (see `budget`).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from drill.commands import VERBS
from drill.debrief.sim import STEP_MS, SimSpec
from drill.scenario.behaviours import FAULTY_BEHAVIOURS
from drill.scenario.loader import LoadedScenario
from drill.session.journal import Journal
from drill.session.plays import play_lines, plays_with_role, substitutions
from drill.session.replay import who_of
from drill.timefmt import fmt_clock, fmt_duration, parse_clock

# Commands that cannot change the market: no need to re-simulate a play without them.
PASSIVE = {"ack", "hint", "resolve"}
EARLIER_MINUTES = (1, 5, 10)
FACILITATOR = "facilitator"

# The budget of re-simulations, whatever the journal's length: each kind of job has its own cap.
MAX_WITHOUT = 8  # groups of commands removed one group at a time (the rest are ranked out)
MAX_MOVES = 8  # containment moves tried for the earliest effective containment
MAX_PLAYS_PER_ROLE = 2  # historical and best plays
MAX_RESIMULATIONS = 1 + 1 + 2 * MAX_PLAYS_PER_ROLE + MAX_MOVES + MAX_WITHOUT + len(EARLIER_MINUTES)  # + trainee, probe


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

    commands: tuple[dict, ...]  # seq, t, command, status, finished_t, by (trainee or facilitator)
    outcome: dict
    phases: tuple[tuple[int, str], ...]

    @property
    def trainee(self) -> tuple[dict, ...]:
        return tuple(c for c in self.commands if c["by"] != FACILITATOR)

    @property
    def steering(self) -> tuple[dict, ...]:
        """The facilitator's commands: replayed in every re-simulation, never edited."""
        return tuple(c for c in self.commands if c["by"] == FACILITATOR)


def base(sc: LoadedScenario, difficulty: str, seed: int, **kw) -> SimSpec:
    return SimSpec(sc.id, str(sc.directory), sc.content_hash, difficulty, seed, **kw)


def journal_end(journal: Journal) -> int | None:
    """Where a re-simulation of this journal stops early: the instant the trainee quit, or the last
    record of a journal cut short (a killed drill). None: it ran to its end."""
    if journal.end is not None:
        return journal.end["t"] if journal.end.get("reason") == "abandoned" else None
    times = [r["t"] for r in journal.commands] + [r["t"] for r in journal.results if isinstance(r.get("t"), int)]
    return max(times, default=0) + 1


def entry(c: dict) -> tuple:
    """A command as a SimSpec holds it: (t, text) for the trainee's, (t, text, "facilitator") for the
    facilitator's, so a re-simulation submits it as the facilitator did."""
    return (c["t"], c["command"], FACILITATOR) if c.get("by") == FACILITATOR else (c["t"], c["command"])


def trainee_spec(sc: LoadedScenario, journal: Journal) -> SimSpec:
    h = journal.header
    return base(
        sc,
        h["difficulty"],
        h["seed"],
        commands=tuple(entry(c) for c in journal.commands),
        abandon_at=journal_end(journal),
        events=True,
    )


def facts_from_journal(journal: Journal) -> Facts | None:
    if journal.end is None:
        return None
    results = {r.get("seq"): r for r in journal.results}
    cmds = []
    for c in journal.commands:
        r = results.get(c["seq"], {})
        cmds.append(
            {
                "seq": c["seq"],
                "t": c["t"],
                "command": c["command"],
                "status": r.get("status", "unfinished"),
                "finished_t": r.get("t") if isinstance(r.get("t"), int) else None,
                "by": c.get("by", "trainee"),
                "who": who_of(c),  # "Ann (operator)" on a drill worked by a crew
            }
        )
    outcome = journal.end["outcome"]
    phases = tuple((parse_clock(p["at"]), p["phase"]) for p in outcome.get("phases", []))
    return Facts(tuple(cmds), outcome, phases)


def facts_from_result(result: dict) -> Facts:
    cmds = tuple(
        {
            "seq": a["seq"],
            "t": a["t"],
            "command": a["command"],
            "status": a["status"],
            "finished_t": a["finished_t"],
            "by": a.get("by", "trainee"),
        }
        for a in result["actions"]
    )
    return Facts(cmds, result["outcome"], tuple((t, p) for t, p in result["phases"]))


def can_change_market(cmd: dict) -> bool:
    """A trainee's command that could change the market: what the debrief's edits remove or move.
    The facilitator's commands are never edited, whatever they do."""
    verb = cmd["command"].split()[0]
    v = VERBS.get(verb)
    return (
        v is not None
        and v.role == "trainee"
        and cmd.get("by", "trainee") != FACILITATOR
        and not v.diagnostic
        and verb not in PASSIVE
        and cmd["status"] != "refused"
    )


# pause, resume and speed only change how fast the console's clock runs (the session journals them
# and changes nothing in the world); the facilitator's other verbs change what the world holds.
CLOCK_ONLY = {"pause", "resume", "speed"}


def steers_world(cmd: dict) -> bool:
    return cmd.get("by") == FACILITATOR and cmd["command"].split()[0] not in CLOCK_ONLY


def faulty_servers(sc: LoadedScenario, seed: int) -> list[str]:
    subs = substitutions(sc, seed)
    numbered = sorted(
        (int(m.group(1)), v) for k, v in subs.items() if (m := re.fullmatch(r"\{faulty_server_(\d+)\}", k))
    )
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
    return moves[:MAX_MOVES]


def probe_job(sc: LoadedScenario, difficulty: str, seed: int) -> Job:
    return Job("probe", "probe", "when the fault became visible", base(sc, difficulty, seed, probe_only=True))


def candidate_jobs(
    sc: LoadedScenario,
    difficulty: str,
    seed: int,
    visible: dict,
    prefix: tuple[tuple[int, str], ...] = (),
    steering: tuple[tuple, ...] = (),
) -> list[Job]:
    """Every containment move, issued the moment the fault showed (`visible["t"]`), as an edited
    journal: `prefix` (the trainee's commands that can change the market and came before that
    moment; empty for the untouched drill, the same for every trainee) and then the move's steps,
    each when the previous one's action has had its time. Judged a tick after its last step.
    `steering`: the facilitator's commands that changed the world, replayed at their own times."""
    jobs = []
    for label, steps in containment_moves(sc, difficulty, seed):
        t = visible["t"]
        cmds = [c for c in prefix if c[0] < t]
        last = t
        for step in steps:
            cmds.extend((t, c) for c in step)
            last = t
            t += max(sc.spec.action_ms(difficulty, c.split()[0]) for c in step)
        judge = t + STEP_MS + 1  # the last step's action has finished, and the world has ticked
        if steering:  # the facilitator's first at an equal instant: they acted, the trainee reacts
            cmds = sorted([*steering, *cmds], key=lambda c: (c[0], len(c) == 2))
        jobs.append(
            Job(
                f"candidate:{label}",
                "candidate",
                label,
                base(sc, difficulty, seed, commands=tuple(cmds), judge_at=judge),
                {"move": label, "visible": visible, "issued_t": visible["t"], "last_step_t": last},
            )
        )
    return jobs


def play_jobs(sc: LoadedScenario, difficulty: str, seed: int) -> list[Job]:
    jobs: list[Job] = []
    for role in ("historical", "best"):
        for name in plays_with_role(sc, role, difficulty):
            lines = play_lines(sc, name, seed)
            play = sc.spec.plays[name]
            label = f"{'Historical' if role == 'historical' else 'Best'} play: {play.description or name}"
            if sum(1 for j in jobs if j.meta["role"] == role) >= MAX_PLAYS_PER_ROLE:
                break
            jobs.append(
                Job(
                    f"play:{name}",
                    "play",
                    label,
                    base(sc, difficulty, seed, commands=tuple((sl.at, sl.command.text) for sl in lines)),
                    {"role": role, "name": name},
                )
            )
    return jobs


def market_commands(facts: Facts) -> tuple[tuple[int, str], ...]:
    return tuple((c["t"], c["command"]) for c in facts.commands if can_change_market(c))


def world_steering(facts: Facts) -> tuple[tuple, ...]:
    """The facilitator's commands that changed the world (an inject, a pushed hint), as SimSpec entries."""
    return tuple(entry(c) for c in facts.commands if steers_world(c))


def touched_before(facts: Facts, untouched_visible: dict | None) -> bool:
    """Whether the trainee changed the market before the fault showed in the untouched drill. If not,
    the trainee's world is the untouched one up to that moment: the fault showed at the same moment
    on the trainee's screen, and the containment moves are the same for every such trainee. A drill
    the facilitator steered (an inject, a pushed hint) is never the untouched one."""
    if world_steering(facts):
        return True
    market = market_commands(facts)
    return bool(market) and (untouched_visible is None or any(t < untouched_visible["t"] for t, _ in market))


@dataclass(frozen=True)
class Group:
    """Commands removed together by one "without" what-if: identical commands (300 `cancel-open` are
    one group), or, when there are more groups than the budget allows, every command of one verb."""

    name: str  # the command text, or the verb
    commands: tuple[dict, ...]

    @property
    def seqs(self) -> tuple[int, ...]:
        return tuple(c["seq"] for c in self.commands)

    @property
    def label(self) -> str:
        first, last = self.commands[0], self.commands[-1]
        if len(self.commands) == 1:
            return f"Without {first['command']} ({fmt_clock(first['t'])})"
        return f"Without {self.name} \u00d7{len(self.commands)} ({fmt_clock(first['t'])}\u2013{fmt_clock(last['t'])})"


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def command_groups(facts: Facts) -> list[Group]:
    """The trainee's commands that can change the market, grouped: identical commands together; if
    that leaves more groups than MAX_WITHOUT, one group per verb. In the order each group began."""
    market = [c for c in facts.commands if can_change_market(c)]
    for key in (lambda c: _norm(c["command"]), lambda c: c["command"].split()[0].lower()):
        groups: dict[str, list[dict]] = {}
        for c in market:
            groups.setdefault(key(c), []).append(c)
        if len(groups) <= MAX_WITHOUT:
            break
    return [Group(name, tuple(cs)) for name, cs in groups.items()]


def needs_ranking(facts: Facts) -> bool:
    """More groups than the budget: which to re-simulate is chosen from the trainee's own run."""
    return len(command_groups(facts)) > MAX_WITHOUT


EFFECT_WINDOW_MS = 60_000


def effect_estimate(group: Group, curve: list) -> float:
    """How much a group of commands seemed to change the drill, read off the trainee's own loss curve
    (points every 10 s of market: t, loss, gross exposure): for each command, how much the loss's
    pace and the exposure changed across it (the minute before it against the minute after it
    finished). Only for ranking: what the group was worth is the re-simulation's to say."""
    if not curve:
        return 0.0
    ts = [p[0] for p in curve]

    def at(t: int) -> tuple[float, float]:
        i = max(0, bisect.bisect_right(ts, t) - 1)
        return float(curve[i][1]), float(curve[i][2])

    total = 0.0
    for c in group.commands:
        t0, t1 = c["t"], c["finished_t"] if c["finished_t"] is not None else c["t"]
        (l0, e0), (l1, e1) = at(t0 - EFFECT_WINDOW_MS), at(t0)
        (l2, e2), (l3, e3) = at(t1), at(t1 + EFFECT_WINDOW_MS)
        total += abs((l3 - l2) - (l1 - l0)) + abs((e3 - e2) - (e1 - e0))
    return total


def without_groups(facts: Facts, curve: list | None = None) -> list[Group]:
    """The groups to re-simulate without: all of them within the budget; beyond it the MAX_WITHOUT
    that changed the trainee's loss curve most (the commands that contained always among them)."""
    groups = command_groups(facts)
    if len(groups) <= MAX_WITHOUT:
        return groups
    containing = {c["seq"] for c in containing_commands(facts)}
    ranked = sorted(
        groups, key=lambda g: (not containing & set(g.seqs), -effect_estimate(g, curve or []), g.commands[0]["t"])
    )
    keep = {id(g) for g in ranked[:MAX_WITHOUT]}
    return [g for g in groups if id(g) in keep]


def without_jobs(trainee: SimSpec, facts: Facts, curve: list | None = None) -> list[Job]:
    jobs = []
    for g in without_groups(facts, curve):
        gone = set(g.seqs)
        cmds = tuple(entry(r) for r in facts.commands if r["seq"] not in gone)
        spec = SimSpec(**{**_fields(trainee), "commands": cmds, "events": False})
        first = g.commands[0]
        jobs.append(
            Job(
                f"without:{first['seq']}",
                "without",
                g.label,
                spec,
                {
                    "seq": first["seq"],
                    "seqs": g.seqs,
                    "command": g.name if len(g.seqs) > 1 else first["command"],
                    "count": len(g.seqs),
                    "t": first["t"],
                },
            )
        )
    return jobs


# The incident's state is updated once a tick (every TICK_MS): a command whose action changed the
# world between two ticks shows as containment at the second.
TICK_MS = 1000


def _contained_tick(facts: Facts) -> int | None:
    """The tick at which the final containment came, or None (never contained, or re-opened after)."""
    if not facts.outcome.get("contained"):
        return None
    contained = [t for t, p in facts.phases if p == "contained"]
    if not contained or any(p == "re-opened" and t > contained[-1] for t, p in facts.phases):
        return None
    return contained[-1]


def containing_commands(facts: Facts) -> list[dict]:
    """The commands whose action turned the hazard off: of the trainee's commands that can change
    the market, those that changed the world in the tick before the final containment (an action
    changes it as it starts, e.g. a deploy taking its server out, or as it finishes, e.g. a stop).
    If none did (a staged rollout or rollback acts part-way), those still running across that tick.
    Empty when the drill was not contained, or containment came from no command (the faulty order
    simply ran out)."""
    tc = _contained_tick(facts)
    if tc is None:
        return []
    # Accepted commands, finished or not (a deploy contains as it starts; the drill may end before it finishes).
    cmds = [c for c in facts.commands if can_change_market(c) and c["t"] <= tc]

    def moments(c: dict) -> list[int]:
        return [c["t"]] + ([c["finished_t"]] if c["finished_t"] is not None else [])

    for slack in (TICK_MS, 2 * TICK_MS):  # a tick, or two where the world's update came a tick late
        changed = [c for c in cmds if any(tc - slack < e <= tc for e in moments(c))]
        if changed:
            return changed
    return [c for c in cmds if c["finished_t"] is None or tc <= c["finished_t"]]


def containing_command(facts: Facts) -> dict | None:
    """The latest of `containing_commands` (None when there is none)."""
    found = containing_commands(facts)
    return max(found, key=lambda c: (c["t"], c["seq"])) if found else None


def moved_block(facts: Facts, minutes: int) -> list[dict]:
    """What moves when containment is moved `minutes` earlier: the containing commands, and every
    market command of the trainee within `minutes` before the earliest of those already moving
    (repeated until nothing more joins). Shifting that block by at most `minutes` keeps every
    command in its order: a command that stays was more than `minutes` before all that move, so what
    it made possible (a disable-flag before a cancel-open) still comes first."""
    block = {c["seq"]: c for c in containing_commands(facts)}
    if not block:
        return []
    latest = max(c["t"] for c in block.values())
    earliest = min(c["t"] for c in block.values())
    # Newest first: once one is out of reach, every older one is too (one pass, however long the journal).
    for c in sorted(
        (c for c in facts.commands if can_change_market(c) and c["t"] <= latest),
        key=lambda c: (c["t"], c["seq"]),
        reverse=True,
    ):
        if c["t"] < earliest - minutes * 60_000:
            break
        block[c["seq"]] = c
        earliest = min(earliest, c["t"])
    return sorted(block.values(), key=lambda c: (c["t"], c["seq"]))


def _moved_text(moved: list[dict], containing: list[dict]) -> str:
    """What moved, for a title: every command when there are few, else the ones that contained."""
    if len(moved) <= 3:
        return ", then ".join(c["command"] for c in moved)
    others = len(moved) - len(containing)
    return (
        " + ".join(c["command"] for c in containing)
        + f" (and {others} command{'s' if others != 1 else ''} before {'it' if len(containing) == 1 else 'them'})"
    )


def earlier_jobs(sc: LoadedScenario, trainee: SimSpec, facts: Facts) -> list[Job]:
    """The commands that contained, with what they depend on, moved 1, 5 and 10 minutes earlier
    (clamped to the clock's start: the whole block moves by the same amount; amounts that clamp to
    the same shift run once). The job's label is what was tried; the counterfactual's title comes
    from its outcome (`earlier_title`)."""
    containing = containing_commands(facts)
    if not containing:
        return []
    start = sc.spec.clock.start
    jobs, seen = [], set()
    for minutes in EARLIER_MINUTES:
        block = moved_block(facts, minutes)
        first = block[0]["t"]
        shift = min(minutes * 60_000, first - start)
        if shift <= 0 or shift in seen:
            continue
        seen.add(shift)
        moving = {c["seq"] for c in block}
        ordered = sorted(
            ((c["t"] - shift if c["seq"] in moving else c["t"], i, entry(c)) for i, c in enumerate(facts.commands))
        )
        cmds = tuple((t, *e[1:]) for t, _, e in ordered)
        clamped = shift < minutes * 60_000
        what = _moved_text(block, containing)
        label = f"Your containment {minutes} min sooner: {what}" + (
            " (clamped to the clock's start)" if clamped else ""
        )
        spec = SimSpec(**{**_fields(trainee), "commands": cmds, "events": False})
        primary = max(containing, key=lambda c: (c["t"], c["seq"]))
        jobs.append(
            Job(
                f"earlier:{minutes}",
                "earlier",
                label,
                spec,
                {
                    "minutes": minutes,
                    "shift_ms": shift,
                    "command": primary["command"],
                    "what": what,
                    "moved": [c["seq"] for c in block],
                    "from_t": primary["t"],
                    "to_t": primary["t"] - shift,
                    "first_to_t": first - shift,
                    "clamped": clamped,
                },
            )
        )
    return jobs


def earlier_title(job: Job, result: dict, trainee_outcome: dict) -> tuple[str, bool]:
    """The title a moved-earlier what-if has earned, from its re-simulated outcome; and whether it
    is a "contained earlier" (contained, not re-opened after, and at an earlier moment than the
    trainee's own containment)."""
    m = job.meta
    o = result["outcome"]
    moved = f"{m['what']} moved {fmt_duration(m['shift_ms'])} earlier, to {fmt_clock(m['to_t'])}"
    phases = result.get("phases", [])
    reopened = [t for t, p in phases if p == "re-opened"]
    contained = [t for t, p in phases if p == "contained"]
    final = (
        bool(o.get("contained"))
        and bool(o.get("contained_at"))
        and not (reopened and (not contained or reopened[-1] > contained[-1]))
    )
    mine = trainee_outcome.get("contained_at") if trainee_outcome.get("contained") else None
    if final and mine and parse_clock(o["contained_at"]) < parse_clock(mine):
        gain = parse_clock(mine) - parse_clock(o["contained_at"])
        return f"Contained {fmt_duration(gain)} earlier ({o['contained_at']} instead of {mine}): {moved}", True
    if not final:
        return f"Not contained with {moved}", False
    return f"Contained no earlier ({o['contained_at']}, yours {mine}) with {moved}", False


def _fields(spec: SimSpec) -> dict:
    return {f: getattr(spec, f) for f in spec.__dataclass_fields__}


# What runs first: the trainee's own drill and the probe decide what else is planned.
SUBMIT_ORDER = {"trainee": 0, "probe": 1, "without": 2, "earlier": 2, "play": 3, "candidate": 4}
GATES = ("trainee", "probe")


def branch_groups(jobs: list[Job], workers: int = 2) -> list[list[Job]]:
    """The jobs as groups that run together in one worker, branching from the states they share
    (`sim.run_group`): those whose first command is the same (the trainee's edits usually are: they
    share the trainee's drill up to the command they change). A group runs its branches one after
    another, so none is larger than an even share of the jobs over twice the workers (split between
    neighbours, which share the most). The trainee's own drill and the probe run alone and first,
    since the rest of the plan waits for them. Larger groups go first, so the workers finish
    together."""
    cap = max(1, -(-len(jobs) // (2 * workers)))
    shared: dict[tuple, list[Job]] = {}
    for j in jobs:
        alone = j.kind in GATES or j.spec.probe_only or not j.spec.commands
        root = (
            ("alone", j.id)
            if alone
            else ("shared", j.spec.scenario_hash, j.spec.difficulty, j.spec.seed, tuple(j.spec.commands[0]))
        )
        shared.setdefault(root, []).append(j)
    groups: dict[tuple, list[Job]] = {}
    for root, members in shared.items():
        members = sorted(members, key=lambda j: j.spec.commands)
        for k in range(0, len(members), cap):
            groups[(*root, k)] = members[k : k + cap]

    def rank(g: list[Job]) -> tuple:
        first = min(SUBMIT_ORDER.get(j.kind, 9) for j in g)
        return (0 if first < SUBMIT_ORDER["without"] else 1, -len(g), first)

    return sorted(groups.values(), key=rank)
