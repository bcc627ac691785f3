"""The facilitator's console against real drills and their channels: attach by token or serve key,
refuse a wrong token, show the hidden truth and the commands, steer (pause, speed, inject, hint),
rank the teams live, and lay the finished drills' debriefs side by side."""

from __future__ import annotations

import io
import json
import time

from rich.console import Console

from drill.gameday.facilitator import DebriefsScreen, FacilitatorApp
from drill.hosting.hosted import Facilitation, HostedDrill
from drill.gameday.roster import Watched, standings
from drill.timefmt import parse_clock
from drill.tui.controller import Drill
from textual.widgets import DataTable, Input, Select, Static


async def host(tmp_path, team: str, facilitation: Facilitation, seed: int = 4) -> HostedDrill:
    drill = Drill("knightmare", "standard", seed, tmp_path / f"{team}.jsonl", paused=True)
    h = HostedDrill(drill, facilitation, team, shown=lambda: None, after_command=lambda: None, frames=lambda: 0)
    await h.open()
    return h


def plain(widget: Static) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def text_of(app, selector: str) -> str:
    return plain(app.query_one(selector, Static))


def rows(app, selector: str) -> list[list[str]]:
    table = app.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def journal_commands(h: HostedDrill) -> list[tuple[str, str]]:
    lines = [json.loads(x) for x in h.drill.journal_path.read_text().splitlines()]
    return [(r.get("by", "trainee"), r["command"]) for r in lines if r["type"] == "command"]


