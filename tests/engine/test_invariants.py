"""Model invariants over random action scripts (Hypothesis)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drill.commands import VERBS
from drill.session import Session
from drill.timefmt import fmt_clock, parse_clock
from tests.engine.helpers import check_invariants, knightmare

SERVERS = [f"smars-{i}" for i in range(1, 9)]
START, STOP = parse_clock("09:20:00"), parse_clock("09:50:00")


@st.composite
def commands(draw):
    verb = draw(st.sampled_from(sorted(v for v in VERBS if v != "resolve")))
    values = {"server": st.sampled_from(SERVERS), "flag": st.just("RLP"), "alert": st.sampled_from(["A1", "A2", "A7"]),
              "percent": st.sampled_from(["10", "50", "100"]),
              "inject": st.sampled_from(["nyse-call", "second-fault", "alert-noise", "ceo-email"]),
              "speed": st.sampled_from(["1", "10", "60"]),
              "text": st.text(alphabet="abcdef ", min_size=1, max_size=12).map(lambda t: t.strip() or "x")}
    args = []
    for arg in VERBS[verb].args:
        if arg.optional and draw(st.booleans()):
            continue
        args.append(draw(values[arg.kind]))
    return " ".join([verb, *args])


scripts = st.lists(st.tuples(st.integers(START, STOP), commands()), max_size=8).map(lambda xs: sorted(xs, key=lambda x: x[0]))


def check_every_share_accounted_for(script, difficulty):
    s = Session(knightmare(), difficulty)
    for at, cmd in script:
        s.advance_to(at)
        s.submit(cmd, by=VERBS[cmd.split()[0]].role)
        check_invariants(s.world)
    s.advance_to(STOP + 5 * 60_000)
    check_invariants(s.world)
    o = s.outcome()
    assert o.loss_usd >= 0 and o.collateral_usd >= 0 and o.score_usd == round(o.loss_usd + o.collateral_usd, 2)
    assert o.executions * knightmare().spec.market.lot_shares == o.shares
    # Every command got a result (or is still running), in the order submitted.
    assert [a.command for a in o.actions] == [c for _, c in script]


# Each example is a drill to 09:55: ten in the default run, thirty under `-m heavy` (docs/testing.md).
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=scripts, difficulty=st.sampled_from(["historical", "standard"]))
def test_every_share_is_accounted_for_under_any_script(script, difficulty):
    check_every_share_accounted_for(script, difficulty)


@pytest.mark.heavy
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=scripts, difficulty=st.sampled_from(["historical", "standard"]))
def test_every_share_is_accounted_for_under_any_script_thirty_examples(script, difficulty):
    check_every_share_accounted_for(script, difficulty)


def check_same_outcome_twice(script):
    def play():
        s = Session(knightmare(), "standard")
        for at, cmd in script:
            s.advance_to(at)
            s.submit(cmd, by=VERBS[cmd.split()[0]].role)
        s.advance_to(STOP)
        return s.outcome().to_dict()

    assert play() == play()


# Two drills to 09:50 per example: four examples in the default run, ten under `-m heavy`.
@settings(max_examples=4, deadline=None)
@given(script=scripts)
def test_same_seed_and_actions_same_outcome(script):
    check_same_outcome_twice(script)


@pytest.mark.heavy
@settings(max_examples=10, deadline=None)
@given(script=scripts)
def test_same_seed_and_actions_same_outcome_ten_examples(script):
    check_same_outcome_twice(script)


def test_chunked_advance_equals_one_jump():
    """The console advances in many small chunks, a replay in one: same world either way."""
    a = Session(knightmare(), "standard")
    b = Session(knightmare(), "standard")
    target = parse_clock("09:36:00")
    step = 137  # ms: deliberately not a divisor of the tick
    submit_at = parse_clock("09:31:00") + 5 * step  # mid-tick, as a trainee's keystroke would be
    submitted = False
    while a.now < target:
        limit = submit_at - a.now if a.now < submit_at else target - a.now
        a.advance(min(step, limit))
        if a.now == submit_at and not submitted:
            a.submit("stop smars-8")
            submitted = True
    assert submitted
    b.advance_to(submit_at)
    b.submit("stop smars-8")
    b.advance_to(target)
    assert a.outcome().to_dict() == b.outcome().to_dict()
    assert fmt_clock(a.now) == fmt_clock(b.now) == "09:36:00"
