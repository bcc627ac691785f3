"""A pre-started tab builds its drill ahead (drill.gameday.ahead): the console and the briefing are
ready under the picker, and the drill begins when the trainee starts it, exactly as an unpooled
tab's does: the same clock, the same journal, the team and ranked play applied then."""

from __future__ import annotations

import json
from pathlib import Path

from drill.hosting.channel import running_drills
from drill.hosting.hosted import Facilitation
from drill.scenario import load
from drill.tui.screens.briefing import BriefingScreen
from drill.tui.screens.console import ConsoleScreen
from drill.tui.screens.picker import Choice, PickerScreen
from drill.tui.widgets.status_line import Feedback, JournalLabel
from tests.tui.conftest import FakeWall

START = load("knightmare").spec.clock.start


def served_app(pooled: bool, wall: FakeWall, *, ranked: bool = False):
    from drill.gameday.served import served_app_class

    app = served_app_class()(
        "knightmare", "standard", 3, 1.0, None, served=True, wall=wall, blink=False,
        facilitation=Facilitation.fresh(), counterfactuals=False, ranked=ranked,
    )
    app.pooled = pooled
    return app


async def _until(pilot, condition, timeout=30.0):
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


def _built(app) -> bool:
    """The pooled tab's stack is built and it has said so (its building worker is done)."""
    done = not any(w.name == "ahead" and not w.is_finished for w in app.workers)
    return done and isinstance(app.screen, PickerScreen) and [type(s) for s in app.screen_stack][1:] == [
        ConsoleScreen, BriefingScreen, PickerScreen,
    ]


def journals(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "journals").glob("*.jsonl")) if (data_dir / "journals").exists() else []


async def _play(app, wall: FakeWall, data_dir: Path, team: str, waited_s: float) -> dict:
    """Wait at the picker (`waited_s` of wall time), start as `team`, run 0.2 s of wall time and a
    command; what the drill shows and journals."""
    before = journals(data_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, PickerScreen) and (app.built is None or _built(app)))
        await pilot.pause(0.3)
        assert journals(data_dir) == before and running_drills() == [], "nothing journaled or registered yet"
        wall.advance(waited_s)
        await pilot.pause(0.3)
        await pilot.press(*team, "enter")
        await _until(pilot, lambda: isinstance(app.screen, BriefingScreen))
        briefing = app.screen
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.hosted is not None)
        at_start = app.drill.session.now
        wall.advance(0.2)
        await _until(pilot, lambda: app.drill.session.now > at_start)
        await pilot.press("colon", *"inspect smars-1", "enter")
        await _until(pilot, lambda: any(a.command == "inspect smars-1" for a in app.drill.snapshot().actions))
        seen = {
            "at_start": at_start,
            "after": app.drill.session.now,
            "paused": app.drill.clock.paused,
            "ranked": app.drill.clock.ranked,
            "team": app.team,
            "registered": running_drills(),
            "journal": str(app.drill.journal_path),
            "label": str(app.screen.query_one(JournalLabel).path),
            "feedback": str(app.screen.query_one(Feedback).content),
            "briefing": briefing,
            "console": app.screen,
        }
        await pilot.press("escape", "space")
        seen["space"] = str(app.screen.query_one(Feedback).content)
        await pilot.press("ctrl+q", "y")
    return seen


def _records(path: str) -> list[dict]:
    records = [json.loads(line) for line in Path(path).read_text().splitlines()]
    for r in records:
        r.pop("written", None)  # the header's wall time
    return records


