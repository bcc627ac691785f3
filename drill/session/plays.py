"""Plays: the actions scripts a scenario ships (no action, the best known play, tempting
mistakes, the historical play). They may name the truth through placeholders, so that the same
play works in every seed's variant: {faulty_server} is the (first) server that missed the deploy
(drill.sim.world.faulty_placeholders, as in hints, lessons and the timeline)."""

from __future__ import annotations

from drill.scenario.loader import LoadedScenario
from drill.session.headless import run_script
from drill.session.scoring import Outcome
from drill.session.script import ScriptLine, parse_script
from drill.sim.world import faulty_placeholders, fill_placeholders, order_times, pick_missed
from drill.timefmt import fmt_clock

REPLY_S = 3  # how long after a scheduled order arrives an informed play answers it


def substitutions(scenario: LoadedScenario, seed: int | None) -> dict[str, str]:
    """Placeholders a play may use to name the truth of a seed's variant: the faulty server(s),
    and `{after:ORDER}`, a moment just after a scheduled order arrives (never before the
    trainee's clock starts)."""
    spec = scenario.spec
    seed = spec.seed if seed is None else seed
    missed = pick_missed(spec, seed)
    subs = faulty_placeholders(missed)
    for at, order in zip(order_times(spec, seed), spec.orders):
        subs[f"{{after:{order.name}}}"] = fmt_clock(max(spec.clock.start, at + REPLY_S * 1000))
    return subs


def play_lines(scenario: LoadedScenario, name: str, seed: int | None) -> list[ScriptLine]:
    play = scenario.spec.plays[name]
    path = scenario.directory / play.file
    text = path.read_text(encoding="utf-8")
    return parse_script(fill_placeholders(text, substitutions(scenario, seed)), str(path))


def play_difficulties(scenario: LoadedScenario, name: str) -> list[str]:
    play = scenario.spec.plays[name]
    return list(play.difficulties) or list(scenario.spec.difficulties)


def run_play(
    scenario: LoadedScenario, name: str, difficulty: str | None = None, seed: int | None = None, journal=None
) -> Outcome:
    path = scenario.directory / scenario.spec.plays[name].file
    return run_script(scenario, difficulty, seed, play_lines(scenario, name, seed), journal, str(path))


def plays_with_role(scenario: LoadedScenario, role: str, difficulty: str) -> list[str]:
    return [
        n for n, p in scenario.spec.plays.items() if p.role == role and difficulty in play_difficulties(scenario, n)
    ]


def check_expectations(scenario: LoadedScenario, name: str, outcome: Outcome) -> list[str]:
    """What about this outcome breaks the play's expected bounds (empty when it holds)."""
    e = scenario.spec.plays[name].expect
    problems = []
    if e.contained is not None and outcome.contained != e.contained:
        problems.append(f"contained is {outcome.contained}, expected {e.contained}")
    if e.bankrupt is not None and outcome.bankrupt != e.bankrupt:
        problems.append(f"bankrupt is {outcome.bankrupt}, expected {e.bankrupt}")
    if e.min_loss_usd is not None and outcome.loss_usd < e.min_loss_usd:
        problems.append(f"loss ${outcome.loss_usd:,.0f} below the expected minimum ${e.min_loss_usd:,.0f}")
    if e.max_loss_usd is not None and outcome.loss_usd > e.max_loss_usd:
        problems.append(f"loss ${outcome.loss_usd:,.0f} above the expected maximum ${e.max_loss_usd:,.0f}")
    if e.max_score_usd is not None and outcome.score_usd > e.max_score_usd:
        problems.append(f"score ${outcome.score_usd:,.0f} above the expected maximum ${e.max_score_usd:,.0f}")
    return problems
