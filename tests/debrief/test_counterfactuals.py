"""Counterfactuals are real re-simulations of edited journals, and they say what the edits were worth."""

from __future__ import annotations

import json

import pytest

from drill.debrief import build, stream
from drill.debrief.plan import faulty_servers
from drill.scenario import load
from drill.session import Session
from drill.session.headless import run_script
from drill.session.plays import play_lines
from drill.timefmt import parse_clock

from .conftest import STALE


def cf(d, key):
    return next((c for c in d.counterfactuals if c.key == key), None)


def test_removing_the_rollback_lowers_the_loss_by_a_real_resimulation(rollback_debrief):
    d = rollback_debrief
    without = [c for c in d.counterfactuals if c.kind == "without"]
    assert [c.label for c in without] == ["Without rollback (09:40:00)"]
    w = without[0]
    assert w.loss_usd < d.card.loss_usd and w.delta_usd < 0
    assert "cost $" in w.note
    # The edited journal is the journal without its only command: a drill with no action at all.
    # Simulated independently, it must give exactly the same figures.
    sc = load("knightmare")
    plain = run_script(sc, d.difficulty, d.seed, [])
    assert (w.loss_usd, w.collateral_usd, w.score_usd, w.contained_at) == \
        (plain.loss_usd, plain.collateral_usd, plain.score_usd, plain.contained_at)
    effect = {e.command: e for e in d.command_effects}["rollback"]
    assert effect.cost_usd == pytest.approx(d.card.score_usd - w.score_usd)
    assert effect.cost_usd > 100e6  # the rollback put Power Peg on all eight servers


def test_the_trainee_figures_are_the_journal_replayed(rollback_debrief, rollback_journal):
    end = [json.loads(ln) for ln in rollback_journal.read_text().splitlines() if '"type":"end"' in ln][0]
    o = end["outcome"]
    c = rollback_debrief.card
    assert (c.loss_usd, c.collateral_usd, c.score_usd, c.grade, c.bankrupt) == \
        (o["loss_usd"], o["collateral_usd"], o["score_usd"], o["grade"], o["bankrupt"])
    assert not rollback_debrief.warnings


def test_earliest_effective_containment_tries_every_move_at_the_first_visible_moment(rollback_debrief):
    d = rollback_debrief
    # The 'Power Peg disabled' emails were already in the inbox when the trainee's clock started.
    assert d.card.visible_at == "09:20:00" and "warning email" in d.card.visible_reason
    moves = {c.move: c for c in d.candidates}
    assert set(moves) == {f"stop {STALE}", f"deploy {STALE}", "stop-all", "disable-flag RLP, then cancel-open", "cancel-open"}
    assert all(c.issued_at == "09:20:00" for c in moves.values())
    assert not moves["cancel-open"].effective  # new RLP orders keep arriving on the stale server
    effective = [c for c in moves.values() if c.effective]
    assert len(effective) == 4
    best = min(effective, key=lambda c: c.score_usd)
    e = cf(d, "earliest")
    assert e is not None and e.label == f"Earliest effective containment: {best.move} at 09:20:00"
    assert e.score_usd == best.score_usd and e.contained
    assert moves["stop-all"].collateral_usd > moves[f"stop {STALE}"].collateral_usd > 0  # stopping servers costs business


def test_containment_moved_earlier_lowers_the_loss(stop_debrief):
    d = stop_debrief
    assert d.card.contained and d.card.loss_usd > 0
    earlier = [c for c in d.counterfactuals if c.kind == "earlier"]
    assert [c.key for c in earlier] == ["earlier:1", "earlier:5", "earlier:10"]
    # The stop at 09:30:40 contained; moved 1, 5 and 10 minutes earlier it beats the open.
    assert [dict(c.commands).get(t) for c, t in zip(earlier, ("09:29:40", "09:25:40", "09:20:40"))] == [f"stop {STALE}"] * 3
    for c in earlier:
        assert c.loss_usd < d.card.loss_usd and c.delta_usd < 0
        assert c.contained


def test_only_commands_that_made_things_worse_are_kept(stop_debrief):
    d = stop_debrief
    effects = {e.command: e for e in d.command_effects}
    assert set(effects) == {f"stop {STALE}", f"deploy {STALE}", f"start {STALE}"}
    # Without the deploy, the start puts the stale code back in service: far worse.
    assert effects[f"deploy {STALE}"].cost_usd < -1e6
    # What the stop was worth is what removing it changes, whichever way the scoring makes it go
    # (since the scoring charges what stopping costs, a deploy 30 s later would have done alone).
    stop = effects[f"stop {STALE}"]
    assert stop.cost_usd == pytest.approx(d.card.score_usd - stop.score_without_usd)
    kept = [c for c in d.counterfactuals if c.kind == "without"]
    assert all(c.delta_usd < 0 for c in kept)
    assert {c.label.split(" (")[0] for c in kept} == {f"Without {e.command}" for e in effects.values() if e.cost_usd > 0}


