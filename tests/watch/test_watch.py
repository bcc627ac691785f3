"""Watching a recorded drill: the console, read-only, over its re-simulated journal.

The recorded drills here are played in the real console (DrillApp under Pilot, with a fake wall
clock), and what its screen held at chosen instants is what the watcher must show there."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from drill.session.replay import Player
from drill.session.rewind import Rewinder
from drill.timefmt import parse_clock
from drill.tui.app import DrillApp
from drill.tui.screens.watch import REFUSAL
from drill.tui.widgets.status_line import Feedback

from .conftest import FakeWall, command

SEEN_AT = ("09:41:00", "09:47:30", "09:55:00")


def stale_server(snap) -> str:
    releases = [r.release for r in snap.fleet]
    return next(r.name for r in snap.fleet if releases.count(r.release) == 1)


async def record_a_drill(journal, shared_runs) -> dict[str, object]:
    """The drill below, played once per test session (every worker reads the first one's journal
    and snapshots, tests/conftest.py), written to `journal`; the console's snapshot at each time
    in SEEN_AT."""
    played, seen = await shared_runs.get_async(("watch: the recorded drill",), play_a_drill)
    journal.write_bytes(played)
    end = json.loads(journal.read_text().splitlines()[-1])
    assert (end["type"], end["reason"], end["t"]) == ("end", "abandoned", parse_clock(SEEN_AT[2]))
    return seen


async def play_a_drill() -> tuple[bytes, dict[str, object]]:
    """Play knightmare (standard) in the console: inspect, then stop the stale server, then a
    refused command; its journal and the console's snapshot at each time in SEEN_AT."""
    directory = Path(tempfile.mkdtemp(prefix="drill-watch-"))
    try:
        journal = directory / "played.jsonl"
        seen = await play_in_the_console(journal)
        return journal.read_bytes(), seen
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def play_in_the_console(journal: Path) -> dict[str, object]:
    app = DrillApp("knightmare", "standard", None, 10.0, str(journal), True, start_at="09:38:00",
                   wall=FakeWall(), counterfactuals=False, blink=False)
    seen = {}
    async with app.run_test(size=(120, 36)) as pilot:
        console = app.console_screen
        stale = stale_server(console.snap)
        console.step(parse_clock("09:40:00") - console.snap.now)
        await command(pilot, f"inspect {stale}")
        console.step(parse_clock(SEEN_AT[0]) - console.snap.now)
        seen[SEEN_AT[0]] = console.snap
        console.step(parse_clock("09:47:30") - console.snap.now)
        await command(pilot, f"stop {stale}")
        await command(pilot, "kill-switch")  # standard has one: accepted, or refused; journaled either way
        seen[SEEN_AT[1]] = console.snap  # the instant of the commands, after them
        console.step(parse_clock(SEEN_AT[2]) - console.snap.now)
        seen[SEEN_AT[2]] = console.snap
        await pilot.press("escape", "q")
        await pilot.pause()
        await pilot.press("y")  # quit: the journal ends, abandoned, at 09:55
        await pilot.pause()
    return seen


async def test_seeking_shows_exactly_what_the_trainee_saw(tmp_path, watch_app, shared_runs):
    """Seek (typed `seek HH:MM:SS`, out of order, so backwards too): the snapshot the watcher's
    console renders equals the one the trainee's console held at that instant."""
    journal = tmp_path / "played.jsonl"
    seen = await record_a_drill(journal, shared_runs)
    app = watch_app(journal)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.watch_screen
        for at in (SEEN_AT[2], SEEN_AT[0], SEEN_AT[1], SEEN_AT[0]):
            await command(pilot, f"seek {at}")
            assert screen.snap.clock == at
            assert screen.snap == seen[at], f"at {at} the watcher's snapshot differs from the trainee's"


async def test_typed_commands_are_refused_and_nothing_is_journaled(tmp_path, watch_app, shared_runs):
    journal = tmp_path / "played.jsonl"
    await record_a_drill(journal, shared_runs)
    before = journal.read_bytes()
    app = watch_app(journal)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.watch_screen
        await command(pilot, "seek 09:45")
        actions = screen.snap.actions
        for typed in ("stop-all", "resolve", "frobnicate", "inject second-fault"):
            await command(pilot, typed)
            feedback = screen.query_one(Feedback)
            assert (feedback.kind, feedback.message) == ("refused", REFUSAL), typed
        assert screen.snap.actions == actions
    assert journal.read_bytes() == before


async def test_command_keys_jump_between_the_trainees_commands(tmp_path, watch_app, shared_runs):
    journal = tmp_path / "played.jsonl"
    await record_a_drill(journal, shared_runs)
    times = [json.loads(line)["t"] for line in journal.read_text().splitlines() if '"type":"command"' in line]
    app = watch_app(journal)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.watch_screen
        await pilot.press("escape", "right_square_bracket")
        await pilot.pause()
        assert screen.snap.now == times[0]
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert screen.snap.now == times[1]  # the stop and the kill switch share one instant
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert screen.snap.now == times[1] and "No command after" in screen.query_one(Feedback).message
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert screen.snap.now == times[0]
        await pilot.press("full_stop", "full_stop")
        await pilot.pause()
        assert screen.snap.now == times[0] + 120_000


