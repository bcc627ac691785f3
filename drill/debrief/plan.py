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
from dataclasses import dataclass, replace

from drill.commands import VERBS
from drill.debrief.figures import (
    FACILITATOR,
    Command,
    Figures,
    Phases,
    Visible,
    commands_of_journal,
    outcome_of,
    times_of,
)
from drill.debrief.sim import STEP_MS, SimSpec
from drill.scenario.behaviours import FAULTY_BEHAVIOURS
from drill.scenario.loader import LoadedScenario
from drill.session.journal import Journal
from drill.session.plays import play_lines, plays_with_role, substitutions
from drill.session.scoring import Outcome
from drill.timefmt import fmt_clock, fmt_duration, parse_clock

# Commands that cannot change the market: no need to re-simulate a play without them.
PASSIVE = {"ack", "hint", "resolve"}
EARLIER_MINUTES = (1, 5, 10)

# The budget of re-simulations, whatever the journal's length: each kind of job has its own cap.
MAX_WITHOUT = 8  # groups of commands removed one group at a time (the rest are ranked out)
MAX_MOVES = 8  # containment moves tried for the earliest effective containment
MAX_PLAYS_PER_ROLE = 2  # historical and best plays
MAX_RESIMULATIONS = 1 + 1 + 2 * MAX_PLAYS_PER_ROLE + MAX_MOVES + MAX_WITHOUT + len(EARLIER_MINUTES)  # + trainee, probe


@dataclass(frozen=True)
class Removal:
    """A "without" job: the group of the trainee's commands it removes."""

    seq: int  # the group's first command
    seqs: tuple[int, ...]
    command: str  # the command, or what the group's commands share
    count: int
    t: int


@dataclass(frozen=True)
class Shift:
    """An "earlier" job: the commands that contained, moved earlier."""

    minutes: int
    shift_ms: int
    command: str  # the latest containing command
    what: str  # what moved, for a title
    moved: tuple[int, ...]  # seqs
    from_t: int
    to_t: int
    first_to_t: int  # where the first moved command lands
    clamped: bool


@dataclass(frozen=True)
class Move:
    """A "candidate" job: a containment move issued the moment the fault showed."""

    move: str
    visible: Visible
    issued_t: int
    last_step_t: int


@dataclass(frozen=True)
class PlayRole:
    """A "play" job: the scenario's play it runs, in its role (historical or best)."""

    role: str
    name: str


@dataclass
class Job:
    id: str  # unique within one debrief
    kind: str  # trainee, probe, candidate, without, earlier, play
    label: str
    spec: SimSpec
    meta: Removal | Shift | Move | PlayRole | None = None


@dataclass(frozen=True)
class Facts:
    """What the trainee did and how it ended, in sim milliseconds."""

    commands: tuple[Command, ...]  # the trainee's and the facilitator's
    outcome: Outcome
    phases: tuple[tuple[int, str], ...]

    @property
    def trainee(self) -> tuple[Command, ...]:
        return tuple(c for c in self.commands if not c.by_facilitator)

    @property
    def steering(self) -> tuple[Command, ...]:
        """The facilitator's commands: replayed in every re-simulation, never edited."""
        return tuple(c for c in self.commands if c.by_facilitator)

    @property
    def market(self) -> tuple[Command, ...]:
        """The trainee's commands that could change the market (`can_change_market`), in order."""
        return tuple(c for c in self.commands if can_change_market(c))


def base(sc: LoadedScenario, difficulty: str, seed: int, **kw) -> SimSpec:
    return SimSpec(sc.id, str(sc.directory), sc.content_hash, difficulty, seed, **kw)


def journal_end(journal: Journal) -> int | None:
    """Where a re-simulation of this journal stops early: the instant the trainee quit, or the last
    record of a journal cut short (a killed drill). None: it ran to its end."""
    if journal.end is not None:
        return journal.end["t"] if journal.end.get("reason") == "abandoned" else None
    times = [r["t"] for r in journal.commands] + [r["t"] for r in journal.results if isinstance(r.get("t"), int)]
    return max(times, default=0) + 1


