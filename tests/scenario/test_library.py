"""The scenario library: calibration of the non-Knight incidents, variants by seed, the tutorial."""

import dataclasses

import numpy as np
import pytest

from drill.scenario import bundled_ids, load
from drill.session import Session
from drill.session.plays import run_play
from drill.timefmt import fmt_clock, parse_clock


@pytest.fixture
def played(shared_runs):
    """A play's outcome at the scenario's seed, simulated once per test session: the same runs as
    the play-bounds tests' (tests/scenario/test_plays.py), under the same key."""
    def play(sid: str, name: str, difficulty: str | None = None):
        sc = load(sid)
        difficulty = difficulty or sc.spec.default_difficulty
        return shared_runs.get(("run_play", sid, name, difficulty, None), lambda: run_play(sc, name, difficulty))
    return play


def test_the_library_carries_at_least_three_incidents_besides_knight():
    assert {"knightmare", "sell-program", "fat-finger", "slow-clap"} <= set(bundled_ids())
    assert "tutorial" in load("knightmare").spec.difficulties


@pytest.mark.parametrize("sid", ["sell-program", "fat-finger", "slow-clap"])
def test_each_new_incident_ships_its_sources_and_calibration(sid):
    sources = (load(sid).directory / "sources.md").read_text()
    assert "## Dramatised" in sources and "## Calibration" in sources
    assert "CALIBRATION-TABLE" not in sources  # the table was filled from a real run


def test_sell_program_sells_75000_contracts_in_about_20_minutes_and_the_price_falls_about_6_percent():
    """CFTC-SEC staff report: 75,000 E-minis (~$4.1B) at 9% of volume, done in about 20 minutes;
    the Dow fell about 600 points (~5.7%) in minutes and recovered."""
    s = Session(load("sell-program"))
    start = parse_clock("14:32:00")
    done_at = None
    while not s.finished:
        s.advance(30_000)
        book = s.world.book
        if done_at is None and book.filled[: book.n][book.account[: book.n] == 1].sum() >= 75_000:
            done_at = s.now
    o = s.outcome()
    assert done_at is not None
    minutes = (done_at - start) / 60_000
    assert 18 <= minutes <= 22, minutes
    assert 510 <= o.max_price_move_bps <= 630, o.max_price_move_bps
    assert o.shares == 75_000 * 1  # contracts, every one sold without a price limit
    assert 0.9 * 4.1e9 <= 75_000 * load("sell-program").spec.market.price_median_usd <= 1.1 * 4.1e9


def test_sell_program_price_path_has_the_records_shape():
    """CFTC-SEC staff report: the E-mini bottomed at 14:45:28, when CME's stop logic paused it for
    five seconds, with about 35,000 of the 75,000 contracts sold; buyers came back and the price
    recovered while the Sell Algorithm kept selling (into the rebound) until about 14:51."""
    s = Session(load("sell-program"))
    market, book = s.world.market, s.world.book
    trough, trough_at, sold_at_trough, done_at, price_when_done, later = 1.0, None, 0, None, None, None
    while not s.finished:
        s.advance(5_000)
        price = market.traded_price(np.array([0]))[0] / market.fair[0]
        sold = int(book.filled[: book.n][book.account[: book.n] == 1].sum())
        if price < trough:
            trough, trough_at, sold_at_trough = price, s.now, sold
        if done_at is None and sold >= 75_000:
            done_at, price_when_done = s.now, price
        if s.now == parse_clock("14:59:00"):
            later = price
    assert parse_clock("14:44:30") <= trough_at <= parse_clock("14:46:30"), fmt_clock(trough_at)
    assert 0.40 <= sold_at_trough / 75_000 <= 0.60, sold_at_trough  # roughly half sold at the bottom
    assert trough < 0.95 and market.halts and market.halts[0][0] == 0  # the pause came at the bottom
    assert done_at - trough_at >= 4 * 60_000  # it kept selling for minutes after the bottom...
    assert price_when_done - trough > 0.25 * (1 - trough)  # ...while the price was recovering
    assert later - trough > 0.7 * (1 - trough)  # most of the fall recovered within minutes


def test_fat_finger_historical_play_loses_what_mizuho_reported(played):
    """At least 27bn yen (~$224M) the night of; more than 40bn yen (~$333M) in the end."""
    o = played("fat-finger", "historical", "historical")
    assert 224e6 <= o.loss_usd <= 1.1 * 333e6
    assert o.short_symbols == 1 and o.short_usd > 0
    assert o.contained


def test_fat_finger_order_is_42_times_the_float_and_cancels_fail_historically(played):
    o = played("fat-finger", "none", "historical")
    assert o.shares == 610_000  # every share of the order executed; all but the one intended are short
    assert 610_000 / 14_500 > 42
    hist = played("fat-finger", "historical", "historical")
    assert all("REJECTED" in a.result for a in hist.actions if a.command.startswith("cancel-open"))
    std = Session(load("fat-finger"), "standard")
    std.advance_to(parse_clock("09:27:02"))
    std.submit("cancel-open gw-1")
    o = std.run_to_end()
    assert o.contained and o.loss_usd < 50e6 and "cancelled" in o.actions[0].result