async def test_a_pooled_tabs_drill_begins_when_the_trainee_starts_it_like_an_unpooled_one(data_dir):
    pooled_wall, fresh_wall = FakeWall(), FakeWall()
    pooled = served_app(True, pooled_wall)
    seen = await _play(pooled, pooled_wall, data_dir, "red", waited_s=100.0)
    assert isinstance(seen["briefing"], BriefingScreen) and seen["console"] is not None
    assert seen["at_start"] == START, "the clock did not move while the tab waited for its trainee"
    assert seen["after"] == START + 200, "the clock counts from the trainee's start, at 1x"
    assert not seen["paused"]
    assert seen["team"] == "red"
    [entry] = seen["registered"]
    assert entry["team"] == "red" and entry["seed"] == 3
    assert seen["label"].endswith(Path(seen["journal"]).name), "the console names its journal"

    fresh = served_app(False, fresh_wall)
    unpooled = await _play(fresh, fresh_wall, data_dir, "red", waited_s=100.0)
    assert (unpooled["at_start"], unpooled["after"]) == (seen["at_start"], seen["after"])
    assert len(journals(data_dir)) == 2
    pooled_records, fresh_records = _records(seen["journal"]), _records(unpooled["journal"])
    assert [r["type"] for r in pooled_records] == ["header", "command", "end"]
    assert pooled_records == fresh_records, "the same journal, record for record (but the header's wall time)"


async def test_the_console_built_ahead_is_the_one_revealed(data_dir):
    wall = FakeWall()
    app = served_app(True, wall)
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: _built(app))
        built = app.built
        assert built.drill.clock.paused and built.console.held
        await pilot.press(*"blue", "enter")
        await _until(pilot, lambda: isinstance(app.screen, BriefingScreen))
        assert app.screen is built.briefing
        await pilot.press("enter")
        await _until(pilot, lambda: app.hosted is not None)
        assert app.screen is built.console and app.console_screen is built.console and app.drill is built.drill
        assert not built.console.held and not app.drill.clock.paused
        assert [type(s) for s in app.screen_stack][1:] == [ConsoleScreen]
        await pilot.press("ctrl+q", "y")


async def test_a_choice_other_than_the_one_built_ahead_is_built_then(data_dir):
    wall = FakeWall()
    app = served_app(True, wall)
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: _built(app))
        built = app.built
        app.screen.dismiss(Choice("knightmare", "historical", 9, "green"))  # as a picker offering more would
        await _until(pilot, lambda: isinstance(app.screen, BriefingScreen) and app.screen is not built.briefing)
        assert "historical · seed 9" in str(app.screen.query_one(".briefing--title").content)
        await pilot.press("enter")
        await _until(pilot, lambda: app.hosted is not None)
        assert app.console_screen is not built.console and app.drill is not built.drill
        assert (app.drill.session.difficulty, app.drill.session.seed) == ("historical", 9)
        assert [type(s) for s in app.screen_stack][1:] == [ConsoleScreen], "what was built ahead is gone"
        assert app.team == "green" and running_drills()[0]["team"] == "green"
        assert len(journals(data_dir)) == 1
        await pilot.press("ctrl+q", "y")


async def test_back_to_the_picker_from_the_briefing_built_ahead_still_plays_it(data_dir):
    wall = FakeWall()
    app = served_app(True, wall)
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: _built(app))
        built = app.built
        await pilot.press(*"blue", "enter")
        await _until(pilot, lambda: app.screen is built.briefing)
        await pilot.press("escape")
        await _until(pilot, lambda: isinstance(app.screen, PickerScreen))
        await pilot.press(*"gold", "enter")  # the field offers "blue", selected: typing replaces it
        await _until(pilot, lambda: isinstance(app.screen, BriefingScreen))
        await pilot.press("enter")
        await _until(pilot, lambda: app.hosted is not None)
        assert app.console_screen is built.console and app.team == "gold"
        assert app.drill.session.now == START
        await pilot.press("ctrl+q", "y")


async def test_ranked_play_and_markup_in_the_team_apply_to_the_drill_built_ahead(data_dir):
    wall = FakeWall()
    app = served_app(True, wall, ranked=True)
    seen = await _play(app, wall, data_dir, "[/x]", waited_s=5.0)
    assert seen["ranked"] and "Ranked play" in seen["space"], "the trainee's space is refused"
    assert seen["team"] == "[/x]" and seen["registered"][0]["team"] == "[/x]"
    assert seen["after"] == START + 200


