"""The tutorial coach follows the drill: a hint is skipped once the trainee has done what it says,
and what the fleet runs now (rolled back, a server stopped) decides what is worth saying."""

from __future__ import annotations

import tomllib

from drill.scenario import load
from drill.scenario.schema import HINT_STATES, Hint, Scenario
from drill.session import Session
from drill.sim.world import World
from drill.timefmt import parse_clock


def coach_hints(s: Session, after: int = 0) -> list[str]:
    return [m.body for m in s.snapshot().inbox if m.sender == "Coach" and m.at >= after]


def stale(s: Session) -> str:
    return s.world.missed[0]


def test_the_coach_never_suggests_diff_deploy_once_it_was_run():
    s = Session(load("knightmare"), "tutorial")
    s.advance_to(parse_clock("09:30:30"))
    s.submit("diff-deploy")
    s.advance_to(parse_clock("09:45:00"))  # stuck long enough for several pushes
    pushed = coach_hints(s)
    assert pushed, "the coach pushes hints while the incident is live and the trainee waits"
    assert not any("diff-deploy" in h for h in pushed), pushed
    asked = s.submit("hint")
    s.advance(10_000)
    assert "diff-deploy" not in s.snapshot().actions[-1].result
    assert asked.accepted


def test_after_a_rollback_the_coach_speaks_to_the_rollback():
    s = Session(load("knightmare"), "tutorial")
    s.advance_to(parse_clock("09:31:00"))
    s.submit("rollback")
    s.advance_to(parse_clock("09:40:00"))
    pushed = coach_hints(s, after=parse_clock("09:31:00"))
    assert pushed and "rolled the fleet back" in pushed[0], pushed
    assert not any("diff-deploy" in h or "Do not roll" in h for h in pushed), pushed


def test_hints_walk_the_trainee_from_containment_to_recovery():
    s = Session(load("knightmare"), "tutorial")
    s.advance_to(parse_clock("09:31:00"))
    s.submit(f"stop {stale(s)}")
    s.advance(30_000)
    s.submit("hint")
    s.advance(10_000)
    assert "Deploy the current release" in s.snapshot().actions[-1].result
    s.submit(f"deploy {stale(s)}")
    s.advance(200_000)
    s.submit("hint")
    s.advance(10_000)
    assert "start the server again" in s.snapshot().actions[-1].result
    s.submit(f"start {stale(s)}")
    s.advance(30_000)
    s.submit("hint")  # everything that fit has been done: the coach says so, it does not repeat stale advice
    s.advance(10_000)
    said = s.snapshot().actions[-1].result
    assert "diff-deploy" not in said and "Stop the odd server" not in said


def test_plain_string_hints_are_still_valid_and_given_in_order():
    sc = load("knightmare")
    raw = tomllib.loads((sc.directory / "scenario.toml").read_text())
    raw["hints"] = ["First look at {faulty_server}.", "Then stop it."]
    spec = Scenario.model_validate(raw)
    assert spec.hints == [Hint(text="First look at {faulty_server}."), Hint(text="Then stop it.")]
    w = World(spec, "tutorial", spec.seed)
    assert w.next_hint() == f"First look at {w.missed[0]}."
    assert w.next_hint() == "Then stop it."
    assert w.next_hint() == "Then stop it."  # exhausted: the last again, as before conditions existed


def test_every_hint_state_is_known_to_the_engine():
    w = World(load("knightmare").spec, "tutorial", 1)
    w.run_until(parse_clock("09:31:00"))
    states = {s: w.hint_state(s) for s in HINT_STATES}
    assert states["armed"] and states["hazard"] and not states["contained"] and not states["rolled_back"]
    assert not states["server_stopped"] and not states["disconnected"]
