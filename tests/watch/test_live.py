"""Following a drill while it is played: a headless session writes its journal (flushed per
command, as every drill does), and the watcher, reading only that file, catches up."""

from __future__ import annotations

from drill.scenario import load
from drill.session import Session
from drill.timefmt import parse_clock

from .conftest import command

RELOAD_WAIT_S = 0.6  # a little more than the watcher's RELOAD_EVERY_S, on its fake wall


def stale_server(snap) -> str:
    releases = [r.release for r in snap.fleet]
    return next(r.name for r in snap.fleet if releases.count(r.release) == 1)


def frames(screen, wall, seconds: float) -> None:
    for _ in range(round(seconds / 0.1)):
        wall.advance(0.1)
        screen.frame()


async def test_a_live_drill_is_followed_from_its_journal(tmp_path, watch_app, wall):
    journal = tmp_path / "live.jsonl"
    trainee = Session(load("knightmare"), "standard", None, journal)
    try:
        trainee.advance_to(parse_clock("09:40:00"))
        stale = stale_server(trainee.snapshot())
        trainee.submit(f"inspect {stale}")
        app = watch_app(journal, live=True)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = app.watch_screen
            # Watched from the journal's edge: its latest record.
            assert screen.snap.now == parse_clock("09:40:00")
            assert [a.command for a in screen.snap.actions] == [f"inspect {stale}"]

            # The trainee goes on and acts; the watcher takes the command in within a reload.
            trainee.advance_to(parse_clock("09:43:00"))
            trainee.submit(f"stop {stale}")
            seen_by_trainee = trainee.snapshot()
            frames(screen, wall, RELOAD_WAIT_S)
            assert [m.command for m in screen.recording.marks][-1] == f"stop {stale}"
            await command(pilot, "seek 09:43:00")
            assert screen.snap == seen_by_trainee

            # The watcher runs ahead of the trainee (its own clock); a command the trainee gives
            # for an instant the watcher has passed rewinds it, and it comes back to where it was
            # with the command in its place.
            await command(pilot, "seek 09:46:00")
            trainee.advance_to(parse_clock("09:44:30"))
            trainee.submit("cancel-open")
            frames(screen, wall, RELOAD_WAIT_S)
            assert screen.snap.now == parse_clock("09:46:00")
            assert [a.command for a in screen.snap.actions][-1] == "cancel-open"
            trainee.advance_to(parse_clock("09:46:00"))
            assert screen.snap == trainee.snapshot()

            # Played at 1x, the watcher follows the clock; a typed command still goes nowhere.
            await pilot.press("escape", "space")
            frames(screen, wall, 2.0)
            assert screen.snap.now == parse_clock("09:46:02")
            before = journal.read_bytes()
            await command(pilot, "stop-all")
            assert journal.read_bytes() == before

            # The trainee quits: the journal ends, and so does what there is to watch.
            trainee.advance_to(parse_clock("09:50:00"))
            trainee.abandon()
            frames(screen, wall, RELOAD_WAIT_S)
            assert screen.recording.limit == parse_clock("09:50:00")
    finally:
        trainee.close()