def test_fat_finger_stopping_the_gateway_does_not_stop_an_order_on_the_exchange():
    stopped = Session(load("fat-finger"))
    stopped.advance_to(parse_clock("09:27:10"))
    stopped.submit("stop gw-1")
    stopped.advance_to(parse_clock("09:30:00"))
    sold_while_stopped = stopped.world.firm_shares
    stopped.advance_to(parse_clock("09:32:00"))
    assert stopped.world.firm_shares > sold_while_stopped  # it kept filling
    assert stopped.snapshot().phase == "incident"


def test_slow_clap_canary_shows_erroneous_fills_only_on_the_new_release():
    s = Session(load("slow-clap"))
    s.advance_to(parse_clock("09:30:30"))
    s.submit("rollout 10")
    s.advance_to(parse_clock("09:34:00"))
    rows = {r.release: r for r in s.snapshot().releases}
    assert rows["v42"].servers == 1 and rows["v41"].servers == 9
    assert rows["v42"].erroneous_fills_per_s > 0 and rows["v41"].erroneous_fills_per_s == 0
    assert rows["v42"].out_in > 2 * rows["v41"].out_in


def test_slow_clap_skipping_the_canary_costs_more_than_the_canary(played):
    assert played("slow-clap", "skip-canary").score_usd > 3 * played("slow-clap", "best").score_usd
    assert played("slow-clap", "none").loss_usd == 0


def test_slow_clap_rollback_is_safe_here_because_the_previous_release_is_good():
    s = Session(load("slow-clap"))
    s.advance_to(parse_clock("09:30:30"))
    s.submit("rollout 50")
    s.advance_to(parse_clock("09:36:00"))
    s.submit("rollback")
    o = s.run_to_end()
    assert o.contained and {r.release for r in s.snapshot().fleet} == {"v41"}


# -- variants ---------------------------------------------------------------------------------------

def test_seeds_move_the_stale_server_and_the_result_names_the_truth():
    sc = load("knightmare")
    stale = set()
    for seed in range(20):
        s = Session(sc, "standard", seed)
        truth = s.world.missed
        stale.update(truth)
        s.advance_to(parse_clock("09:21:00"))
        s.submit("diff-deploy")
        s.advance_to(parse_clock("09:22:00"))
        assert truth[0] in s.snapshot().actions[-1].result.splitlines()[-1]
        assert s.outcome().faulty_servers == truth
    assert len(stale) >= 5, stale


def test_the_scenario_seed_keeps_smars_8():
    assert Session(load("knightmare")).outcome().faulty_servers == ["smars-8"]


def test_seeds_move_timings_noise_and_symbols_and_the_same_seed_gives_the_same_variant():
    sc = load("knightmare")

    def fingerprint(seed):
        s = Session(sc, "historical", seed)
        s.advance_to(parse_clock("09:45:00"))
        snap = s.snapshot()
        calls = tuple(m.clock for m in snap.calls)
        noise = sum(1 for m in snap.inbox if m.sender == "ops-list")
        symbols = tuple(sorted(p.symbol for p in snap.positions))
        return calls, noise, symbols, snap.inbox[0].clock

    a, b, again = fingerprint(11), fingerprint(12), fingerprint(11)
    assert a == again
    assert a[0] != b[0] and a[2] != b[2] and a[3] != b[3]


# -- the tutorial ------------------------------------------------------------------------------------

def test_tutorial_hints_arrive_when_the_trainee_is_stuck_and_on_demand():
    s = Session(load("knightmare"), "tutorial")
    s.advance_to(parse_clock("09:33:30"))
    coach = [m for m in s.snapshot().inbox if m.sender == "Coach"]
    assert len(coach) >= 1 and "out:in" in coach[0].body
    s.submit("hint")
    s.advance(10_000)
    assert "release" in s.snapshot().actions[-1].result
    # Acting resets the coach's patience: no new hint right after a command.
    n = len([m for m in s.snapshot().inbox if m.sender == "Coach"])
    s.submit("inspect smars-8")
    s.advance(60_000)
    assert len([m for m in s.snapshot().inbox if m.sender == "Coach"]) == n


def test_hints_are_refused_outside_the_tutorial():
    o = Session(load("knightmare"), "historical")
    sub = o.submit("hint")
    assert not sub.accepted and "no hints" in sub.message


def test_fat_finger_standard_kill_switch_cancels_the_resting_order_as_modern_venues_do():
    """Cancel-on-disconnect is scenario data (behaviours.cancel_on_disconnect): with it the kill
    switch takes the order off the book; without it (the old behaviour) the order keeps resting."""
    sc = load("fat-finger")
    assert sc.spec.behaviours.cancel_on_disconnect

    def kill_at_once(scenario):
        s = Session(scenario, "standard")
        s.advance_to(parse_clock("09:27:02"))
        s.submit("kill-switch")
        return s.run_to_end()

    o = kill_at_once(sc)
    assert o.contained and o.loss_usd < 15e6
    assert "cancelled 1 resting order" in o.actions[0].result
    behaviours = sc.spec.behaviours.model_copy(update={"cancel_on_disconnect": False})
    legacy = dataclasses.replace(sc, spec=sc.spec.model_copy(update={"behaviours": behaviours}))
    kept = kill_at_once(legacy)
    assert kept.loss_usd > 1e9  # every share sold to other buyers
    assert "cancelled" not in kept.actions[0].result