async def test_a_tab_stopped_while_pooled_records_nothing(data_dir):
    app = served_app(True, FakeWall())
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: _built(app))
        # play() ends and records the app's drill: a drill built ahead is not the app's until it begins.
        assert app.drill is None and app.console_screen is None and not app.drill_running
    app.record_result()
    assert app.result_id is None
    assert journals(data_dir) == [] and running_drills() == []


async def test_a_browser_narrower_than_the_pools_terminal_gets_the_narrow_console(data_dir):
    app = served_app(True, FakeWall())
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: _built(app))
        built = app.built
        assert built.console.wide, "built at the pool's 120 columns: the side panels beside the tabs"
        await pilot.resize_terminal(90, 30)  # the browser's own size, sent as it takes the tab
        await pilot.press(*"blue", "enter")
        await _until(pilot, lambda: app.screen is built.briefing)
        await pilot.press("enter")
        await _until(pilot, lambda: app.hosted is not None and app.screen is built.console)
        await _until(pilot, lambda: not built.console.wide and not built.console.has_class("-wide"))
        assert built.console.size.width == 90
        await pilot.press("ctrl+q", "y")


async def _focus_through_start_blur(pooled: bool) -> tuple[bool, bool, bool | None]:
    """(the app's focus after the driver's blur at start, the screens built ahead hold a focused
    widget, the app's focus after a later blur: None for a tab not pooled)."""
    from textual import events

    app = served_app(pooled, FakeWall())
    async with app.run_test(size=(120, 36)) as pilot:
        app.post_message(events.AppBlur())  # the driver's, at start (a test's driver sends none)
        await pilot.pause(0.2)
        await _until(pilot, lambda: isinstance(app.screen, PickerScreen) and (not pooled or _built(app)))
        focused_at_start = app.app_focus
        built = app.built
        held = built is not None and built.briefing.focused is not None and built.console.focused is not None
        later = None
        if pooled:
            app.post_message(events.AppBlur())  # the browser's window lost focus
            await _until(pilot, lambda: not app.app_focus)
            later = app.app_focus
        await pilot.press("ctrl+q")
    return focused_at_start, held, later


async def test_a_pooled_tab_keeps_its_focus_through_the_drivers_blur_at_start(data_dir):
    """The web driver blurs the app as it starts, before any browser; the served page focuses the
    terminal as it loads. A pre-started tab ignores that one blur, so its browser's first key does
    not restyle the picker (nor each screen built ahead as it is uncovered); a blur the browser
    sends later counts. A tab started for its browser keeps textual's way."""
    assert await _focus_through_start_blur(True) == (True, True, False)
    assert (await _focus_through_start_blur(False))[0] is False


async def test_leaving_the_briefing_restyles_none_of_its_blocks(data_dir, monkeypatch):
    """Enter at the briefing goes straight to the console: the blur of the briefing's scroller as
    the screen goes restyled every block of its Markdown, for a screen nobody sees again."""
    from textual.widgets import Markdown

    app = served_app(True, FakeWall())
    async with app.run_test(size=(120, 36)) as pilot:
        await _until(pilot, lambda: _built(app))
        built = app.built
        await pilot.press(*"blue", "enter")
        await _until(pilot, lambda: app.screen is built.briefing)
        blocks = set(built.briefing.query_one(Markdown).walk_children(with_self=True))
        assert len(blocks) > 5
        restyled: list = []
        update_nodes = app.stylesheet.update_nodes

        def recording(nodes, animate=False):
            nodes = list(nodes)
            restyled.extend(nodes)
            return update_nodes(nodes, animate=animate)

        monkeypatch.setattr(app.stylesheet, "update_nodes", recording)
        await pilot.press("enter")
        await _until(pilot, lambda: app.hosted is not None and app.screen is built.console)
        await pilot.pause(0.2)
        assert not blocks & set(restyled), "the briefing's blocks were restyled as it went"
        await pilot.press("ctrl+q", "y")