async def test_play_speed_and_the_end(tmp_path, watch_app, shared_runs, wall):
    """Space plays at the chosen speed (the fake wall moves, the sim follows); at the drill's end
    the watcher stays on it, paused, instead of going to a debrief."""
    journal = tmp_path / "played.jsonl"
    await record_a_drill(journal, shared_runs)
    app = watch_app(journal)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.watch_screen
        await command(pilot, "seek 09:50")
        await pilot.press("escape", "space", "plus", "plus")  # 1x -> 2x -> 5x
        for _ in range(10):
            wall.advance(0.1)
            screen.frame()
        assert screen.snap.now == parse_clock("09:50:05")
        await command(pilot, "seek 09:54:58")
        for _ in range(10):
            wall.advance(0.25)
            screen.frame()
        await pilot.pause()
        assert screen.snap.now == parse_clock("09:55:00")  # where the trainee quit
        assert app.screen is screen and screen.recording.clock.paused
        assert "The drill ended at 09:55:00" in screen.query_one(Feedback).message


def test_a_rewound_state_equals_the_state_reached_going_forward(tmp_path):
    """The checkpoints are exact: after running to the end and seeking back, each instant's
    snapshot equals the one a fresh re-simulation reaches going forward."""
    from drill.cli.main import main

    journal = tmp_path / "run.jsonl"
    assert main(["run", "knightmare", "--difficulty", "standard", "--actions",
                 "scenarios/knightmare/historical.actions", "--journal", str(journal)]) == 0
    with Rewinder(journal, every_ms=60_000) as rewinder:
        rewinder.seek(rewinder.info.limit)
        forward = Player(journal)
        try:
            for at in ("09:44:00", "09:58:30", "09:31:07"):
                got = rewinder.seek(parse_clock(at)).snap
                forward.advance_to(parse_clock(at)) if parse_clock(at) >= forward.now else None
                if forward.now != parse_clock(at):
                    forward.close()
                    forward = Player(journal)
                    forward.advance_to(parse_clock(at))
                assert got == forward.snapshot(), at
        finally:
            forward.close()


def test_todays_drill_run_journal_replays_and_can_be_watched(tmp_path):
    """A journal written by `drill run` as it is today (no watch-specific fields) is watched to
    its end, every command taken with its own number, ending as the journal's end says."""
    from drill.cli.main import main
    from drill.session.replay import replay

    journal = tmp_path / "run.jsonl"
    assert main(["run", "knightmare", "--difficulty", "historical", "--actions",
                 "scenarios/knightmare/historical.actions", "--journal", str(journal)]) == 0
    assert replay(journal).ok
    end = json.loads(journal.read_text().splitlines()[-1])
    with Rewinder(journal) as rewinder:
        marks = rewinder.info.marks
        assert [m.command for m in marks][-1] == "stop-all"
        final = rewinder.seek(rewinder.info.limit)
        assert final.snap.finished and final.snap.now == end["t"] and final.info.problems == ()
        assert final.snap.collateral_usd == end["outcome"]["collateral_usd"]


def test_closing_ends_every_process_it_started(tmp_path):
    from drill.cli.main import main

    journal = tmp_path / "run.jsonl"
    assert main(["run", "knightmare", "--actions", "scenarios/knightmare/historical.actions",
                 "--journal", str(journal)]) == 0
    rewinder = Rewinder(journal)
    rewinder.seek(parse_clock("10:00"))
    rewinder.seek(parse_clock("09:30"))  # a checkpoint's fork took over: the family has grown
    group = rewinder._proc.pid
    rewinder.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError("processes of the watcher's group outlived it")


async def test_a_lost_re_simulation_is_one_line_not_a_crash(tmp_path, watch_app):
    """The helper processes killed under the watcher: the screen stays, frozen, and says so."""
    import signal

    from drill.cli.main import main

    journal = tmp_path / "run.jsonl"
    assert main(["run", "knightmare", "--journal", str(journal)]) == 0
    app = watch_app(journal)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.watch_screen
        os.killpg(screen.recording.source._proc.pid, signal.SIGKILL)
        await pilot.press("full_stop")
        await pilot.pause()
        feedback = screen.query_one(Feedback)
        assert feedback.kind == "error" and "stopped answering" in feedback.message
        assert app.screen is screen and screen.lost
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