def entry(c: Command) -> tuple:
    """A command as a SimSpec holds it: (t, text) for the trainee's, (t, text, "facilitator") for the
    facilitator's, so a re-simulation submits it as the facilitator did."""
    return (c.t, c.command, FACILITATOR) if c.by_facilitator else (c.t, c.command)


def trainee_spec(sc: LoadedScenario, journal: Journal) -> SimSpec:
    h = journal.header
    return base(
        sc,
        h["difficulty"],
        h["seed"],
        commands=tuple(entry(c) for c in commands_of_journal(journal)),
        abandon_at=journal_end(journal),
        events=True,
    )


def facts_from_journal(journal: Journal) -> Facts | None:
    if journal.end is None:
        return None
    outcome = outcome_of(journal.end["outcome"])
    phases = tuple((parse_clock(p.at), p.phase) for p in outcome.phases)
    return Facts(commands_of_journal(journal), outcome, phases)


def facts_from_result(result: Figures, journal: Journal) -> Facts:
    """The trainee's re-simulation's facts, each command with who gave it as the journal names it
    (a re-simulation replays what was done, not who did it)."""
    who = {c.seq: c.who for c in commands_of_journal(journal)}
    return Facts(tuple(replace(a, who=who.get(a.seq, "")) for a in result.actions), result.outcome, result.phases)


def can_change_market(cmd: Command) -> bool:
    """A trainee's command that could change the market: what the debrief's edits remove or move.
    The facilitator's commands are never edited, whatever they do."""
    v = VERBS.get(cmd.verb)
    return (
        v is not None
        and v.role == "trainee"
        and not cmd.by_facilitator
        and not v.diagnostic
        and cmd.verb not in PASSIVE
        and cmd.status != "refused"
    )


# pause, resume and speed only change how fast the console's clock runs (the session journals them
# and changes nothing in the world); the facilitator's other verbs change what the world holds.
CLOCK_ONLY = {"pause", "resume", "speed"}


def steers_world(cmd: Command) -> bool:
    return cmd.by_facilitator and cmd.verb not in CLOCK_ONLY


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
    visible: Visible,
    prefix: tuple[tuple[int, str], ...] = (),
    steering: tuple[tuple, ...] = (),
) -> list[Job]:
    """Every containment move, issued the moment the fault showed (`visible.t`), as an edited
    journal: `prefix` (the trainee's commands that can change the market and came before that
    moment; empty for the untouched drill, the same for every trainee) and then the move's steps,
    each when the previous one's action has had its time. Judged a tick after its last step.
    `steering`: the facilitator's commands that changed the world, replayed at their own times."""
    jobs = []
    for label, steps in containment_moves(sc, difficulty, seed):
        cmds, last, done = _steps(sc, difficulty, steps, visible.t)
        judge = done + STEP_MS + 1  # the last step's action has finished, and the world has ticked
        # The facilitator's first at an equal instant: they acted, the trainee reacts.
        cmds = sorted([*steering, *(c for c in prefix if c[0] < visible.t), *cmds], key=lambda c: (c[0], len(c) == 2))
        spec = base(sc, difficulty, seed, commands=tuple(cmds), judge_at=judge)
        jobs.append(Job(f"candidate:{label}", "candidate", label, spec, Move(label, visible, visible.t, last)))
    return jobs


def _steps(
    sc: LoadedScenario, difficulty: str, steps: tuple[tuple[str, ...], ...], t: int
) -> tuple[list[tuple[int, str]], int, int]:
    """A move's steps from `t`, each when the previous one's actions have had their time: the
    commands at their times, when the last step went in, and when its actions are done."""
    cmds: list[tuple[int, str]] = []
    last = t
    for step in steps:
        cmds.extend((t, c) for c in step)
        last = t
        t += max(sc.spec.action_ms(difficulty, c.split()[0]) for c in step)
    return cmds, last, t


