"""The counterfactual rules on their own: which commands are edited, and how (no simulation here)."""

from __future__ import annotations

import ast
from pathlib import Path

from drill.debrief import plan
from drill.scenario import load
from drill.debrief.figures import Visible
from drill.timefmt import parse_clock

from .records import command, outcome

ROOT = Path(__file__).resolve().parents[2]


def facts(commands, phases, contained=True, contained_at="09:31:00"):
    cmds = tuple(command(i, parse_clock(at), c, st, parse_clock(fin) if fin else None)
                 for i, (at, c, st, fin) in enumerate(commands, 1))
    return plan.Facts(cmds, outcome(contained, contained_at), tuple((parse_clock(t), p) for t, p in phases))


def spec():
    sc = load("knightmare")
    return sc, plan.base(sc, "historical", sc.spec.seed)


def test_without_skips_diagnostics_refusals_and_commands_that_cannot_touch_the_market():
    sc, base = spec()
    f = facts([("09:31:00", "inspect smars-8", "done", "09:31:15"),
               ("09:31:20", "kill-switch", "refused", "09:31:20"),
               ("09:31:30", "ack A1", "done", "09:31:32"),
               ("09:32:00", "stop smars-8", "done", "09:32:20"),
               ("09:33:00", "resolve", "done", "09:33:00")],
              [("09:30:01", "incident"), ("09:32:20", "contained")])
    jobs = plan.without_jobs(base, f)
    assert [j.meta.command for j in jobs] == ["stop smars-8"]
    assert jobs[0].spec.commands == tuple((c.t, c.command) for c in f.commands if c.command != "stop smars-8")


def test_the_containing_command_is_the_last_market_command_done_by_containment():
    f = facts([("09:30:20", "inspect smars-8", "done", "09:30:35"),
               ("09:30:40", "stop smars-8", "done", "09:31:00"),
               ("09:31:10", "deploy smars-8", "done", "09:34:10")],
              [("09:30:01", "incident"), ("09:31:00", "contained"), ("09:34:40", "recovered")])
    assert plan.containing_command(f).command == "stop smars-8"
    reopened = facts([("09:33:00", "stop smars-8", "done", "09:33:20"), ("09:45:00", "start smars-8", "done", "09:45:20")],
                     [("09:30:01", "incident"), ("09:33:20", "contained"), ("09:45:20", "re-opened")],
                     contained=False, contained_at=None)
    assert plan.containing_command(reopened) is None


def test_moving_containment_earlier_clamps_to_the_clock_start_once():
    sc, base = spec()
    f = facts([("09:23:00", "stop smars-8", "done", "09:23:20")], [("09:23:20", "contained")], contained_at="09:23:20")
    jobs = plan.earlier_jobs(sc, base, f)
    # 1 minute earlier is 09:22:00; 5 and 10 minutes both clamp to the start (09:20:00): one job.
    assert [(j.meta.minutes, j.spec.commands) for j in jobs] == [
        (1, ((parse_clock("09:22:00"), "stop smars-8"),)),
        (5, ((parse_clock("09:20:00"), "stop smars-8"),)),
    ]
    assert jobs[1].meta.clamped and "the clock's start" in jobs[1].label


def test_a_moved_command_keeps_the_others_in_time_order():
    sc, base = spec()
    f = facts([("09:31:00", "logs smars-3", "done", "09:31:20"), ("09:34:00", "inspect smars-1", "done", "09:34:15"),
               ("09:36:00", "stop smars-8", "done", "09:36:20")], [("09:36:20", "contained")], contained_at="09:36:19")
    five = [j for j in plan.earlier_jobs(sc, base, f) if j.meta.minutes == 5][0]
    assert [c for _, c in five.spec.commands] == ["logs smars-3", "stop smars-8", "inspect smars-1"]
    assert [t for t, _ in five.spec.commands] == sorted(t for t, _ in five.spec.commands)


