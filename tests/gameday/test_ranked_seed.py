"""A ranked game day's seed is nobody's to know: with it, a team could run the same drill at home
beforehand and read which server hides the fault. `drill serve --ranked` draws one when none is
given; the trainee's picker, briefing and header never show it (the facilitator's banner does)."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Input, Static

from drill.cli.main import main
from drill.gameday.serve import banner
from drill.hosting.hosted import Facilitation
from drill.tui.screens.briefing import BriefingScreen
from drill.tui.screens.console import ConsoleScreen
from drill.tui.screens.picker import PickerScreen
from drill.tui.widgets.status_header import StatusHeader
from tests.tui.conftest import FakeWall

from .conftest import start_tab, wait_registered
from .test_facilitator import until

SEED = 4242


def served_app(ranked: bool):
    from drill.gameday.served import served_app_class

    return served_app_class()(
        "knightmare", "standard", SEED, 1.0, None, served=True, wall=FakeWall(), blink=False,
        facilitation=Facilitation.fresh(), counterfactuals=False, ranked=ranked,
    )


def _screen_text(app) -> str:
    """Every Static's and Input's text on the active screen, and the header's render."""
    screen = app.screen
    parts = [str(w.render()) for w in screen.query(Static)]
    parts += [f"{w.value} {w.placeholder}" for w in screen.query(Input)]
    parts += [str(h.render()) for h in screen.query(StatusHeader)]
    return "\n".join(parts)


async def _walk_to_console(app, pilot) -> dict[str, str]:
    seen = {}
    await until(pilot, lambda: isinstance(app.screen, PickerScreen))
    seen["picker"] = _screen_text(app)
    await pilot.press(*"red", "enter")
    await until(pilot, lambda: isinstance(app.screen, BriefingScreen))
    seen["briefing"] = _screen_text(app)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.drill is not None)
    await pilot.pause(0.3)
    seen["console"] = _screen_text(app)
    seen["header"] = str(app.screen.query_one(StatusHeader).render())
    return seen


@pytest.mark.parametrize("ranked", [True, False])
async def test_ranked_play_keeps_the_seed_off_the_trainees_screens(data_dir, ranked):
    app = served_app(ranked)
    async with app.run_test(size=(120, 36)) as pilot:
        seen = await _walk_to_console(app, pilot)
        assert app.drill.session.seed == SEED  # the facilitator's seed is the one played
    for where, text in seen.items():
        assert (str(SEED) in text) is not ranked, (where, text)
    if ranked:
        assert "set by the facilitator" in seen["picker"] and "set by the facilitator" in seen["briefing"]
        assert "seed" not in seen["header"]
    else:
        assert f"seed {SEED}" in seen["header"]


def test_ranked_serve_needs_a_scenario(capsys):
    assert main(["serve", "--ranked"]) == 2
    err = capsys.readouterr().err
    assert "--ranked needs a scenario" in err and len(err.strip().splitlines()) == 1


def test_the_banner_says_the_ranked_seed_is_hidden_from_trainees():
    text = banner("127.0.0.1", 8000, "KEY", {"scenario": "knightmare", "seed": 77, "speed": 1.0, "ranked": True},
                  "/data", None, 24)
    assert "seed 77 (hidden from the trainees" in text


@pytest.mark.slow
async def test_ranked_serve_without_a_seed_draws_one_and_every_tab_plays_it(serve, data_dir):
    from drill.scenario import load

    s = serve("knightmare", "--ranked")
    drawn = int(re.search(r"seed (\d+) \(hidden", s.output()).group(1))
    assert drawn != load("knightmare").spec.seed
    c = await start_tab(s.url, team="red")
    try:
        [drill] = await wait_registered(1, timeout=60)
        assert drill["seed"] == drawn
        assert str(drawn) not in c.text()
    finally:
        await c.close()
