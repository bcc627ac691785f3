"""Fairness: what each difficulty lets the trainee see, noise by seed, and scoring rules that a
blind strategy cannot exploit. (The blind-policy self-test over 20 seeds is tests/scenario/test_blind.py.)"""

from __future__ import annotations

import re

import numpy as np

from drill.scenario import load
from drill.session import Session
from drill.session.plays import substitutions
from drill.session.scoring import DNF
from drill.sim.world import World, order_times
from drill.timefmt import parse_clock
from tests.engine.helpers import knightmare, run, session_at


def _on_screen(snap) -> str:
    """Every string the console could show of a snapshot's fleet, tape and messages."""
    parts = [f"{r.name} {r.release} {' '.join(r.flags)} {r.children_per_s} {r.out_in}" for r in snap.fleet]
    parts += [f"{t.server} {t.symbol}" for t in snap.tape]
    parts += [f"{m.subject}\n{m.body}" for m in (*snap.inbox, *snap.calls)]
    return "\n".join(parts)


class TestWhatHistoricalShows:
    def test_at_0931_no_release_no_out_in_and_no_email_names_the_faulty_server(self):
        s = session_at("09:31:00", "historical")
        snap = s.snapshot()
        faulty = s.world.missed[0]
        assert set(snap.fleet_columns) == {"state", "parents"}
        assert all(r.release == "" and r.flags == () and r.out_in == 0 and r.children_per_s == 0 for r in snap.fleet)
        assert all(t.server == "" for t in snap.tape)
        assert snap.phase == "open"  # not "incident": nothing on the firm's screens said so
        signal = [m for m in snap.inbox if "Power Peg" in m.subject]
        assert len(signal) > 50  # the warnings are there...
        assert not any(faulty in f"{m.subject}{m.body}" for m in signal)  # ...but name no server

    def test_standard_still_shows_them(self):
        s = session_at("09:31:00", "standard")
        snap = s.snapshot()
        faulty = s.world.missed[0]
        assert "release" in snap.fleet_columns and "out_in" in snap.fleet_columns
        row = next(r for r in snap.fleet if r.name == faulty)
        assert row.release and row.out_in > 10
        assert any(faulty in m.subject for m in snap.inbox if "Power Peg" in m.subject)

    def test_historical_inspect_shows_the_build_but_not_what_the_flag_does(self):
        s = session_at("09:20:00", "historical")
        faulty = s.world.missed[0]
        s.submit(f"inspect {faulty}")
        s.advance(61_000)
        text = s.snapshot().actions[-1].result
        assert "smars-2012.07" in text and "Power Peg" not in text and "out:in" not in text

    def test_historical_logs_are_raw_and_take_a_minute(self):
        s = session_at("09:32:00", "historical")
        faulty = s.world.missed[0]
        s.submit(f"logs {faulty}")
        s.advance(30_000)
        assert s.snapshot().actions[-1].status == "running"
        s.advance(31_000)
        text = s.snapshot().actions[-1].result
        assert "Power Peg" not in text and "cum_qty" not in text
        # What the router printed is enough for a reader: far more filled than the order's size.
        line = next(ln for ln in text.splitlines() if "flag=RLP" in ln)
        qty, filled = re.search(r"(?:BUY|SELL) ([\d,]+) .*?([\d,]+) filled", line).groups()
        assert int(filled.replace(",", "")) > int(qty.replace(",", ""))

    def test_one_operator_inspects_one_server_at_a_time(self):
        s = session_at("09:20:00", "historical")
        s.submit("inspect smars-1")
        s.submit("inspect smars-2")
        s.advance(30_000)
        first, second = s.snapshot().actions[-2:]
        assert (first.status, second.status) == ("running", "queued")
        s.advance(60_000)
        first, second = s.snapshot().actions[-2:]
        assert (first.status, second.status) == ("done", "running")

    def test_the_exchange_names_the_symbols_the_firm_is_moving(self):
        s = session_at("09:36:30", "historical")
        call = next(m for m in s.snapshot().calls if m.sender == "NYSE market operations")
        assert "{hot_symbols}" not in call.body
        inv = np.abs(s.world.ledger.inventory_usd())
        top = s.world.market.symbols[int(np.argmax(inv))]
        # The call came at its own time: its names are among the firm's heaviest now.
        heavy = {s.world.market.symbols[i] for i in np.argsort(-inv)[:10]}
        assert any(name in heavy for name in re.findall(r"[A-Z]{3,5}", call.body)), (call.body, top)