def _play_job(sc: LoadedScenario, difficulty: str, seed: int, role: str, name: str) -> Job:
    play = sc.spec.plays[name]
    label = f"{ROLE_TITLE[role]} play: {play.description or name}"
    commands = tuple((sl.at, sl.command.text) for sl in play_lines(sc, name, seed))
    return Job(f"play:{name}", "play", label, base(sc, difficulty, seed, commands=commands), PlayRole(role, name))


ROLE_TITLE = {"historical": "Historical", "best": "Best"}


def play_jobs(sc: LoadedScenario, difficulty: str, seed: int) -> list[Job]:
    """The scenario's historical and best plays this difficulty offers, at most MAX_PLAYS_PER_ROLE of each."""
    return [
        _play_job(sc, difficulty, seed, role, name)
        for role in ROLE_TITLE
        for name in plays_with_role(sc, role, difficulty)[:MAX_PLAYS_PER_ROLE]
    ]


def market_commands(facts: Facts) -> tuple[tuple[int, str], ...]:
    return tuple((c.t, c.command) for c in facts.market)


def world_steering(facts: Facts) -> tuple[tuple, ...]:
    """The facilitator's commands that changed the world (an inject, a pushed hint), as SimSpec entries."""
    return tuple(entry(c) for c in facts.commands if steers_world(c))


def touched_before(facts: Facts, untouched_visible: Visible | None) -> bool:
    """Whether the trainee changed the market before the fault showed in the untouched drill. If not,
    the trainee's world is the untouched one up to that moment: the fault showed at the same moment
    on the trainee's screen, and the containment moves are the same for every such trainee. A drill
    the facilitator steered (an inject, a pushed hint) is never the untouched one."""
    if world_steering(facts):
        return True
    market = market_commands(facts)
    return bool(market) and (untouched_visible is None or any(t < untouched_visible.t for t, _ in market))


@dataclass(frozen=True)
class Group:
    """Commands removed together by one "without" what-if: identical commands (300 `cancel-open` are
    one group), or, when there are more groups than the budget allows, every command of one verb."""

    name: str  # the command text, or the verb
    commands: tuple[Command, ...]

    @property
    def seqs(self) -> tuple[int, ...]:
        return tuple(c.seq for c in self.commands)

    @property
    def label(self) -> str:
        first, last = self.commands[0], self.commands[-1]
        if len(self.commands) == 1:
            return f"Without {first.command} ({fmt_clock(first.t)})"
        return f"Without {self.name} \u00d7{len(self.commands)} ({fmt_clock(first.t)}\u2013{fmt_clock(last.t)})"


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def command_groups(facts: Facts) -> list[Group]:
    """The trainee's commands that can change the market, grouped: identical commands together; if
    that leaves more groups than MAX_WITHOUT, one group per verb. In the order each group began."""
    market = facts.market
    for key in (lambda c: _norm(c.command), lambda c: c.verb.lower()):
        groups: dict[str, list[Command]] = {}
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
        t0, t1 = c.t, c.finished_t if c.finished_t is not None else c.t
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
    containing = {c.seq for c in containing_commands(facts)}

    def rank(g: Group) -> tuple[bool, float, int]:
        """The containing commands' groups first, then those that moved the curve most, then the earliest."""
        return (not containing & set(g.seqs), -effect_estimate(g, curve or []), g.commands[0].t)

    keep = {id(g) for g in sorted(groups, key=rank)[:MAX_WITHOUT]}
    return [g for g in groups if id(g) in keep]


def _edited(trainee: SimSpec, commands: tuple[tuple, ...]) -> SimSpec:
    """The trainee's drill with other commands, and no events collected."""
    return replace(trainee, commands=commands, events=False)