def test_spec_keys_depend_on_the_edit_and_not_on_where_the_scenario_lives():
    sc, base = spec()
    a = plan.base(sc, "historical", 1, commands=((parse_clock("09:40:00"), "rollback"),))
    b = plan.SimSpec(**{**a.__dict__, "scenario_dir": "/elsewhere"})
    c = plan.base(sc, "historical", 1, commands=((parse_clock("09:41:00"), "rollback"),))
    assert a.key() == b.key() != c.key()
    assert a.key() != plan.base(sc, "standard", 1, commands=a.commands).key()


def test_the_debrief_imports_no_ui_library():
    for f in sorted((ROOT / "drill" / "debrief").rglob("*.py")) + [ROOT / "drill" / "results.py"]:
        tree = ast.parse(f.read_text(), str(f))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            for n in names:
                assert n.split(".")[0] not in ("textual", "rich") and not n.startswith(("drill.tui", "drill.cli")), (f, n)


def test_the_containing_command_is_the_one_at_work_when_containment_came():
    # A deploy takes the server out as it starts: containment comes while it runs.
    f = facts([("09:31:10", "deploy smars-8", "done", "09:34:10")], [("09:30:01", "incident"), ("09:31:11", "contained")],
              contained_at="09:31:10")
    assert plan.containing_command(f).command == "deploy smars-8"
    # Containment long after the last command finished came from no command (the order ran out).
    late = facts([("09:32:00", "stop gw-1", "done", "09:32:20")], [("09:27:00", "incident"), ("09:46:20", "contained")],
                 contained_at="09:46:19")
    assert plan.containing_command(late) is None


def test_containment_moves_replay_the_trainee_only_when_the_trainee_touched_the_market_first():
    f = facts([("09:20:30", "inspect smars-8", "done", "09:20:45"), ("09:31:00", "stop smars-8", "done", "09:31:20")],
              [("09:30:01", "incident"), ("09:31:20", "contained")])
    # The fault showed at 09:20 untouched; the trainee only looked before then: the shared moves apply.
    assert not plan.touched_before(f, Visible(parse_clock("09:20:00"), "message", ""))
    # It showed at 09:35 untouched, and the trainee stopped a server at 09:31: their world differs.
    assert plan.touched_before(f, Visible(parse_clock("09:35:00"), "message", ""))
    assert plan.touched_before(f, None)  # it never showed untouched: only the trainee's world can say
    sc, _ = spec()
    moves = {j.label: j for j in plan.candidate_jobs(sc, "historical", sc.spec.seed, Visible(parse_clock("09:25:00"), "message", ""),
                                                     plan.market_commands(f))}
    # An edited journal: the trainee's market commands before the moment, then the move's steps in turn.
    flag = moves["disable-flag RLP, then cancel-open"].spec
    assert flag.commands == ((parse_clock("09:25:00"), "disable-flag RLP"), (parse_clock("09:26:00"), "cancel-open"))
    assert flag.judge_at == parse_clock("09:26:11") + 1  # after cancel-open's 10 s, and a tick
    stale = plan.faulty_servers(sc, sc.spec.seed)[0]
    assert moves[f"stop {stale}"].spec.commands == ((parse_clock("09:25:00"), f"stop {stale}"),)  # nothing after


def test_the_visible_moment_is_the_first_whole_second_that_shows_the_fault():
    """Looking at the screen once a sim second finds the moment visible_in works out from events."""
    from drill.debrief.sim import _events, find_visible, visible_in
    from drill.scenario.loader import bundled_ids
    from drill.session import Session

    found = 0
    for sid in bundled_ids():
        sc = load(sid)
        for difficulty in [sc.spec.default_difficulty]:
            s = Session(sc, difficulty, None)
            fast = find_visible(s)
            if fast is None:
                continue
            s2 = Session(sc, difficulty, None)
            while True:  # look once a sim second, as a trainee watching the screen would
                w = s2.world
                if any(m.signal for m in w.messages) or w.alerts or w.incident.first_error_at is not None:
                    break
                s2.advance_to(s2.now + 1000)
            assert fast["t"] == s2.now, (sid, difficulty)
            msgs, alerts = _events(s2.world)
            assert visible_in(sc.spec.clock.start, msgs, alerts, s2.world.incident.first_error_at) == fast
            found += 1
    assert found >= 2