@pytest.mark.parametrize("which", ["rollback_debrief", "stop_debrief"])
def test_the_best_play_and_the_earliest_containment_are_never_worse_than_the_trainee(which, request):
    d = request.getfixturevalue(which)
    assert d.complete and d.done == d.total
    assert d.card.best_play is not None and d.card.best_play.score_usd <= d.card.score_usd
    assert cf(d, "earliest").score_usd <= d.card.score_usd
    hist = cf(d, "play:historical")
    # The historical play, re-simulated: exactly the play run headless (its calibration against the
    # record is the scenario tests' business), and the firm's capital gone, as Knight's was.
    sc = load("knightmare")
    plain = run_script(sc, d.difficulty, d.seed, play_lines(sc, "historical", d.seed))
    assert hist is not None and (hist.loss_usd, hist.score_usd, hist.bankrupt) == (plain.loss_usd, plain.score_usd, plain.bankrupt)
    assert hist.bankrupt and hist.loss_usd > sc.spec.firm.capital_usd
    assert d.card.historical.loss_usd == 460_000_000


def test_every_counterfactual_has_its_curve_on_the_chart(rollback_debrief):
    d = rollback_debrief
    keys = [s.key for s in d.curves]
    assert keys[0] == "trainee"
    assert set(keys[1:]) == {c.key for c in d.counterfactuals}
    trainee = d.curves[0]
    ts = [t for t, _ in trainee.points]
    assert ts == sorted(ts) and ts[0] == d.start_t and ts[-1] == d.end_t
    assert trainee.points[-1][1] == d.card.loss_usd  # the line ends on the score card's figure


def test_a_debrief_from_the_live_session_matches_the_resimulation(tmp_path, rollback_debrief, shared_cache, runner):
    """The console passes its finished Session: no re-simulation of the trainee, same figures."""
    sc = load("knightmare")
    journal = tmp_path / "live.jsonl"
    s = Session(sc, "historical", None, journal=journal)
    s.advance_to(parse_clock("09:40:00"))
    s.submit("rollback")
    s.run_to_end()
    d = build(journal, session=s, cache=shared_cache, runner=runner)
    assert d.card == rollback_debrief.card
    assert [(c.label, c.score_usd) for c in d.counterfactuals] == \
        [(c.label, c.score_usd) for c in rollback_debrief.counterfactuals]
    assert d.curves[0].points == rollback_debrief.curves[0].points
    assert [e for e in d.timeline if e.kind == "email"] == [e for e in rollback_debrief.timeline if e.kind == "email"]


def test_stream_yields_at_once_then_as_each_resimulation_finishes(tmp_path, shared_cache, runner, rollback_debrief):
    sc = load("knightmare")
    journal = tmp_path / "stop-late.jsonl"
    # A trainee who stopped the stale server at 09:35 and quit at 09:37: its re-simulations stop
    # there too (an abandoned drill is compared on its own horizon), which keeps this test quick.
    s = Session(sc, "historical", None, journal=journal)
    s.advance_to(parse_clock("09:35:00"))
    s.submit(f"stop {STALE}")
    s.advance_to(parse_clock("09:37:00"))
    s.abandon()
    seen = []
    for d in stream(journal, cache=shared_cache, runner=runner):
        seen.append((d.done, d.total, d.pending))
    first_done, total, first_pending = seen[0]
    # The first debrief comes from the journal and the cache, before any re-simulation finished:
    # this journal's own edits (the trainee's run, containment moved earlier) are still pending.
    assert first_pending and "your own drill, re-simulated" in first_pending
    assert any(p.startswith("Your containment 1 min sooner") for p in first_pending)
    assert [s[0] for s in seen] == sorted(s[0] for s in seen) and seen[-1][0] == total and not seen[-1][2]
    assert len(seen) >= 3  # progress arrives in steps, not all at the end
    assert d.card.ended_by == "abandoned" and d.card.ended_at == "09:37:00"
    assert all(c.kind == "earlier" or c.kind in ("earliest", "historical", "best") for c in d.counterfactuals)
    assert all(c.loss_usd < d.card.loss_usd for c in d.counterfactuals if c.kind == "earlier")
    calls = []
    final = build(journal, progress=lambda d: calls.append(d.done), cache=shared_cache, runner=runner)
    assert final.complete and calls and calls[-1] == final.total  # all cached now: one call, complete


def test_other_seeds_aim_the_containment_moves_at_their_own_faulty_server():
    sc = load("knightmare")
    seeds = [s for s in range(1, 40) if faulty_servers(sc, s) != [STALE]]
    assert seeds, "no variant moved the stale server"
    from drill.debrief.plan import containment_moves

    moves = dict(containment_moves(sc, "standard", seeds[0]))
    stale = faulty_servers(sc, seeds[0])[0]
    assert ((f"stop {stale}",),) in moves.values() and (("kill-switch",),) in moves.values()
    assert (("kill-switch",),) not in dict(containment_moves(sc, "historical", seeds[0])).values()


def test_warm_cache_computes_exactly_what_the_debrief_reuses(rollback_debrief, shared_cache, runner):
    """What the console warms when a drill starts is what the debrief later finds: same keys."""
    from drill.debrief import warm_cache

    assert warm_cache("knightmare", rollback_debrief.difficulty, rollback_debrief.seed, runner=runner,
                      cache=shared_cache) == 0