def without_jobs(trainee: SimSpec, facts: Facts, curve: list | None = None) -> list[Job]:
    jobs = []
    for g in without_groups(facts, curve):
        gone = set(g.seqs)
        spec = _edited(trainee, tuple(entry(r) for r in facts.commands if r.seq not in gone))
        first = g.commands[0]
        command = g.name if len(g.seqs) > 1 else first.command
        jobs.append(
            Job(
                f"without:{first.seq}",
                "without",
                g.label,
                spec,
                Removal(first.seq, g.seqs, command, len(g.seqs), first.t),
            )
        )
    return jobs


# The incident's state is updated once a tick (every TICK_MS): a command whose action changed the
# world between two ticks shows as containment at the second.
TICK_MS = 1000


def _final_containment(phases: Phases) -> int | None:
    """When the incident was last contained, if it did not re-open after (None otherwise)."""
    contained = times_of(phases, "contained")
    if _reopened_after_containment(phases):
        return None
    return contained[-1]


def _contained_tick(facts: Facts) -> int | None:
    """The tick at which the final containment came, or None (never contained, or re-opened after)."""
    return _final_containment(facts.phases) if facts.outcome.contained else None


def _moments(c: Command) -> list[int]:
    """When a command changed the world: as it started, and as it finished if it did."""
    return [c.t] + ([c.finished_t] if c.finished_t is not None else [])


def _changed_in_tick(cmds: list[Command], tc: int) -> list[Command]:
    """The commands that changed the world in the tick before `tc`, or two where the world's update
    came a tick late."""
    for slack in (TICK_MS, 2 * TICK_MS):
        changed = [c for c in cmds if any(tc - slack < e <= tc for e in _moments(c))]
        if changed:
            return changed
    return []


def containing_commands(facts: Facts) -> list[Command]:
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
    cmds = [c for c in facts.market if c.t <= tc]
    return _changed_in_tick(cmds, tc) or [c for c in cmds if _running_at(c, tc)]


def _running_at(c: Command, t: int) -> bool:
    """Still running at `t` (or never finished)."""
    return c.finished_t is None or t <= c.finished_t


def _latest(cmds: list[Command]) -> Command:
    return max(cmds, key=_when_issued)


def containing_command(facts: Facts) -> Command | None:
    """The latest of `containing_commands` (None when there is none)."""
    found = containing_commands(facts)
    return _latest(found) if found else None


def moved_block(facts: Facts, minutes: int) -> list[Command]:
    """What moves when containment is moved `minutes` earlier: the containing commands, and every
    market command of the trainee within `minutes` before the earliest of those already moving
    (repeated until nothing more joins). Shifting that block by at most `minutes` keeps every
    command in its order: a command that stays was more than `minutes` before all that move, so what
    it made possible (a disable-flag before a cancel-open) still comes first."""
    block = {c.seq: c for c in containing_commands(facts)}
    if not block:
        return []
    earliest = min(c.t for c in block.values())
    # Newest first: once one is out of reach, every older one is too (one pass, however long the journal).
    for c in _market_newest_first(facts, max(c.t for c in block.values())):
        if c.t < earliest - minutes * 60_000:
            break
        block[c.seq] = c
        earliest = min(earliest, c.t)
    return sorted(block.values(), key=_when_issued)


def _when_issued(c: Command) -> tuple[int, int]:
    return (c.t, c.seq)


def _market_newest_first(facts: Facts, latest: int) -> list[Command]:
    """The trainee's market commands up to `latest`, newest first."""
    market = [c for c in facts.market if c.t <= latest]
    return sorted(market, key=_when_issued, reverse=True)


def _moved_text(moved: list[Command], containing: list[Command]) -> str:
    """What moved, for a title: every command when there are few, else the ones that contained."""
    if len(moved) <= 3:
        return ", then ".join(c.command for c in moved)
    others = len(moved) - len(containing)
    return (
        " + ".join(c.command for c in containing)
        + f" (and {others} command{'s' if others != 1 else ''} before {'it' if len(containing) == 1 else 'them'})"
    )


