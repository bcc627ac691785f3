"""The blind-policy self-test for every bundled scenario and difficulty: no strategy that uses no
information about the incident (cancel loops, stopping everything, restart loops, kill-switch
loops, rollback-then-stop, random stops, resolving at once) grades above the scenario's
`blind_best_grade` (C), and its informed best play grades above that at every seed.

The default run takes the scenario's own seed, the one its drills are played at unless a
facilitator chooses (each seed is a full drill per blind policy and per difficulty's best play:
about 22 CPU-s a seed over the four scenarios, still the largest single share of the suite);
`-m heavy` takes 20 seeds, the set the scenarios' prices were tuned against (`drill selftest
SCENARIO --seeds 20` is the same run), and `.ci/heavy` runs it before a release (docs/testing.md).
"""

from __future__ import annotations

import pytest

from drill.scenario import load
from drill.scenario.loader import bundled_ids
from drill.session.blind import policies_for
from drill.session.selftest import judge, run_selftest, selftest_seeds

DEFAULT_SEEDS = 1  # the scenario's own seed; the heavy run's 20 are the full check


def check_blind_policies(sid: str, seeds: int) -> None:
    sc = load(sid)
    verdicts = judge(sc, run_selftest(sc, selftest_seeds(sc, seeds)))
    failed = [f"{v.difficulty} {v.policy}: {v.summary}" for v in verdicts if not v.ok]
    assert not failed, "\n".join(failed)
    # Every difficulty was judged on every policy its controls allow, and on its best play.
    for diff in sc.spec.difficulties:
        judged = {v.policy for v in verdicts if v.difficulty == diff}
        assert {p.name for p in policies_for(sc.spec, diff)} <= judged
        assert any(p.startswith("play:") for p in judged)


@pytest.mark.slow
@pytest.mark.parametrize("sid", bundled_ids())
def test_no_blind_policy_grades_above_c_and_the_best_play_does(sid):
    check_blind_policies(sid, seeds=DEFAULT_SEEDS)


@pytest.mark.heavy
@pytest.mark.parametrize("sid", bundled_ids())
def test_no_blind_policy_grades_above_c_and_the_best_play_does_over_twenty_seeds(sid):
    check_blind_policies(sid, seeds=20)
