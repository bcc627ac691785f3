"""The historical morning reproduces the public record (KNIGHT-FACTS / SEC Release 34-70694)."""

import pytest

from tests.engine.helpers import historical

# figure: (record, what the record says)
RECORD = {
    "runaway_parent_orders": 212,
    "executions": 4_000_000,
    "shares": 397_000_000,
    "symbols": 154,
    "long_usd": 3.5e9,
    "long_symbols": 80,
    "short_usd": 3.15e9,
    "short_symbols": 74,
    "loss_usd": 460e6,
}


@pytest.mark.parametrize("figure", list(RECORD))
def test_headline_figure_within_ten_percent(figure):
    got = getattr(historical(), figure)
    want = RECORD[figure]
    assert abs(got - want) <= 0.10 * want, f"{figure}: {got:,} vs the record's {want:,}"


def test_ninety_seven_emails_before_the_open():
    assert historical().emails_before_open == 97


def test_the_historical_morning_bankrupts_the_firm_and_ends_contained_by_the_shutdown():
    o = historical()
    assert o.bankrupt  # $460M against $365M of capital
    assert o.contained and "10:14" <= o.contained_at <= "10:15"
    assert o.faulty_servers == ["smars-8"]
    assert o.grade == "F"