async def until(pilot, condition, timeout: float = 60.0) -> None:
    """Wait on the wall clock (a loaded machine runs fewer, slower pauses), generously."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


async def test_the_facilitator_attaches_sees_the_truth_steers_and_ranks(tmp_path):
    key = "a-serve-key-for-this-test-0123"
    red = await host(tmp_path, "red", Facilitation.fresh())
    blue = await host(tmp_path, "blue", Facilitation.fresh())
    green = await host(tmp_path, "green", Facilitation.served(key))
    faulty = red.drill.session.outcome().faulty_servers[0]
    # green contains the fault at once; red lets it run a while.
    green.drill.advance_to(parse_clock("09:30:30"))
    green.drill.submit(f"stop {faulty}")
    green.drill.advance_to(parse_clock("09:33:00"))
    red.drill.advance_to(parse_clock("09:33:00"))
    app = FacilitatorApp(tokens={blue.facilitation.drill_id: "wrong-token-0123456789ab"}, keys=[key], poll_s=0.2)
    try:
        async with app.run_test(size=(160, 44)) as pilot:
            w = app.roster.watched
            await until(pilot, lambda: green.facilitation.drill_id in w and w[green.facilitation.drill_id].state == "live"
                        and w[blue.facilitation.drill_id].state == "refused")
            assert "token" in w[blue.facilitation.drill_id].error
            assert {r[1] for r in rows(app, "#drills")} == {"red", "blue", "green"}

            # Attach red by typing its token with its row highlighted.
            table = app.query_one("#drills", DataTable)
            table.focus()
            row = next(i for i, r in enumerate(rows(app, "#drills")) if r[1] == "red")
            table.move_cursor(row=row)
            app.query_one("#token", Input).focus()
            await pilot.press(*red.facilitation.token)
            await pilot.press("enter")
            rid = red.facilitation.drill_id
            await until(pilot, lambda: rid in w and w[rid].state == "live")
            assert app.query_one("#token", Input).value == ""

            # The leaderboard: green (contained, nothing lost) above red (still bleeding).
            await until(pilot, lambda: len(rows(app, "#board")) == 2)
            board = rows(app, "#board")
            assert [r[1] for r in board] == ["green", "red"]
            assert board[0][8] == "yes" and board[1][8] == "no"

            # The Drill tab shows red: the hidden truth and the controls.
            app.current = rid
            app.action_tab("drill-tab")
            await pilot.pause()
            app._render_current()
            truth = text_of(app, "#truth")
            assert faulty in truth and "True loss" in truth and "NOT contained" in truth
            assert "red" in truth

            await pilot.click("#pause")
            await until(pilot, lambda: red.drill.clock.paused and ("facilitator", "pause") in journal_commands(red))
            app.query_one("#speed", Select).value = "10"
            await until(pilot, lambda: red.drill.clock.speed == 10)
            await until(pilot, lambda: len(app.query_one("#inject", Select)._options) > 1)
            app.query_one("#inject", Select).value = "ceo-email"
            await pilot.click("#do-inject")
            await until(pilot, lambda: ("facilitator", "inject ceo-email") in journal_commands(red))
            app.query_one("#hint", Input).focus()
            await pilot.press(*"check the deploy", "enter")
            await until(pilot, lambda: ("facilitator", "push-hint check the deploy") in journal_commands(red))
            assert journal_commands(red) == [("facilitator", "pause"), ("facilitator", "speed 10"),
                                             ("facilitator", "inject ceo-email"),
                                             ("facilitator", "push-hint check the deploy")]
            assert journal_commands(green) == [("trainee", f"stop {faulty}")]  # the others untouched
            await until(pilot, lambda: len(rows(app, "#commands")) == 4)
            assert [r[1] for r in rows(app, "#commands")] == ["facilitator"] * 4
            assert "CEO" in " ".join(m.sender for m in red.drill.snapshot().inbox)

            # Both drills end: the debriefs side by side, best score first.
            red.drill.abandon()
            green.drill.advance_to(parse_clock("09:40:00"))
            green.drill.abandon()
            await until(pilot, lambda: len(app.roster.finished()) == 2)
            await pilot.press("f4")  # the hint line still has focus: a function key
            await until(pilot, lambda: isinstance(app.screen, DebriefsScreen))
            columns = app.screen.query(".column")
            assert len(columns) == 2
            teams = [plain(c.query_one(".team", Static)) for c in columns]
            assert teams[0].startswith("green") and teams[1].startswith("red")
            cards = [plain(c.query_one(".card", Static)) for c in columns]
            assert all("Grade" in card and "Score" in card for card in cards)
            await pilot.press("escape")
            assert not isinstance(app.screen, DebriefsScreen)
    finally:
        for h in (red, blue, green):
            await h.close()


async def test_a_drill_that_goes_away_keeps_its_last_status(tmp_path):
    h = await host(tmp_path, "red", Facilitation.fresh())
    app = FacilitatorApp(tokens={h.facilitation.drill_id: h.facilitation.token}, poll_s=0.2)
    async with app.run_test(size=(120, 36)) as pilot:
        w = app.roster.watched[h.facilitation.drill_id]
        await until(pilot, lambda: w.state == "live")
        await h.close()
        await until(pilot, lambda: w.state == "gone")
        assert w.status["team"] == "red"
        # The board is drawn when the poll that found it gone has finished.
        await until(pilot, lambda: rows(app, "#board")[0][9] == "gone")


def test_standings_rank_each_board_by_score_contained_first():
    def watched(i, board_seed, score, contained):
        # (a drill's status carries when it was contained, as its outcome does: the results
        # store's ranking puts the sooner contained first at equal score)
        return Watched(f"d{i}", "t", status={"team": f"team{i}", "scenario": "knightmare", "difficulty": "standard",
                                             "seed": board_seed, "score_usd": score, "contained": contained,
                                             "contained_at": "09:35:00" if contained else None,
                                             "grade": "B", "clock": "09:40:00", "phase": "incident"})
    got = standings([watched(1, 1, 5e6, False), watched(2, 1, 5e6, True), watched(3, 1, 1e6, False),
                     watched(4, 2, 9e6, True), Watched("d5", "t")])
    assert [(s.drill_id, s.rank) for s in got] == [("d3", 1), ("d2", 2), ("d1", 3), ("d4", 1)]


HOSTILE = ["[/x]", "[@click=app.quit]", "[reverse]", "\x1b]0;owned\x07\x1b[2J"]


async def test_markup_and_escapes_in_team_names_and_commands_show_literally(tmp_path):
    """A team named `[/x]` took the facilitator down (a MarkupError in the drills table, and again
    on every restart from the Recorded board). Every participant's string is data: the drills
    table, the live board, the Recorded board, the commands and the truth show it as typed (control
    characters escaped), and the app keeps running."""
    from drill import results

    key = "a-serve-key-for-this-test-0123"
    hosted = [await host(tmp_path, team, Facilitation.served(key)) for team in HOSTILE]
    try:
        first = hosted[0]
        first.host.facilitate("push-hint [/x] stop it")
        first.host.facilitate("push-hint [@click=app.quit] [reverse] \x1b[2J")
        # The results store already holds a finished drill of a hostile team (a restart reads it).
        ended = Drill("knightmare", "standard", 4, tmp_path / "ended.jsonl", paused=True)
        ended.abandon()
        results.record(ended.outcome(), ended.journal_path, team="[/x]")
        app = FacilitatorApp(keys=[key], poll_s=0.2)
        async with app.run_test(size=(200, 50)) as pilot:
            w = app.roster.watched
            await until(pilot, lambda: len(w) == 4 and all(x.state == "live" for x in w.values()))
            await until(pilot, lambda: len(rows(app, "#board")) == 4)
            # (names cut to 14 characters in these narrow columns, then escaped)
            shown = sorted(["[/x]", "[@click=app.qu", "[reverse]", "\\x1b]0;owned\\x07\\x1b[2J"])
            assert sorted(r[1] for r in rows(app, "#drills")) == shown
            assert sorted(r[1] for r in rows(app, "#board")) == shown
            await until(pilot, lambda: "[/x]" in text_of(app, "#recorded"))
            app.current = first.facilitation.drill_id
            app.action_tab("drill-tab")
            await until(pilot, lambda: len(rows(app, "#commands")) == 2)
            assert [r[2] for r in rows(app, "#commands")] == ["push-hint [/x] stop it",
                                                              "push-hint [@click=app.quit] [reverse] \\x1b[2J"]
            assert text_of(app, "#truth").startswith("[/x] (")
            await pilot.click("#commands")  # a click on `[@click=app.quit]` is a click on text
            await pilot.pause(0.3)
            assert app.is_running
            for x in hosted:
                x.drill.abandon()
            await until(pilot, lambda: len(app.roster.finished()) == 4)
            await pilot.press("f4")
            await until(pilot, lambda: isinstance(app.screen, DebriefsScreen))
            teams = sorted(plain(c.query_one(".team", Static)).split(" (")[0] for c in app.screen.query(".column"))
            assert teams == sorted(["[/x]", "[@click=app.quit]", "[reverse]", "\\x1b]0;owned\\x07\\x1b[2J"])
            assert app.is_running
    finally:
        for h in hosted:
            await h.close()


def test_a_hostile_registry_entry_is_not_a_running_drill(data_dir):
    from drill.hosting.channel import registry_dir, running_drills
    import os

    d = registry_dir()
    d.mkdir(parents=True)
    pid = os.getpid()
    (d / "a.json").write_text(json.dumps({"id": "[/x]", "port": 1, "pid": pid}))
    (d / "b.json").write_text(json.dumps({"id": "0123abcd", "port": "1", "pid": pid}))
    (d / "c.json").write_text(json.dumps({"id": "0123abcd", "port": 1, "pid": pid, "team": ["red"]}))
    (d / "d.json").write_text(json.dumps([1, 2]))
    (d / "e.json").write_text(json.dumps({"id": "0123abce", "port": 1, "pid": pid, "team": "[/x]"}))
    assert [x["id"] for x in running_drills()] == ["0123abce"]


def test_a_drill_that_did_not_finish_ranks_below_every_finished_one():
    def watched(i, score, grade, contained):
        return Watched(f"d{i}", "t", status={"team": f"team{i}", "scenario": "knightmare", "difficulty": "standard",
                                             "seed": 1, "score_usd": score, "contained": contained, "grade": grade,
                                             "clock": "09:40:00", "phase": "incident"})
    got = standings([watched(1, 1e3, "DNF", True), watched(2, 9e7, "F", False), watched(3, 5e6, "B", True)])
    assert [s.drill_id for s in got] == ["d3", "d2", "d1"]


async def test_function_keys_work_wherever_focus_is_and_the_speed_dropdown_follows_the_drill(tmp_path):
    from textual.widgets import Button, TabbedContent

    a = await host(tmp_path, "red", Facilitation.fresh())
    b = await host(tmp_path, "blue", Facilitation.fresh())
    b.host.facilitate("speed 5")
    app = FacilitatorApp(tokens={a.facilitation.drill_id: a.facilitation.token,
                                 b.facilitation.drill_id: b.facilitation.token}, poll_s=0.2)
    try:
        async with app.run_test(size=(160, 44)) as pilot:
            w = app.roster.watched
            await until(pilot, lambda: all(x.state == "live" for x in w.values()) and len(w) == 2)
            tabs = app.query_one("#tabs", TabbedContent)
            speed = app.query_one("#speed", Select)
            app.current = b.facilitation.drill_id
            app.action_tab("drill-tab")
            await until(pilot, lambda: speed.value == "5")  # blue's own speed, sent by nobody
            app.current = a.facilitation.drill_id
            app._render_current()
            await until(pilot, lambda: speed.value == "1")  # red's, not blue's
            assert [c for c in journal_commands(a)] == []
            for focused in (app.query_one("#pause", Button), speed, app.query_one("#hint", Input)):
                app.action_tab("drill-tab")
                focused.focus()
                await pilot.pause()
                await pilot.press("f2")
                await until(pilot, lambda: tabs.active == "board-tab")
            app.query_one("#pause", Button).focus()
            app.action_tab("drill-tab")
            await pilot.press("l")  # a letter, with a button focused
            await until(pilot, lambda: tabs.active == "board-tab")
            # Speed of all: every live drill, and the dropdown is ready to send again.
            all_speed = app.query_one("#speed-all", Select)
            all_speed.value = "10"
            await until(pilot, lambda: a.drill.clock.speed == 10 and b.drill.clock.speed == 10)
            assert all_speed.value is Select.NULL
            await pilot.click("#pause-all")
            await until(pilot, lambda: a.drill.clock.paused and b.drill.clock.paused)
            await pilot.click("#resume-all")
            await until(pilot, lambda: not a.drill.clock.paused and not b.drill.clock.paused)
    finally:
        for h in (a, b):
            await h.close()


def test_a_status_reads_typed_and_a_field_of_the_wrong_type_reads_as_its_default():
    from drill.gameday.status import DrillStatus

    s = DrillStatus.from_json({"team": "red", "scenario": "knightmare", "difficulty": "standard", "seed": 7,
                               "speed": 5, "paused": False, "score_usd": 2e6, "contained": True,
                               "faulty_servers": ["smars-8", 3], "true_loss_usd": True,
                               "commands": [{"at": "09:31:00", "by": "trainee", "command": "stop smars-8",
                                             "status": "done", "result": "stopped"}, "junk"],
                               "injects": [{"id": "nyse-call", "description": "NYSE calls"}, {"id": 1}],
                               "screen": {"clock": "09:31:00", "loss_usd": None, "exposure_usd": 1e6},
                               "health": {"samples": "many"}})
    assert s.board == ("knightmare", "standard", 7) and s.speed == 5.0 and s.score_usd == 2e6
    assert s.faulty_servers == ("smars-8",) and s.true_loss_usd is None  # a bool is not a figure
    assert [(c.by, c.command, c.result) for c in s.commands] == [("trainee", "stop smars-8", "stopped")]
    assert s.injects == (("nyse-call", "NYSE calls"),)
    assert s.screen.loss_usd is None and s.screen.exposure_usd == 1e6 and s.health.samples == 0
    assert Watched("d1", "t", status={}).view is None and Watched("d1", "t").team is None
    assert Watched("d1", "t", info={"team": "blue"}, status={"clock": "09:30:00"}).team == "blue"


async def test_a_drill_whose_channel_is_busy_for_a_moment_stays_attached(tmp_path):
    # A drill's channel turns connections beyond its cap away ("busy"): that is a moment's
    # crowding (sockets held open by anyone on the machine), not a refused token. The drill stays
    # on the facilitator's board and is polled again, instead of dropping off it for good.
    import asyncio

    from drill.gameday.roster import Roster

    h = await host(tmp_path, "red", Facilitation.fresh())
    h.server.max_connections = 2
    roster = Roster(tokens={h.facilitation.drill_id: h.facilitation.token})
    w = roster.watched[h.facilitation.drill_id]
    held = []
    try:
        roster.refresh_registry()
        await roster.poll()
        assert w.state == "live"
        for _ in range(2):  # the cap, taken by idle sockets
            held.append(await asyncio.open_connection("127.0.0.1", h.port))
        await asyncio.sleep(0.1)
        await roster.poll()
        assert w.state == "live" and "busy" in (w.error or "").lower(), (w.state, w.error)
        for _, writer in held:
            writer.close()
        held.clear()
        await asyncio.sleep(0.2)
        await roster.poll()
        assert w.state == "live" and w.error is None
        assert [s.team for s in roster.standings()] == ["red"]
    finally:
        for _, writer in held:
            writer.close()
        await h.close()