def _shifted(facts: Facts, moving: set[int], shift: int) -> tuple[tuple, ...]:
    """The drill's commands with those in `moving` issued `shift` ms earlier, in time order (a tie
    keeps the journal's order)."""
    ordered = sorted((c.t - shift if c.seq in moving else c.t, i, entry(c)) for i, c in enumerate(facts.commands))
    return tuple((t, *e[1:]) for t, _, e in ordered)


def _earlier_job(trainee: SimSpec, facts: Facts, minutes: int, shift: int, block: list[Command]) -> Job:
    """The containment moved `shift` ms earlier (`minutes` meant; less when clamped to the start)."""
    containing = containing_commands(facts)
    clamped = shift < minutes * 60_000
    what = _moved_text(block, containing)
    label = f"Your containment {minutes} min sooner: {what}" + (" (clamped to the clock's start)" if clamped else "")
    spec = _edited(trainee, _shifted(facts, {c.seq for c in block}, shift))
    primary = _latest(containing)
    first = block[0].t
    meta = Shift(
        minutes,
        shift,
        primary.command,
        what,
        tuple(c.seq for c in block),
        primary.t,
        primary.t - shift,
        first - shift,
        clamped,
    )
    return Job(f"earlier:{minutes}", "earlier", label, spec, meta)


def earlier_jobs(sc: LoadedScenario, trainee: SimSpec, facts: Facts) -> list[Job]:
    """The commands that contained, with what they depend on, moved 1, 5 and 10 minutes earlier
    (clamped to the clock's start: the whole block moves by the same amount; amounts that clamp to
    the same shift run once). The job's label is what was tried; the counterfactual's title comes
    from its outcome (`earlier_title`)."""
    if not containing_commands(facts):
        return []
    start = sc.spec.clock.start
    jobs: list[Job] = []
    shifts: set[int] = set()
    for minutes in EARLIER_MINUTES:
        block = moved_block(facts, minutes)
        shift = min(minutes * 60_000, block[0].t - start)
        if shift > 0 and shift not in shifts:
            shifts.add(shift)
            jobs.append(_earlier_job(trainee, facts, minutes, shift, block))
    return jobs


def _reopened_after_containment(phases: Phases) -> bool:
    """Never contained, or re-opened after its last containment."""
    reopened = times_of(phases, "re-opened")
    contained = times_of(phases, "contained")
    return not contained or (bool(reopened) and reopened[-1] > contained[-1])


def _finally_contained(result: Figures) -> bool:
    """Contained at the end, and not re-opened after its last containment."""
    o = result.outcome
    reopened = bool(times_of(result.phases, "re-opened"))
    return o.contained and bool(o.contained_at) and not (reopened and _reopened_after_containment(result.phases))


def earlier_title(job: Job, result: Figures, trainee_outcome: Outcome) -> tuple[str, bool]:
    """The title a moved-earlier what-if has earned, from its re-simulated outcome; and whether it
    is a "contained earlier" (contained, not re-opened after, and at an earlier moment than the
    trainee's own containment)."""
    m = job.meta
    assert isinstance(m, Shift)  # an earlier job
    at = result.outcome.contained_at
    moved = f"{m.what} moved {fmt_duration(m.shift_ms)} earlier, to {fmt_clock(m.to_t)}"
    mine = trainee_outcome.contained_at if trainee_outcome.contained else None
    if not _finally_contained(result):
        return f"Not contained with {moved}", False
    assert at is not None  # finally contained
    if mine and parse_clock(at) < parse_clock(mine):
        gain = parse_clock(mine) - parse_clock(at)
        return f"Contained {fmt_duration(gain)} earlier ({at} instead of {mine}): {moved}", True
    return f"Contained no earlier ({at}, yours {mine}) with {moved}", False


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
