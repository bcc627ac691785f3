"""Scenario self-tests: every play shipped with every bundled scenario, in each of its
difficulties, lands inside its expected bounds, under the scenario's seed and (in the default
difficulty) a variant's."""

import pytest

from drill.scenario import bundled_ids, load
from drill.session.plays import check_expectations, play_difficulties, run_play

CASES = [(sid, name, diff) for sid in bundled_ids() for name in load(sid).spec.plays
         for diff in play_difficulties(load(sid), name)]


@pytest.fixture
def outcome(shared_runs):
    """A play's outcome, simulated once per test session: the best-play comparison below reads
    every play's run from the bounds tests, whichever worker ran them (tests/conftest.py)."""
    def play_outcome(sid, play, difficulty, seed=None):
        return shared_runs.get(("run_play", sid, play, difficulty, seed), lambda: run_play(load(sid), play, difficulty, seed))
    return play_outcome


@pytest.mark.parametrize("sid, play, difficulty", CASES, ids=[f"{s}-{p}-{d}" for s, p, d in CASES])
def test_play_lands_inside_its_bounds(sid, play, difficulty, outcome):
    sc = load(sid)
    assert check_expectations(sc, play, outcome(sid, play, difficulty)) == []
    if difficulty == sc.spec.default_difficulty:  # and in another seed's variant
        assert check_expectations(sc, play, outcome(sid, play, difficulty, 7)) == []


@pytest.mark.parametrize("sid", bundled_ids())
def test_the_best_play_is_never_worse_than_the_other_plays(sid, outcome):
    sc = load(sid)
    for diff in sc.spec.difficulties:
        scores = {n: outcome(sid, n, diff).score_usd for n in sc.spec.plays if diff in play_difficulties(sc, n)}
        best = min(scores[n] for n, p in sc.spec.plays.items() if p.role == "best" and n in scores)
        assert best <= min(scores.values())


@pytest.mark.parametrize("sid", [s for s in bundled_ids() if load(s).spec.calibration])
def test_historical_play_reproduces_every_figure_the_scenario_cites(sid):
    from drill.session.calibrate import calibrate

    rows = calibrate(load(sid))
    assert rows and all(r.ok for r in rows), [r for r in rows if not r.ok]
