"""What-ifs computed by branching (one re-simulation, forked where the what-ifs part) are byte for
byte the what-ifs computed from scratch, each on a fresh session of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drill.debrief import plan
from drill.debrief.build import open_journal
from drill.debrief.figures import Visible
from drill.debrief.sim import _fresh, _run, run_fresh
from drill.scenario import load
from drill.session import Session
from drill.timefmt import parse_clock

from .conftest import STALE

T, F = "trainee", "facilitator"
# Journals as (scenario, difficulty, [(HH:MM:SS, command, by)]): a trainee's alone, and steered ones
# (the facilitator's commands, replayed as theirs in every what-if). Four, as each is a few dozen
# whole mornings: every what-if twice.
JOURNALS = {
    "knightmare-historical-steered": ("knightmare", "historical", [
        ("09:20:05", "speed 10", F), ("09:29:00", "push-hint look at the fleet", F), ("09:31:00", f"inspect {STALE}", T),
        ("09:31:05", "inject nyse-call", F), ("09:40:00", "rollback", T), ("09:52:00", "stop-all", T)]),
    "knightmare-standard": ("knightmare", "standard", [
        ("09:30:20", "diff-deploy", T), ("09:30:55", f"inspect {STALE}", T), ("09:31:10", f"logs {STALE}", T),
        ("09:31:30", f"stop {STALE}", T), ("09:32:00", f"deploy {STALE}", T), ("09:35:10", f"inspect {STALE}", T),
        ("09:35:30", f"start {STALE}", T), ("09:37:00", "resolve", T)]),
    "fat-finger-steered": ("fat-finger", "historical", [
        ("09:27:00", "inject exchange-call", F), ("09:28:00", "cancel-open gw-1", T), ("09:28:40", "cancel-open gw-1", T),
        ("09:30:00", "push-hint stop the gateway", F), ("09:32:00", "stop gw-1", T)]),
    "sell-program-steered": ("sell-program", "historical", [
        ("14:30:00", "inject alert-noise", F), ("14:33:30", "inspect algo-1", T), ("14:34:00", "stop algo-1", T),
        ("14:34:10", "cancel-open algo-1", T), ("14:34:20", "start algo-1", T), ("14:36:00", "stop algo-1", T)]),
}
TIMING = ("elapsed_s", "cpu_s", "branched_at")  # how long it took and where it branched: not a figure


def _journal(path, scenario: str, difficulty: str, steps) -> None:
    s = Session(load(scenario), difficulty, None, journal=path)
    for at, command, by in steps:
        s.advance_to(parse_clock(at))
        if s.finished:
            break
        s.submit(command, by=by)
    if not s.finished:
        s.run_to_end()
    s.close()


def _every_what_if(path) -> list[plan.Job]:
    """Every job the debrief plans for this journal, containment moves included (issued when the
    fault showed on the trainee's screen, after the trainee's market commands before it)."""
    ctx = open_journal(path)
    sc, difficulty, seed = ctx.scenario, ctx.difficulty, ctx.seed
    facts = plan.facts_from_journal(ctx.journal)
    trainee = plan.trainee_spec(sc, ctx.journal)
    jobs = [plan.Job("trainee", "trainee", "", trainee), plan.probe_job(sc, difficulty, seed),
            *plan.play_jobs(sc, difficulty, seed), *plan.without_jobs(trainee, facts),
            *plan.earlier_jobs(sc, trainee, facts)]
    visible = Visible.from_dict(_run(plan.probe_job(sc, difficulty, seed).spec, _fresh(trainee))["visible"])
    assert visible is not None
    prefix = tuple(c for c in plan.market_commands(facts) if c[0] < visible.t)
    jobs += plan.candidate_jobs(sc, difficulty, seed, visible, prefix, plan.world_steering(facts))
    return jobs


def _figures(result: dict) -> str:
    return json.dumps({k: v for k, v in result.items() if k not in TIMING}, sort_keys=True)


# Each journal is a few dozen whole mornings twice: the default run compares two (a steered
# knightmare and a steered fat-finger), `-m heavy` all four.
DEFAULT_RUN = {"knightmare-historical-steered", "fat-finger-steered"}


@pytest.mark.parametrize("name", [n if n in DEFAULT_RUN else pytest.param(n, marks=pytest.mark.heavy)
                                  for n in sorted(JOURNALS)])
def test_every_what_if_by_branching_is_the_what_if_from_scratch(name, tmp_path, runner):
    scenario, difficulty, steps = JOURNALS[name]
    path = tmp_path / f"{name}.jsonl"
    _journal(path, scenario, difficulty, steps)
    jobs = _every_what_if(path)
    kinds = {j.kind for j in jobs}
    assert {"trainee", "probe", "without", "candidate"} <= kinds, kinds
    # All of them as one tree, in a worker: the deepest sharing there is.
    branched = runner.submit_group(tuple(j.spec for j in jobs))
    # Each from scratch: a fresh session per what-if (in the pool's workers, two at a time).
    scratch = [runner._submit(run_fresh, j.spec) for j in jobs]
    branched = branched.result()
    assert [k for k, _ in branched] == ["ok"] * len(jobs), [v for k, v in branched if k != "ok"]
    for job, (_, result), fresh in zip(jobs, branched, scratch):
        assert _figures(result) == _figures(fresh.result()), f"{name}: {job.id} differs by branching"
    # And the tree did branch: each edit of the trainee's drill left it where it first differs.
    trainee = jobs[0].spec.commands
    start = load(scenario).spec.clock.start
    for job, (_, result) in zip(jobs, branched):
        if job.kind == "without":
            differs = next((i for i, (a, b) in enumerate(zip(trainee, job.spec.commands)) if a != b),
                           len(job.spec.commands))  # the trainee's last command removed
            assert result["branched_at"] == (trainee[differs - 1][0] if differs else start), job.id


def test_groups_share_a_first_command_and_the_gates_run_alone(tmp_path):
    scenario, difficulty, steps = JOURNALS["knightmare-standard"]
    path = tmp_path / "standard.jsonl"
    _journal(path, scenario, difficulty, steps)
    ctx = open_journal(path)
    facts = plan.facts_from_journal(ctx.journal)
    trainee = plan.trainee_spec(ctx.scenario, ctx.journal)
    jobs = [plan.Job("trainee", "trainee", "", trainee), plan.probe_job(ctx.scenario, difficulty, ctx.seed),
            *plan.without_jobs(trainee, facts), *plan.earlier_jobs(ctx.scenario, trainee, facts)]
    assert len(jobs) == 8
    for workers, cap in ((1, 4), (2, 2)):  # no group over an even share of the jobs over twice the workers
        groups = plan.branch_groups(jobs, workers)
        assert sorted(j.id for g in groups for j in g) == sorted(j.id for j in jobs)  # each once
        assert [[j.kind for j in g] for g in groups[:2]] == [["trainee"], ["probe"]]
        assert max(len(g) for g in groups) == cap
        for g in groups[2:]:
            assert len({j.spec.commands[0] for j in g}) == 1
    # The three "without" edits and the containment 1 minute sooner begin with the trainee's first
    # command (diff-deploy): one group for one worker.
    shared = max(plan.branch_groups(jobs, 1), key=len)
    assert sorted(j.kind for j in shared) == ["earlier", "without", "without", "without"]


def _knightmare_spec(**kw):
    sc = load("knightmare")
    return plan.base(sc, "historical", sc.spec.seed, **kw)


def test_a_failing_branch_spoils_only_its_own_what_ifs_with_one_line(runner):
    at = parse_clock("09:21:00")
    good = _knightmare_spec(commands=((at, f"inspect {STALE}"),), judge_at=at + 2000)
    bad = _knightmare_spec(commands=((at, f"inspect {STALE}"), (at + 1000, "frobnicate")), judge_at=at + 3000)
    also_bad = _knightmare_spec(commands=((at, f"inspect {STALE}"), (at + 1000, "frobnicate"), (at + 2000, "ack A1")))
    out = runner.submit_group((good, bad, also_bad)).result()
    assert out[0][0] == "ok" and out[0][1]["issued"] == [[at, f"inspect {STALE}"]]
    for kind, why in out[1:]:
        assert kind == "error" and "\n" not in why and "frobnicate" in why, why
    # Through the debrief's own path, the one line reaches the caller as a RuntimeError.
    from drill.debrief.sim import run_sim

    with pytest.raises(RuntimeError, match="frobnicate"):
        runner._submit(run_sim, bad).result()


def _children(pid: int) -> set[int]:
    from pathlib import Path

    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(x) for x in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc")
def test_no_forked_branch_outlives_the_worker_that_forked_it():
    import os
    import signal
    import time

    from drill.debrief import Runner

    specs = tuple(_knightmare_spec(commands=((parse_clock("09:40:00"), c),)) for c in ("rollback", "stop-all", "offset"))
    with Runner(1) as r:
        r.submit_warm().result()
        worker = next(iter(r._pool._processes))
        future = r.submit_group(specs)
        tree: set[int] = set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not tree:  # the walk's child, and the branches it forks
            tree = _children(worker)
            time.sleep(0.05)
        assert tree, "the group never forked"
        time.sleep(0.5)
        tree |= {g for c in tree for g in _children(c)}
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 60
        alive = set(tree)
        while alive and time.monotonic() < deadline:
            alive = {p for p in alive if _running(p)}
            time.sleep(0.1)
        assert not alive, f"forked branches outlived their worker: {alive}"
        with pytest.raises(Exception):
            future.result(timeout=60)  # the lost worker is reported, never waited for forever


def _running(pid: int) -> bool:
    from pathlib import Path

    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended (its parent, the reaper, is gone)