def test_a_facilitators_steering_is_watched_as_it_happened(tmp_path):
    """Injects and hints are journaled as the facilitator's: the watcher re-applies them at their
    instants (the call the inject makes shows in the trainee's calls, the hint in the inbox)."""
    from drill.scenario import load
    from drill.session import Session

    journal = tmp_path / "steered.jsonl"
    trainee = Session(load("knightmare"), "standard", None, journal)
    seen = {}
    try:
        trainee.advance_to(parse_clock("09:36:00"))
        trainee.submit("inject nyse-call", by="facilitator")
        trainee.advance_to(parse_clock("09:37:00"))
        trainee.submit("push-hint look at the odd server out", by="facilitator")
        trainee.advance_to(parse_clock("09:38:30"))
        seen["09:38:30"] = trainee.snapshot()
        trainee.advance_to(parse_clock("09:40:00"))
        trainee.abandon()
    finally:
        trainee.close()
    with Rewinder(journal) as rewinder:
        assert [m.by for m in rewinder.info.marks] == ["facilitator", "facilitator"]
        rewinder.seek(parse_clock("09:40:00"))
        assert rewinder.seek(parse_clock("09:38:30")).snap == seen["09:38:30"]


def test_the_watch_bench_reports_its_figures():
    """`drill bench --watch` in small: every seek lands where asked (checked inside) and the
    figures are there; how fast is for docs/BENCHMARKS.md, not for a test."""
    from drill.session.rewind_bench import bench_watch

    result = bench_watch(seeks=3, baseline=1)
    assert result["seeks"] == 3 and result["checkpoints"] >= 2
    for key in ("seek_median_s", "seek_max_s", "resim_from_start_median_s", "family_pss_mb"):
        assert result[key] > 0, key


def test_a_journal_cut_short_is_watched_up_to_its_last_record(tmp_path):
    """A drill killed mid-morning leaves no end record and perhaps a torn last line: it is
    watched up to its last whole record, and no further (nothing says what came next)."""
    from drill.scenario import load
    from drill.session import Session

    journal = tmp_path / "killed.jsonl"
    trainee = Session(load("knightmare"), "standard", None, journal)
    trainee.advance_to(parse_clock("09:41:00"))
    trainee.submit("diff-deploy")
    trainee.advance_to(parse_clock("09:44:00"))
    seen = trainee.snapshot()
    trainee.close()  # no end record: as if the process had been killed
    last_t = max(json.loads(line)["t"] for line in journal.read_text().splitlines()[1:])
    with journal.open("a") as fh:
        fh.write('{"type":"command","seq":2,"t":')  # torn mid-write
    with Rewinder(journal) as rewinder:
        assert rewinder.info.limit == last_t + 1  # just past the last result, so it has landed
        frame = rewinder.seek(parse_clock("10:00:00"))
        assert frame.snap.now == last_t + 1
        assert [a.command for a in frame.snap.actions] == ["diff-deploy"]
        assert [a.status for a in frame.snap.actions] == [a.status for a in seen.actions]


def test_checkpoints_are_spaced_so_a_long_drill_keeps_a_bounded_number(tmp_path):
    """However long the drill, at most MAX_CHECKPOINTS copies are kept: asked for one every
    simulated minute over a knightmare morning, it spaces them wider, and keeps them exact."""
    from drill.cli.main import main
    from drill.session.rewind import MAX_CHECKPOINTS

    journal = tmp_path / "run.jsonl"
    assert main(["run", "knightmare", "--journal", str(journal)]) == 0
    with Rewinder(journal, every_ms=1_000) as rewinder:
        info = rewinder.info
        assert len(range(info.start, info.limit, info.every_ms)) <= MAX_CHECKPOINTS
        assert info.every_ms * MAX_CHECKPOINTS >= info.limit - info.start


async def test_help_lists_the_watchers_keys_and_says_it_is_read_only(tmp_path, watch_app):
    from drill.cli.main import main
    from drill.tui.screens.briefing import BriefingScreen
    from drill.tui.screens.help import HelpScreen

    journal = tmp_path / "run.jsonl"
    assert main(["run", "knightmare", "--journal", str(journal)]) == 0
    app = watch_app(journal)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen._markdown
        assert text.startswith("# Help: watching a drill") and "Read-only" in text
        for key in ("`[`", "`]`", "`,`", "`.`", "`g`", "`q`"):
            assert key in text, key
        await pilot.press("escape", "b")
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)  # the trainee's briefing, from the journal's scenario


def test_a_killed_watcher_leaves_no_process_and_no_directory(tmp_path):
    """SIGKILL gives the watcher no chance to tidy: its helpers see the lifeline close and leave,
    the last checkpoint removing the directory of sockets."""
    import signal
    import subprocess
    import sys

    from drill.cli.main import main

    journal = tmp_path / "run.jsonl"
    assert main(["run", "knightmare", "--journal", str(journal)]) == 0
    code = ("import sys, time\nfrom drill.session.rewind import Rewinder\n"
            f"r = Rewinder({str(journal)!r})\nprint(r._dir, r._proc.pid, flush=True)\ntime.sleep(600)\n")
    watcher = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        directory, group = watcher.stdout.readline().split()
        deadline = time.monotonic() + 60
        while len(list(Path(directory).glob("*.sock"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # some checkpoints made
    finally:
        watcher.send_signal(signal.SIGKILL)
        watcher.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.killpg(int(group), 0)
        except ProcessLookupError:
            if not Path(directory).exists():
                return
        time.sleep(0.1)
    raise AssertionError(f"left behind: group alive or {directory} still there")
