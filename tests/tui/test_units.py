"""Unit tests of the console's pure parts: the clock, completion, the chart, formatting."""

from __future__ import annotations

import pytest

from drill.commands import VERBS
from drill.tui import format as fmt
from drill.tui.completion import Completer
from drill.tui.controller import SPEEDS, Drill, SimClock, faster, slower
from drill.tui.widgets.chart import columns, draw, nice_ceiling

from .conftest import FakeWall


class TestSimClock:
    def test_pace_is_exact_over_many_small_chunks(self):
        wall = FakeWall()
        clock = SimClock(speed=60, wall=wall)
        total = 0
        for _ in range(300):  # 10 s of 1/30 s frames
            wall.advance(1 / 30)
            total += clock.step_ms()
        assert total == pytest.approx(600_000, abs=1)  # fractions of a ms are carried, not lost

    def test_paused_clock_owes_nothing_and_resume_does_not_catch_up(self):
        wall = FakeWall()
        clock = SimClock(speed=10, paused=True, wall=wall)
        wall.advance(0.2)
        assert clock.step_ms() == 0
        wall.advance(60)  # a long pause
        clock.resume()
        wall.advance(0.1)
        assert clock.step_ms() == 1000

    def test_a_late_frame_is_capped(self):
        wall = FakeWall()
        clock = SimClock(speed=60, wall=wall, max_wall_s=0.25)
        wall.advance(3.0)
        assert clock.step_ms() == 15_000

    def test_speed_ladder(self):
        assert [faster(s) for s in SPEEDS] == [2, 5, 10, 30, 60, 60]
        assert [slower(s) for s in SPEEDS] == [1, 1, 2, 5, 10, 30]
        assert faster(3) == 5 and slower(3) == 2  # a speed from the command line joins the ladder
        with pytest.raises(ValueError):
            SimClock(speed=0)


def test_drill_frame_yields_while_another_thread_holds_the_session(tmp_path):
    wall = FakeWall()
    drill = Drill("knightmare", "standard", None, tmp_path / "j.jsonl", speed=10, wall=wall)
    start = drill.session.now
    with drill.lock:
        import threading

        result = []
        t = threading.Thread(target=lambda: result.append(drill.frame()))
        wall.advance(0.1)
        t.start()
        t.join(5)
        assert result == [0] and drill.session.now == start  # it did not wait, nor advance
    wall.advance(0.1)
    assert drill.frame() > 0
    drill.abandon()


class TestCompleter:
    @pytest.fixture
    def completer(self):
        return Completer(["inspect", "logs", "stop", "stop-all", "disable-flag", "cancel-open", "ack", "resolve"],
                         ["smars-1", "smars-2", "smars-8"], ["RLP"], lambda: ["A1", "A2"])

    def test_verbs_then_arguments(self, completer):
        assert completer.complete("dis") == ("disable-flag ", ["disable-flag"])
        assert completer.complete("sto") == ("stop", ["stop", "stop-all"])
        assert completer.complete("stop ") == ("stop smars-", ["smars-1", "smars-2", "smars-8"])
        assert completer.complete("disable-flag r") == ("disable-flag RLP", ["RLP"])  # canonical case
        assert completer.complete("ack ") == ("ack A", ["A1", "A2"])
        assert completer.complete("resolve ") == ("resolve ", [])  # takes no argument
        assert completer.complete("frob") == ("frob", [])

    def test_suggestion_extends_the_line(self, completer):
        assert completer.suggest("insp") == "inspect"
        assert completer.suggest("stop sm") == "stop smars-1"
        assert completer.suggest("stop smars-8") is None
        assert completer.suggest("") is None

    def test_commands_for_the_palette(self, completer):
        texts = [t for t, _ in completer.commands()]
        assert "stop smars-2" in texts and "disable-flag RLP" in texts and "ack A2" in texts
        assert "cancel-open" in texts and "cancel-open smars-1" in texts  # optional argument
        assert "stop" not in texts  # a required argument is always filled in
        assert all(t.split()[0] in VERBS for t in texts)


