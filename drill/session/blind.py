"""Blind policies: strategies that use no information about the incident.

A drill teaches what its score rewards. If a loop of cancels, stopping everything and walking
away, or restarting on a timer earned the grades that diagnosis earns, trainees would learn the
loop. Every scenario is therefore checked against these policies over many seeds (the test suite
and `drill selftest` run them): none may grade above the scenario's `scoring.blind_best_grade`.

A policy is built for a scenario from what any trainee knows before the drill starts (its clock,
its fleet's size, the controls the difficulty offers) and nothing else. Policies that choose at
random draw from their own stream of the drill's seed, so a run is repeatable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from drill.commands import Command
from drill.scenario.schema import Scenario
from drill.session.script import ScriptLine
from drill.sim.rng import stream

MINUTE_MS = 60_000


@dataclass(frozen=True)
class BlindPolicy:
    name: str
    description: str
    needs: tuple[str, ...]  # the controls it uses: skipped where the difficulty lacks one
    randomised: bool  # chooses at random: judged on its expected score, not seed by seed
    build: Callable[[Scenario, int], list[tuple[int, Command]]]


def first_moment(spec: Scenario) -> int:
    """The earliest instant a blind trainee acts: when the clock starts, or at the open."""
    return max(spec.clock.start, spec.clock.open)


def _every(
    spec: Scenario, period_ms: int, *commands: Command, gap_ms: int = 0, end: int | None = None
) -> list[tuple[int, Command]]:
    """The commands repeated every period from the first moment to `end` (by default the
    scenario's end), each `gap_ms` apart."""
    out = []
    t = first_moment(spec)
    stop = spec.clock.end if end is None else end
    while t + gap_ms * (len(commands) - 1) < stop:
        out += [(t + i * gap_ms, c) for i, c in enumerate(commands)]
        t += period_ms
    return out


def _cmd(text: str) -> Command:
    verb, *args = text.split()
    return Command(verb, tuple(args))


def _random_half(spec: Scenario, seed: int) -> list[tuple[int, Command]]:
    servers = spec.fleet.servers
    rng = stream(seed, "blind:random-stops")
    k = max(1, -(-len(servers) // 2))
    picks = sorted(rng.choice(len(servers), size=k, replace=False).tolist())
    return [(first_moment(spec), _cmd(f"stop {servers[i]}")) for i in picks]


POLICIES: tuple[BlindPolicy, ...] = (
    BlindPolicy(
        "cancel-every-30s",
        "cancel every open order every 30 seconds, to the end",
        ("cancel-open",),
        False,
        lambda s, _: _every(s, 30_000, _cmd("cancel-open")),
    ),
    BlindPolicy(
        "cancel-every-2m",
        "cancel every open order every 2 minutes, to the end",
        ("cancel-open",),
        False,
        lambda s, _: _every(s, 2 * MINUTE_MS, _cmd("cancel-open")),
    ),
    BlindPolicy(
        "offset-every-30s",
        "offset every open order every 30 seconds, to the end",
        ("offset",),
        False,
        lambda s, _: _every(s, 30_000, _cmd("offset")),
    ),
    BlindPolicy(
        "stop-all-walk-away",
        "stop everything at once and never restore it",
        ("stop-all",),
        False,
        lambda s, _: [(first_moment(s), _cmd("stop-all"))],
    ),
    BlindPolicy(
        "restart-loop",
        "stop everything, start it again 5 minutes later, every 10 minutes",
        ("stop-all", "start-all"),
        False,
        lambda s, _: _every(s, 10 * MINUTE_MS, _cmd("stop-all"), _cmd("start-all"), gap_ms=5 * MINUTE_MS),
    ),
    BlindPolicy(
        "kill-switch-walk-away",
        "throw the kill switch at once and never reconnect",
        ("kill-switch",),
        False,
        lambda s, _: [(first_moment(s), _cmd("kill-switch"))],
    ),
    BlindPolicy(
        "kill-switch-loop",
        "kill switch, reconnect 3 minutes later, every 6 minutes",
        ("kill-switch", "start-all"),
        False,
        lambda s, _: _every(s, 6 * MINUTE_MS, _cmd("kill-switch"), _cmd("start-all"), gap_ms=3 * MINUTE_MS),
    ),
    BlindPolicy(
        "rollback-then-stop",
        "roll the fleet back, then stop everything",
        ("rollback", "stop-all"),
        False,
        lambda s, _: [(first_moment(s), _cmd("rollback")), (first_moment(s) + 3 * MINUTE_MS, _cmd("stop-all"))],
    ),
    BlindPolicy(
        "redeploy-everything",
        "deploy the intended release to every server at once, whatever it runs",
        ("deploy",),
        False,
        lambda s, _: [(first_moment(s) + i * 1_000, _cmd(f"deploy {name}")) for i, name in enumerate(s.fleet.servers)],
    ),
    BlindPolicy(
        "cancel-loop-then-stop-late",
        "cancel every open order every 30 seconds, then stop everything in the last minute",
        ("cancel-open", "stop-all"),
        False,
        lambda s, _: [
            *_every(s, 30_000, _cmd("cancel-open"), end=s.clock.end - MINUTE_MS),
            (s.clock.end - MINUTE_MS, _cmd("stop-all")),
        ],
    ),
    BlindPolicy("random-stops", "stop half the fleet, chosen at random, and walk away", ("stop",), True, _random_half),
    BlindPolicy(
        "resolve-at-once",
        "declare the incident resolved at once",
        ("resolve",),
        False,
        lambda s, _: [(first_moment(s), _cmd("resolve"))],
    ),
)


def policies_for(spec: Scenario, difficulty: str) -> list[BlindPolicy]:
    """The blind policies this difficulty's controls allow."""
    controls = set(spec.difficulties[difficulty].controls)
    return [p for p in POLICIES if set(p.needs) <= controls]


def policy_lines(policy: BlindPolicy, spec: Scenario, seed: int) -> list[ScriptLine]:
    return [ScriptLine(i, at, cmd) for i, (at, cmd) in enumerate(policy.build(spec, seed), 1)]
