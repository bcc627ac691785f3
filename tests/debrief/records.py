"""The debrief's typed records built by hand, for tests of the rules on their own."""

from __future__ import annotations

from drill.debrief.figures import Command, Figures
from drill.session.scoring import Outcome


def command(seq: int, t: int, text: str, status: str = "done", finished_t: int | None = None, by: str = "trainee"):
    return Command(seq, t, text, status, finished_t, by)


def outcome(contained: bool, contained_at: str | None) -> Outcome:
    """An outcome that says only whether and when the drill was contained (every other figure nil)."""
    return Outcome(
        contained=contained, contained_at=contained_at, loss_usd=0.0, collateral_usd=0.0, score_usd=0.0, grade="A",
        bankrupt=False, ended_at="10:15:00", ended_by="end", scenario="knightmare", difficulty="historical", seed=1,
        runaway_parent_orders=0, executions=0, shares=0, symbols=0, long_usd=0.0, long_symbols=0, short_usd=0.0,
        short_symbols=0, emails_before_open=0, faulty_servers=[], max_price_move_bps=0.0,
        symbols_over_50pct_volume_moved_10pct=0, symbols_over_20pct_volume_moved_5pct=0, first_error_at=None,
        minutes_to_contain=None, phases=[], actions=[],
    )


def figures(contained: bool, contained_at: str | None, phases: list[tuple[int, str]]) -> Figures:
    """A re-simulation's figures that say only how containment went."""
    return Figures(outcome(contained, contained_at), None, (), tuple(phases), (), None, None, (), False)