class TestNoiseBySeed:
    def test_servers_carry_unequal_shares_of_the_flow_and_the_shares_move_with_the_seed(self):
        shares = []
        for seed in (1, 2):
            w = World(knightmare().spec, "historical", seed)
            w.run_until(parse_clock("09:20:00"))
            shares.append(np.array([s.parents_in for s in w.fleet.servers], float))
        for parents in shares:
            assert parents.max() / parents.min() > 1.15
        assert not np.array_equal(shares[0].argsort(), shares[1].argsort())

    def test_monitoring_mail_names_healthy_servers_too(self):
        s = session_at("10:15:00", "historical")
        named = {n for m in s.snapshot().inbox if m.sender == "host monitoring"
                 for n in re.findall(r"smars-\d", m.subject)}
        assert named - set(s.world.missed)

    def test_the_same_seed_gives_the_same_noise(self):
        a = [(m.at, m.subject) for m in session_at("10:00:00", "historical").snapshot().inbox]
        b = [(m.at, m.subject) for m in session_at("10:00:00", "historical").snapshot().inbox]
        assert a == b

    def test_a_scheduled_order_arrives_at_another_time_in_each_variant(self):
        sc = load("fat-finger")
        times = {order_times(sc.spec, seed)[0] for seed in range(1, 8)}
        assert len(times) >= 5
        assert order_times(sc.spec, sc.spec.seed)[0] == parse_clock("09:27:00")
        # A play answers it in every variant.
        for seed in (1, 2, 3):
            after = substitutions(sc, seed)["{after:jcom-ticket}"]
            assert parse_clock(after) == max(sc.spec.clock.start, order_times(sc.spec, seed)[0] + 3000)


class TestScoringRules:
    def test_an_uncontained_drill_grades_no_better_than_d_however_little_it_lost(self):
        from drill.timefmt import fmt_clock

        out = run("\n".join(f"{fmt_clock(parse_clock('09:30:00') + k * 30_000)} cancel-open" for k in range(89)), "standard", 1)
        assert not out.contained and out.loss_usd < 2_000_000
        assert out.grade == "D"

    def test_cancelling_customers_unfilled_orders_costs_collateral_and_a_runaway_parent_does_not(self):
        s = session_at("09:20:00", "standard")
        before = s.world.collateral_usd
        s.submit("cancel-open")
        s.advance(11_000)
        pending = s.world.cancelled_customer_orders
        assert pending > 1000  # the opening auction's queue
        assert s.world.collateral_usd - before == pending * s.scenario.spec.scoring.cancelled_order_usd
        s = session_at("09:33:00", "standard")
        faulty = s.world.missed[0]
        s.submit(f"stop {faulty}")
        s.advance(21_000)
        s.submit(f"cancel-open {faulty}")
        s.advance(11_000)
        assert s.world.cancelled_customer_orders == 0  # every runaway parent was filled long ago

    def test_a_deploy_to_a_server_already_on_the_release_costs_a_change_and_the_fix_does_not(self):
        s = session_at("09:20:00", "standard")
        faulty = s.world.missed[0]
        healthy = next(name for name in s.scenario.spec.fleet.servers if name != faulty)
        before = s.world.collateral_usd
        s.submit(f"deploy {faulty}")
        s.advance(200_000)
        assert s.world.collateral_usd == before  # the fix changed something: no charge
        s.submit(f"deploy {healthy}")
        s.advance(200_000)
        assert s.world.collateral_usd - before == s.scenario.spec.scoring.needless_change_usd > 0

    def test_what_is_still_stopped_at_the_end_costs_its_business_to_the_close(self):
        scoring = knightmare().spec.scoring
        s = session_at("10:13:00", "standard", (("09:20:05", f"deploy {session_at('09:20:00').world.missed[0]}"),))
        s.submit("stop smars-1")
        out = s.run_to_end()
        # One healthy server stopped at 10:13: its minutes in the drill, then the rest of the day.
        tail = scoring.server_minute_usd * scoring.minutes_after_end
        assert out.contained and out.collateral_usd >= tail
        assert out.collateral_usd < tail + 3 * scoring.server_minute_usd

    def test_a_server_kept_out_because_it_still_carries_the_fault_costs_nothing_after_the_end(self):
        scoring = knightmare().spec.scoring
        s = session_at("09:31:00", "standard")
        s.submit(f"stop {s.world.missed[0]}")
        out = s.run_to_end()
        # Its minutes out of service in the drill (about 44), nothing for the rest of the day.
        assert out.contained and out.collateral_usd < 50 * scoring.server_minute_usd

    def test_a_drill_quit_mid_incident_is_dnf(self):
        s = session_at("09:31:00", "standard")
        out = s.abandon()
        assert (out.ended_by, out.grade) == ("abandoned", DNF)

    def test_resolving_before_the_fault_arrives_does_not_dodge_it(self):
        sc = load("fat-finger")
        s = Session(sc, "standard", 1)
        sub = s.submit("resolve")
        out = s.outcome()
        assert sub.accepted and s.finished and out.ended_by == "resolve"
        assert out.loss_usd > 100_000_000 and out.grade == "F"

    def test_a_refused_resolve_is_not_done(self):
        s = session_at("09:31:00", "standard")
        sub = s.submit("resolve")
        out = s.outcome()
        assert "refused" in sub.message
        assert out.ended_by == "end" and out.actions[-1].status == "refused"
