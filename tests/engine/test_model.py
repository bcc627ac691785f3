"""What the model must show: time is money, the rollback trap, prevention, recovery."""

from drill.timefmt import parse_clock
from tests.engine.helpers import check_invariants, historical, knightmare, run, session_at


def test_time_is_money_later_containment_always_costs_more():
    losses = [run(f"{t} stop-all").loss_usd for t in ("09:30:30", "09:33:00", "09:40:00", "09:50:00", "10:00:00", "10:10:00")]
    assert losses == sorted(losses) and len(set(losses)) == len(losses), losses


def test_stopping_everything_in_the_first_minute_costs_a_small_fraction():
    o = run("09:30:10 stop-all")
    assert o.contained
    assert o.loss_usd < 0.02 * historical().loss_usd


def test_rollback_makes_the_loss_grow_faster():
    """The trap emerges from server state: after a rollback the old release runs everywhere, so
    every new RLP order becomes another runaway and the loss rate climbs."""

    def loss_rate(commands):
        s = session_at("10:05:00", "standard", commands=commands)  # standard: the fleet table shows releases
        before = s.world.loss_usd
        s.advance_to(parse_clock("10:15:00"))
        return s.world.loss_usd - before, s

    without, _ = loss_rate(())
    with_rollback, rolled = loss_rate((("09:50:00", "rollback"),))
    assert with_rollback > 1.4 * without
    assert {row.release for row in rolled.snapshot().fleet} == {"smars-2012.07"}


def test_prevention_finding_the_stale_server_before_the_open_loses_nothing():
    o = run("09:21:00 diff-deploy\n09:22:00 deploy smars-8", difficulty="standard")
    assert o.contained
    assert o.loss_usd == 0 and o.executions == 0 and o.runaway_parent_orders == 0
    assert o.contained_at is not None and o.contained_at < "09:30:00"


def test_recovery_deploy_and_restart_brings_business_back():
    o = run("09:31:00 stop smars-8\n09:32:00 deploy smars-8\n09:36:00 start smars-8", difficulty="standard")
    assert o.contained
    phases = [p.phase for p in o.phases]
    assert phases[:3] == ["incident", "contained", "recovered"] and "re-opened" not in phases
    # Collateral accrued only while smars-8 was out (about 5 minutes of one server).
    per_minute = knightmare().spec.scoring.server_minute_usd
    assert 3 * per_minute < o.collateral_usd < 8 * per_minute


def test_restarting_with_the_fault_in_place_reopens_the_incident():
    stopped = run("09:31:00 stop smars-8")
    restarted = run("09:31:00 stop smars-8\n09:40:00 start smars-8")
    assert [p.phase for p in restarted.phases][:3] == ["incident", "contained", "re-opened"]
    assert not restarted.contained and restarted.contained_at is None
    assert restarted.loss_usd > 10 * stopped.loss_usd


def test_cancel_open_alone_does_not_contain_new_parents_keep_arriving():
    o = run("09:35:00 cancel-open smars-8")
    assert not o.contained


def test_disable_flag_then_cancel_open_contains_at_a_collateral_cost():
    o = run("09:35:00 disable-flag RLP\n09:36:30 cancel-open smars-8")
    assert o.contained
    assert o.collateral_usd > 0


def test_kill_switch_contains_in_standard_and_is_refused_in_historical():
    std = run("09:31:00 kill-switch", difficulty="standard")
    assert std.contained and std.collateral_usd > 0
    hist = run("09:31:00 kill-switch")
    assert not hist.contained
    assert hist.actions[0].status == "refused"
    assert "no kill switch" in hist.actions[0].result


def test_resolve_when_contained_ends_the_drill_and_charges_business_still_off():
    o = run("09:31:00 stop smars-8\n09:32:00 resolve", difficulty="standard")
    # The trainee's part ends; the morning runs on to its end, so declaring early never pays.
    assert o.ended_by == "resolve" and o.ended_at == "10:15:00" and o.contained
    # smars-8 stays out until 10:15: 43 more minutes of one server are charged.
    assert o.collateral_usd >= 43 * knightmare().spec.scoring.server_minute_usd


def test_resolve_while_the_fault_is_live_runs_on_and_charges_what_accrues():
    early = run("09:31:00 resolve")
    assert early.ended_by == "end" and early.ended_at == "10:15:00"
    assert early.loss_usd == run("").loss_usd


def test_invariants_hold_after_the_historical_morning():
    s = session_at("10:15:00", commands=(("09:58:00", "rollback"), ("10:14:00", "stop-all")))
    check_invariants(s.world)


def test_an_outcome_reads_back_from_its_json_and_from_one_written_before_by():
    import json

    from drill.session.scoring import ActionResult, Outcome, Phase

    o = run("09:31:00 stop smars-8")
    assert all(isinstance(p, Phase) for p in o.phases) and all(isinstance(a, ActionResult) for a in o.actions)
    d = json.loads(json.dumps(o.to_dict()))
    assert d["phases"][0] == {"at": o.phases[0].at, "phase": o.phases[0].phase}  # objects on disk, as before
    assert set(d["actions"][0]) == {"at", "command", "status", "result", "finished_at", "by"}
    assert Outcome.from_dict(d) == o
    for a in d["actions"]:
        del a["by"]  # journals written before facilitators carried no `by`
    assert [a.by for a in Outcome.from_dict(d).actions] == ["trainee"]
    assert o.phase_at("incident") == o.phases[0].at and o.phase_at("no such phase") is None