class TestChart:
    def test_nice_ceiling(self):
        assert [nice_ceiling(v) for v in (0, 0.7, 3, 19e6, 460e6)] == [1.0, 1.0, 5.0, 20e6, 500e6]

    def test_columns_bucket_and_carry(self):
        cols = columns([(0, 1.0), (10, 5.0), (50, 7.0)], 0, 100, 10)
        assert cols[0] == 1.0 and cols[1] == 5.0 and cols[2:5] == [5.0, 5.0, 5.0] and cols[5] == 7.0
        assert cols[6:] == [None] * 4  # not reached yet

    def test_draw_fits_its_box(self):
        text = draw("Loss", [(0, 1e6), (50, 4e6)], 0, 100, 40, 8)
        lines = text.plain.split("\n")
        assert len(lines) == 8 and all(len(line) <= 40 for line in lines)
        assert "Loss: $4.00M" in lines[0] and "$5M" in lines[1] and "█" in text.plain
        assert draw("Loss", [], 0, 100, 5, 3).plain == ""  # too narrow: nothing, no crash


def test_money_formats():
    assert [fmt.usd(v) for v in (0, 950, 12_345, 26_456_717, 1.23e9, -5e6)] == \
        ["$0", "$950", "$12.3K", "$26.46M", "$1.23B", "-$5.00M"]
    assert fmt.usd(None) == "?"
    assert fmt.usd_round(2.5e6) == "$2.5M" and fmt.usd_round(5e8) == "$500M"
    assert fmt.crop_left("/a/very/long/path/journal.jsonl", 14) == "…journal.jsonl"


def test_importing_the_console_package_is_cheap():
    """`drill.tui` and its pure parts load without Textual: the CLI imports them freely."""
    import subprocess
    import sys

    code = ("import sys, drill.tui, drill.tui.controller, drill.tui.completion, drill.tui.format\n"
            "print(','.join(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


# -- issue 17: what a trainee reads ---------------------------------------------------------------

def _snapshot_at(clock: str, difficulty: str = "standard"):
    from drill.timefmt import parse_clock

    drill = Drill("knightmare", difficulty, 7)
    drill.advance_to(parse_clock(clock))
    return drill.snapshot()


@pytest.mark.parametrize("difficulty", ["standard", "historical"])
@pytest.mark.parametrize("width", [60, 78, 118])
def test_the_header_never_cuts_a_figure(difficulty, width):
    """Loss (or `?`), capital, collateral, clock, speed and phase whole at any width from 60;
    the exposure gives way first where the loss is shown, and the title before the difficulty."""
    from dataclasses import replace

    from drill.tui.widgets.status_header import clock_line, fit_row, money_row, title_line

    snap = replace(_snapshot_at("09:40:00", difficulty), collateral_usd=12_345_678.0)
    money = money_row(snap, width).plain
    assert len(money) == width
    if snap.loss_usd is not None:
        assert fmt.usd(snap.loss_usd) in money and fmt.usd(snap.capital_left_usd) in money
    else:
        assert "Loss ?" in money and fmt.usd(snap.capital_usd) in money
        assert fmt.usd(snap.exposure_usd) in money and f"{snap.monitor_lag_s:,.0f}s" in money
    assert fmt.usd(snap.collateral_usd) in money
    clock = clock_line(snap, 30.0, False)
    top = fit_row(title_line(snap, width - clock.cell_len - 1), clock, width).plain
    assert snap.clock in top and "30x" in top and snap.phase.upper() in top
    if width >= 78:  # an 80-column terminal and wider
        assert f"{snap.difficulty} · seed 7" in top


def test_literal_shows_control_characters_and_keeps_markup_as_text():
    assert fmt.literal("inspect \x1b[31m[/x]\x9b") == "inspect \\x1b[31m[/x]\\x9b"
    assert fmt.literal("two\nlines\tand a tab") == "two\nlines\tand a tab"


def test_panel_keys_follow_the_tab_order_and_ids_are_unique():
    from drill.tui.panels import PANELS, key_range

    assert [p.key for p in PANELS] == [str(i + 1) for i in range(len(PANELS))]
    assert len({p.id for p in PANELS}) == len(PANELS) and len({p.widget_id for p in PANELS}) == len(PANELS)
    assert all(p.title and p.help for p in PANELS)
    assert key_range(PANELS) == f"1 … {len(PANELS)}" and key_range(PANELS[:8]) == "1 … 8"
    assert key_range((PANELS[0], PANELS[2])) == "1 3"


def test_the_chart_ends_on_the_headers_figure():
    from drill.tui.widgets.chart import headline, series_of

    for difficulty in ("standard", "historical"):
        snap = _snapshot_at("09:37:13", difficulty)
        title, points = series_of(snap)
        assert headline(snap) == (snap.loss_usd if snap.loss_usd is not None else snap.exposure_usd)
        assert [at for at, _ in points] == sorted(at for at, _ in points)
        assert points[-1][0] == (snap.now if snap.loss_usd is not None else snap.now - round(snap.monitor_lag_s * 1000))
