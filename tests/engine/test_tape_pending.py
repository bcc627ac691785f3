"""The tape's unsampled ticks (issue 13, part 2): a tick that leaves unsampled (too old to be
shown) no longer counts toward what the tape holds, so a drill nobody watches samples nothing,
and one whose newest ticks would hold too much is sampled as before."""

import numpy as np

from drill.sim import telemetry
from drill.sim.telemetry import Tape


def _tape(sampled: list) -> Tape:
    def sample(tick, picks, fills):
        sampled.append(tick)
        return (tick, [0], [tick], [0], [1], [1.0], [True], [False])

    return Tape(["s"], ["X"], 100, np.random.default_rng(1), sample, per_tick=2, size=10)


def test_ticks_dropped_unsampled_count_no_longer():
    sampled: list = []
    tape = _tape(sampled)
    each = telemetry.TAPE_PENDING_MAX // 20  # the newest ten ticks hold half the limit
    for t in range(200):  # a hundred times the limit in all
        tape.record(5, each, t)
    assert sampled == []


def test_newest_ticks_holding_too_much_are_sampled():
    sampled: list = []
    tape = _tape(sampled)
    each = telemetry.TAPE_PENDING_MAX // 5  # six of the newest ten ticks are past the limit
    for t in range(8):
        tape.record(5, each, t)
    assert sampled == list(range(6))
