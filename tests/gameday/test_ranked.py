"""Ranked play and steering the trainee does not see: a facilitator's pause holds against the
trainee's space, a facilitator's speed stands, in ranked play the trainee moves the clock not at
all, and an inject reaches the trainee as its call, not as a line in the action log."""

from __future__ import annotations

from drill.hosting.channel import request
from drill.hosting.hosted import Facilitation
from drill.tui.app import DrillApp
from drill.tui.widgets.status_line import Feedback

from .test_hosting import FakeWall, hosted


def console_app(tmp_path, **kwargs) -> DrillApp:
    return DrillApp("knightmare", "standard", None, 1.0, str(tmp_path / "journal.jsonl"), False,
                    start_at="09:31:00", wall=FakeWall(), blink=False, facilitation=Facilitation.fresh(),
                    counterfactuals=False, **kwargs)


def feedback(app) -> str:
    return str(app.screen.query_one(Feedback).content)


async def command(app, port: int, text: str) -> str:
    return (await request(port, app.facilitation.token, "command", command=text))["result"]


async def test_a_facilitators_pause_holds_against_the_trainees_space(tmp_path):
    app = console_app(tmp_path)
    async with app.run_test(size=(140, 44)) as pilot:
        port = await hosted(app, pilot)
        clock = app.drill.clock
        await command(app, port, "pause")
        assert clock.paused
        await pilot.press("space")
        await pilot.pause()
        assert clock.paused and "facilitator paused" in feedback(app)
        await command(app, port, "speed 10")
        await pilot.press("minus")
        await pilot.pause()
        assert clock.speed == 10 and "facilitator set the speed" in feedback(app)
        await command(app, port, "resume")
        assert not clock.paused
        await pilot.press("space")  # the trainee's own pause, outside ranked play, is theirs
        await pilot.pause()
        assert clock.paused
        await pilot.press("space")
        await pilot.pause()
        assert not clock.paused


async def test_in_ranked_play_only_the_facilitator_moves_the_clock(tmp_path):
    app = console_app(tmp_path, ranked=True)
    async with app.run_test(size=(140, 44)) as pilot:
        port = await hosted(app, pilot)
        clock = app.drill.clock
        assert clock.ranked and not clock.paused
        await pilot.press("space")
        await pilot.press("plus")
        await pilot.pause()
        assert not clock.paused and clock.speed == 1 and "Ranked play" in feedback(app)
        await command(app, port, "pause")
        await pilot.press("space")
        await pilot.pause()
        assert clock.paused
        status = (await request(port, app.facilitation.token, "status"))["status"]
        assert status["ranked"] and status["pause_held"]


async def test_an_inject_reaches_the_trainee_as_the_call_it_stands_for(tmp_path):
    app = console_app(tmp_path)
    async with app.run_test(size=(140, 44)) as pilot:
        port = await hosted(app, pilot)
        await command(app, port, "inject nyse-call")
        await command(app, port, "push-hint look at the releases")
        await pilot.press("colon", *"inspect smars-1", "enter")
        await pilot.pause(0.2)
        snap = app.drill.snapshot()
        assert [c.sender for c in snap.calls] == ["NYSE market operations"]
        # The trainee's action log holds the trainee's commands only.
        assert [a.command for a in snap.actions] == ["inspect smars-1"]
        # The journal and the facilitator's view keep every command, with who gave it.
        outcome = app.drill.outcome()
        assert [(a.by, a.command) for a in outcome.actions] == [
            ("facilitator", "inject nyse-call"), ("facilitator", "push-hint look at the releases"),
            ("trainee", "inspect smars-1")]


def test_the_consoles_debrief_names_the_facilitators_commands(tmp_path):
    # The trainee's own debrief (the console's, after the end) lists every command of the drill:
    # the facilitator's must read as the facilitator's, not as the trainee's.
    from drill.scenario import load
    from drill.session import Session
    from drill.timefmt import parse_clock
    from drill.tui.screens.debrief import timeline

    s = Session(load("knightmare"), "standard", None, journal=tmp_path / "j.jsonl")
    s.advance_to(parse_clock("09:30:10"))
    s.submit("inject nyse-call", by="facilitator")
    s.submit("inspect smars-1")
    s.advance_to(parse_clock("09:31:00"))
    prompts = {str(p).split("\n")[0] for _, _, p, _ in timeline(s.outcome())}
    s.close()
    [inject] = [p for p in prompts if "inject nyse-call" in p]
    [inspect] = [p for p in prompts if "inspect smars-1" in p]
    assert "facilitator" in inject, inject
    assert "facilitator" not in inspect, inspect
