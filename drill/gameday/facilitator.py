"""`drill facilitate`: the facilitator's console (Textual).

Left, the drills running on this machine (the registry) and where to type a token or a `drill
serve` key. Right, two tabs: the live leaderboard of the attached drills (and the results store's
board for the same scenario and seed), and the highlighted drill: its hidden truth (faulty servers,
the true loss next to what the trainee's screen shows), its commands as they happen, and the
controls (pause, resume, speed, inject from the scenario's catalogue, push a hint). `d` opens the
finished drills' debriefs side by side.

Every second one status request goes to each attached drill (drill.gameday.roster); every control
is a facilitator command the drill journals, so its replay reproduces the drill.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, HorizontalScroll, Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, Select, Static, TabbedContent, TabPane

from drill import money
from drill.commands import SPEEDS
from drill.gameday.roster import Roster, Watched, rank_key
from drill.gameday.status import CommandRow, DrillStatus
from drill.hosting.channel import ChannelError
from drill.scenario.loader import printable
from drill.store.errors import ResultsError

POLL_S = 1.0
SPEED_CHOICES = tuple(str(s) for s in SPEEDS)  # the Select's values: the speed as the verb takes it
STATE_STYLE = {"live": "green", "ended": "cyan", "gone": "dim", "refused": "bold red", "attaching": "yellow"}


def data(value: object, style: str = "") -> Text:
    """Anything a participant or a file controls (a team name, a command, a stored row) as a table
    cell or a label: literal text, never markup, its control characters shown escaped. A DataTable
    or a Rich table parses a plain `str` as markup, and one closing tag like `[/x]` in a team name
    would raise in the middle of a render."""
    return Text(printable(str(value)), style=style)


def usd(x: float | None) -> str:
    """A figure in the one money style; "hidden" where the trainee's difficulty does not show it."""
    return money.usd(x, unknown="hidden")


def truth_text(w: Watched) -> Text:
    """The highlighted drill as the facilitator sees it (what the trainee may not)."""
    s = w.view
    t = Text()
    t.append(printable(w.label), style="bold")
    t.append(f"  {w.state}", style=STATE_STYLE.get(w.state, ""))
    if w.error:
        t.append(f"  {printable(w.error)}", style="red")
    if not s:
        t.append("\nNo status yet.", style="dim")
        return t
    for part in (_where_it_stands, _faulty_servers, _true_loss, _score_line, _console_health):
        part(t, s)
    return t


def _where_it_stands(t: Text, s: DrillStatus) -> None:
    t.append("\n")
    t.append(printable(f"{s.scenario} · {s.difficulty} · seed {s.seed}   {s.clock} {s.zone} · {s.phase} · "))
    t.append("PAUSED" if s.paused else f"{s.speed:g}x", style="bold yellow" if s.paused else "")
    if s.busy:
        t.append("  (simulating a resolve)", style="dim")


def _faulty_servers(t: Text, s: DrillStatus) -> None:
    t.append("\nFaulty servers  ", style="dim")
    t.append(printable(", ".join(s.faulty_servers)) or "none", style="bold red")
    t.append("   (hidden from the trainee)", style="dim")


def _true_loss(t: Text, s: DrillStatus) -> None:
    """The true loss, and beside it what the trainee's screen shows instead."""
    t.append("\nTrue loss       ", style="dim")
    t.append(usd(s.true_loss_usd), style="bold")
    screen = s.screen
    if not screen:
        return
    t.append("   trainee sees: ", style="dim")
    if screen.loss_usd is None:
        t.append(
            printable(
                f"no loss; exposure {usd(screen.exposure_usd)} as of {screen.monitor_as_of} "
                f"({screen.monitor_lag_s:.0f}s behind)"
            )
        )
    else:
        t.append(printable(f"{usd(screen.loss_usd)} at {screen.clock}"))


def _score_line(t: Text, s: DrillStatus) -> None:
    t.append("\nScore           ", style="dim")
    t.append(printable(f"{usd(s.score_usd)} (collateral {usd(s.collateral_usd)})  grade {s.grade}  "))
    t.append("contained" if s.contained else "NOT contained", style="green" if s.contained else "bold red")


def _console_health(t: Text, s: DrillStatus) -> None:
    if s.health and s.health.samples:
        t.append(
            f"\nConsole         loop lag p99 {s.health.lag_p99_ms} ms · {s.health.frames_per_s} frames/s", style="dim"
        )


def recorded_board(boards) -> Table | Text:
    if not boards:
        return Text("No recorded results for these drills yet (drill results --leaderboard).", style="dim")
    table = Table(title="Recorded (results store, best per team)", title_justify="left", box=None, padding=(0, 1))
    for col in ("board", "rank", "team", "score", "grade", "contained", "ended by"):
        table.add_column(col)
    for b in boards:
        for i, e in enumerate(b.entries, 1):
            table.add_row(_board_name(b) if i == 1 else "", str(i), *_entry_cells(e, data(e.ended_by)))
        for f in b.flagged:  # failed their proof (a signature, a borrowed journal): shown, never ranked
            table.add_row(
                _board_name(b) if not b.entries else "",
                Text("✗", style="bold red"),
                *_entry_cells(f.entry, data(f"unranked: {f.reason}")),
            )
    return table


def _board_name(b) -> Text:
    return data(f"{b.scenario} · {b.difficulty} · seed {b.seed}")


def _entry_cells(e, last: Text) -> tuple:
    """A recorded result's team, score, grade and containment, then `last`."""
    return data(e.team or "-"), usd(e.score_usd), data(e.grade), data(e.contained_at or "never"), last


def _outcome(w: Watched) -> dict:
    view = w.view
    assert view is not None and view.outcome is not None  # Roster.finished() lists only those
    return view.outcome


def _journal(w: Watched) -> str | None:
    return w.view.journal if w.view is not None else None


class DebriefsScreen(Screen[None]):
    """The finished drills side by side: each one's score card and timeline, from its outcome."""

    DEFAULT_CSS = """
    DebriefsScreen .title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    DebriefsScreen #columns { height: 1fr; }
    DebriefsScreen .column { width: 1fr; min-width: 46; height: 1fr; border-right: solid $panel-lighten-2; padding: 0 1; }
    DebriefsScreen .team { height: 1; text-style: bold; background: $boost; }
    DebriefsScreen .card { height: auto; margin-bottom: 1; }
    DebriefsScreen .empty { padding: 1 2; color: $text-muted; }
    """
    BINDINGS = [Binding("escape,f4,d,q", "app.pop_screen", "Back")]

    def __init__(self, finished: list[Watched], **kwargs):
        super().__init__(**kwargs)
        self.finished = finished

    def compose(self) -> ComposeResult:
        from drill.session.scoring import Outcome
        from drill.tui.screens.debrief import score_card, timeline

        yield Static(f"Debriefs · {len(self.finished)} finished drill(s), best score first", classes="title")
        with HorizontalScroll(id="columns"):
            if not self.finished:
                yield Static("No attached drill has ended yet.", classes="empty")
            ranked = sorted(self.finished, key=lambda w: (*rank_key(_outcome(w)), w.drill_id))
            for w in ranked:
                o = _outcome(w)
                with VerticalScroll(classes="column"):
                    yield Static(data(w.label), classes="team")
                    try:
                        outcome = Outcome.from_dict(o)
                    except (TypeError, KeyError, AttributeError):  # an outcome from another version of drill
                        yield Static(
                            Text("\n").join(data(f"{k}: {v}") for k, v in o.items() if not isinstance(v, list))
                        )
                        continue
                    yield Static(score_card(outcome, _journal(w)), classes="card")
                    lines = [prompt for _, _, prompt, _ in timeline(outcome)]
                    body = Text("\n").join(lines) if lines else Text("No commands were given.", style="dim")
                    yield Static(body)
        yield Footer()


class FacilitatorApp(App[None]):
    TITLE = "drill facilitate"
    CSS = """
    #title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    #main { height: 1fr; }
    #left { width: 36; height: 1fr; border-right: solid $panel-lighten-2; }
    #left Label { margin-top: 1; text-style: bold; padding: 0 1; }
    #drills { height: 1fr; }
    #left Input { margin: 0 1; }
    #teams { padding: 0 1; height: auto; max-height: 4; }
    #tabs { width: 1fr; height: 1fr; }
    #tabs TabPane { padding: 0 1; }
    #board { height: auto; max-height: 16; }
    #recorded { height: auto; margin-top: 1; }
    #truth { height: auto; }
    #controls, #all-controls { height: 3; margin-top: 1; }
    #controls Button, #all-controls Button { min-width: 9; margin-right: 1; }
    #speed, #speed-all { width: 18; }
    #inject { width: 1fr; }
    #hint { margin-top: 1; }
    #commands { height: 1fr; margin-top: 1; }
    #feedback { height: 1; padding: 0 1; background: $panel; }
    """
    # Function keys work while typing a token or a hint; the letters when no input has focus.
    # Function keys work wherever focus is (a token being typed, a button, a dropdown): they have
    # priority. The letters work when no input has focus (a typed token may hold an `l`).
    BINDINGS = [
        Binding("f2", "tab('board-tab')", "Leaderboard", priority=True),
        Binding("f3", "tab('drill-tab')", "Drill", priority=True),
        Binding("f4", "debriefs", "Debriefs", priority=True),
        Binding("l", "tab('board-tab')", "Leaderboard", show=False),
        Binding("t", "tab('drill-tab')", "Drill", show=False),
        Binding("d", "debriefs", "Debriefs", show=False),
        Binding("w", "watch", "Watch", tooltip="watch the highlighted drill's console, read-only"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        tokens: dict[str, str] | None = None,
        keys: list[str] | None = None,
        poll_s: float = POLL_S,
        store=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.roster = Roster(tokens, keys, store)
        self.poll_s = poll_s
        self.desk: Screen  # the main screen (set when mounted)
        self.current: str | None = None  # the drill the Drill tab shows
        self.polls = 0
        self._polling = False
        self._commands_shown: tuple[str | None, list[tuple]] = (None, [])
        self._injects_shown: tuple[str | None, tuple] = (None, ())
        self._speed_shown: str | None = None  # the drill whose speed the dropdown shows

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Label("Running on this machine")
                drills: DataTable[Text | str] = DataTable(id="drills", cursor_type="row", zebra_stripes=True)
                drills.add_columns("drill", "team", "seed", "state")
                yield drills
                yield Label("Attach")
                yield Input(placeholder="token (highlighted drill)", password=True, id="token")
                yield Input(placeholder="key (from drill serve)", password=True, id="key")
                yield Label("Teams")
                yield Input(placeholder="new team (Enter: its join code)", id="new-team")
                yield Static(id="teams")
            with TabbedContent(id="tabs", initial="board-tab"):
                with TabPane("Leaderboard", id="board-tab"):
                    board: DataTable[Text] = DataTable(id="board", cursor_type="row")
                    board.add_columns(
                        "#", "team", "board", "clock", "phase", "score", "true loss", "grade", "contained", "state"
                    )
                    yield board
                    with Horizontal(id="all-controls"):
                        yield Button("Pause all", id="pause-all")
                        yield Button("Resume all", id="resume-all")
                        yield Select([(f"{s}x", s) for s in SPEED_CHOICES], prompt="speed of all", id="speed-all")
                    yield Static(id="recorded")
                with TabPane("Drill", id="drill-tab"):
                    yield Static(Text("Highlight an attached drill.", style="dim"), id="truth")
                    with Horizontal(id="controls"):
                        yield Button("Pause", id="pause")
                        yield Button("Resume", id="resume")
                        yield Select([(f"{s}x", s) for s in SPEED_CHOICES], prompt="speed", id="speed")
                        yield Select([], prompt="inject from the catalogue", id="inject")
                        yield Button("Inject", id="do-inject", variant="warning")
                    yield Input(placeholder="a hint to push to the trainee (Enter sends)", id="hint")
                    commands: DataTable[Text] = DataTable(id="commands", cursor_type="row")
                    commands.add_columns("at", "by", "command", "status", "result")
                    yield commands
        yield Static(id="feedback")
        yield Footer()

    def on_mount(self) -> None:
        self.desk = self.screen  # the main screen's widgets, whichever screen is on top
        self.roster.refresh_registry()
        self._render_all()
        self._render_teams()
        self.set_interval(self.poll_s, self._tick)
        self.call_later(self._tick)

    @property
    def desk_shown(self) -> bool:
        """Whether the main screen's widgets are there to draw on. A worker awaits the network and
        then draws: by then the app may be shutting down (its screens pruned) or not yet mounted."""
        desk = getattr(self, "desk", None)
        return self.is_running and desk is not None and desk.is_attached and not (desk._closing or desk._closed)

    def say(self, text: str, style: str = "") -> None:
        if self.desk_shown:
            self.desk.query_one("#feedback", Static).update(data(text, style=style))

    # -- polling ------------------------------------------------------------------------------------
    def _tick(self) -> None:
        if not self._polling:
            self._polling = True
            self._poll()

    @work(exclusive=False, group="poll")
    async def _poll(self) -> None:
        try:
            self.roster.refresh_registry()
            await self.roster.poll()
            self.polls += 1
            if self.polls % 5 == 1:
                self._load_recorded()
        finally:
            self._polling = False
        self._render_all()

    def _signing_key(self) -> bytes | None:
        """The key served drills signed their results with: that of the serve key typed here (the
        first, if several). Without one, served rows cannot be checked."""
        from drill import results

        keys = list(self.roster.keys.values())
        return results.signing_key(keys[0]) if keys else None

    def _load_recorded(self) -> None:
        from drill import results

        boards = []
        seen = set()
        for w in self.roster.attached():
            key = w.view.board if w.view else (None, None, None)
            if None in key or key in seen:
                continue
            seen.add(key)
            try:
                boards += results.leaderboard(
                    self.roster.store,
                    scenario=key[0],
                    difficulty=key[1],
                    seed=key[2],
                    best_per_team=True,
                    limit=10,
                    signing_key=self._signing_key(),
                )
            except results.ResultsError as exc:
                self.say(f"results store: {exc}", "red")
        if self.desk_shown:
            self.desk.query_one("#recorded", Static).update(recorded_board(boards))

    # -- rendering ----------------------------------------------------------------------------------
    def _render_all(self) -> None:
        if not self.desk_shown:
            return
        with self.batch_update():
            self._render_title()
            self._render_drills()
            self._render_board()
            self._render_current()

    def _render_title(self) -> None:
        r = self.roster
        keys = f" · {len(r.keys)} serve key(s)" if r.keys else ""
        self.desk.query_one("#title", Static).update(
            Text(f"drill facilitate · {len(r.running)} running here · {len(r.attached())} attached{keys}")
        )

    def _render_drills(self) -> None:
        table = self.desk.query_one("#drills", DataTable)
        rows: list[tuple[Text | str, ...]] = []
        keys: list[str] = []
        for d in self.roster.running:
            w = self.roster.watched.get(d["id"])
            state = Text(w.state, style=STATE_STYLE.get(w.state, "")) if w else Text("-", style="dim")
            rows.append((data(d["id"]), data(str(d.get("team") or "-")[:14]), data(d.get("seed", "")), state))
            keys.append(d["id"])
        for w in self.roster.watched.values():  # attached but not (or no longer) running
            if not any(d["id"] == w.drill_id for d in self.roster.running):
                rows.append(
                    (
                        data(w.drill_id),
                        data((w.team or "-")[:14]),
                        "",
                        Text(w.state, style=STATE_STYLE.get(w.state, "")),
                    )
                )
                keys.append(w.drill_id)
        _fill(table, rows, keys=keys)

    def _render_board(self) -> None:
        table = self.desk.query_one("#board", DataTable)
        rows = []
        for s in self.roster.standings():
            rows.append(
                (
                    str(s.rank),
                    data((s.team or s.drill_id)[:14]),
                    data(s.board),
                    data(s.clock),
                    data(s.phase),
                    usd(s.score_usd),
                    usd(s.true_loss_usd),
                    data(s.grade),
                    Text("yes", style="green") if s.contained else Text("no", style="bold red"),
                    Text(s.state, style=STATE_STYLE.get(s.state, "")),
                )
            )
        _fill(table, rows, keys=[s.drill_id for s in self.roster.standings()])

    def _render_current(self) -> None:
        w = self._current_watched()
        if w is None:
            self.desk.query_one("#truth", Static).update(
                Text(
                    "No drill attached. Highlight a running drill on the left and type its token, or type the key "
                    "drill serve printed.",
                    style="dim",
                )
            )
            return
        self.desk.query_one("#truth", Static).update(truth_text(w))
        status = w.view
        if status is not None and self._speed_shown != w.drill_id:
            self._show_speed_of(w.drill_id, status)
        injects = status.injects if status is not None else ()
        if self._injects_shown != (w.drill_id, injects):
            self._injects_shown = (w.drill_id, injects)
            self.desk.query_one("#inject", Select).set_options([(data(f"{iid}: {desc}"), iid) for iid, desc in injects])
        self._render_commands(w.drill_id, status.commands if status is not None else ())

    def _current_watched(self) -> Watched | None:
        """The drill the desk shows: the one chosen, else the first attached (which becomes chosen)."""
        w = self.roster.watched.get(self.current) if self.current else None
        if w is None:
            attached = self.roster.attached()
            if attached:
                self.current = attached[0].drill_id
                w = attached[0]
        return w

    def _show_speed_of(self, drill_id: str, status: DrillStatus) -> None:
        """Each drill's own speed, not the last one's: choosing a speed then always sends it."""
        self._speed_shown = drill_id
        speed = f"{status.speed:g}"
        select = self.desk.query_one("#speed", Select)
        with select.prevent(Select.Changed):
            select.value = speed if speed in SPEED_CHOICES else Select.NULL

    def _render_commands(self, drill_id: str, commands: tuple[CommandRow, ...]) -> None:
        """Append new commands and update those whose status changed; a new drill redraws."""
        table = self.desk.query_one("#commands", DataTable)
        rows = [(c.at, c.by, c.command, c.status, c.result) for c in commands]
        shown_id, shown = self._commands_shown
        if shown_id != drill_id or len(rows) < len(shown):
            table.clear()
            shown = []
        for i, row in enumerate(rows):
            styled = (
                data(row[0]),
                data(row[1], style="bold magenta" if row[1] == "facilitator" else ""),
                data(row[2]),
                data(row[3]),
                data(row[4]),
            )
            if i >= len(shown):
                table.add_row(*styled, key=str(i))
            elif shown[i] != row:
                for col, value in zip(table.columns, styled):
                    table.update_cell(str(i), col, value)
        if len(rows) > len(shown):
            table.move_cursor(row=len(rows) - 1)
        self._commands_shown = (drill_id, rows)

    # -- choosing and attaching ----------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#drills")
    @on(DataTable.RowHighlighted, "#board")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if not event.data_table.has_focus:
            return  # a table refilled under the cursor, not the facilitator moving it
        if event.row_key is None or event.row_key.value is None:
            return
        drill_id = event.row_key.value
        if drill_id in self.roster.watched and drill_id != self.current:
            self.current = drill_id
            self._render_current()

    @on(DataTable.RowSelected, "#drills")
    def _drill_selected(self, event: DataTable.RowSelected) -> None:
        drill_id = event.row_key.value
        if drill_id in self.roster.watched and self.roster.watched[drill_id].state != "refused":
            self.current = drill_id
            self.desk.query_one("#tabs", TabbedContent).active = "drill-tab"
            self._render_current()
        else:
            self.desk.query_one("#token", Input).focus()

    def _highlighted_drill(self) -> str | None:
        table = self.desk.query_one("#drills", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value

    @on(Input.Submitted, "#token")
    def _token_entered(self, event: Input.Submitted) -> None:
        token = event.value.strip()
        event.input.value = ""
        drill_id = self._highlighted_drill()
        if not drill_id:
            self.say("No running drill to attach to.", "yellow")
            return
        if not token:
            return
        self.roster.attach(drill_id, token)
        self.current = drill_id
        self.say(f"Attaching to {drill_id}…")
        self._tick()

    @on(Input.Submitted, "#new-team")
    def _team_entered(self, event: Input.Submitted) -> None:
        from drill.gameday import teams

        name = " ".join(event.value.split())
        event.input.value = ""
        if not name:
            return
        try:
            code = teams.create(name)
        except (teams.TeamError, OSError) as exc:
            self.say(f"Team not created: {exc}", "bold red")
            return
        # Shown once (the file keeps only its hash): the facilitator hands it to the team.
        self.say(f"Team {name}: join code {code} (shown once; served tabs now ask for a code)", "bold green")
        self._render_teams()

    def _render_teams(self) -> None:
        from drill.gameday import teams

        try:
            names = [t.name for t in teams.load()]
        except teams.TeamError as exc:
            self.desk.query_one("#teams", Static).update(data(f"damaged: {exc}", "bold red"))
            return
        self.desk.query_one("#teams", Static).update(
            data(", ".join(names)) if names else Text("none: served tabs take any team name", style="dim")
        )

    @on(Input.Submitted, "#key")
    def _key_entered(self, event: Input.Submitted) -> None:
        key = event.value.strip()
        event.input.value = ""
        if not key:
            return
        fp = self.roster.add_key(key)
        self.say(f"Key {fp} added: attaching to the drills it serves.")
        self._tick()

    # -- controls ------------------------------------------------------------------------------------
    def _send(self, text: str) -> None:
        if not self.current or self.current not in self.roster.watched:
            self.say("No drill attached to steer.", "yellow")
            return
        self._command(self.current, text)

    @work(group="commands")
    async def _command(self, drill_id: str, text: str) -> None:
        try:
            answer = await self.roster.command(drill_id, text)
        except (ChannelError, ResultsError) as exc:
            self.say(f"{drill_id}: {text}: {exc}", "bold red")
            return
        except OSError as exc:
            self.say(f"{drill_id}: {text}: the drill did not answer ({exc.strerror or exc})", "bold red")
            return
        self.say(f"{drill_id}: {text}: {answer.splitlines()[0] if answer else 'done'}", "green")
        self._tick()

    @on(Button.Pressed, "#pause")
    def _pause(self) -> None:
        self._send("pause")

    @on(Button.Pressed, "#resume")
    def _resume(self) -> None:
        self._send("resume")

    @on(Select.Changed, "#speed")
    def _speed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self._send(f"speed {event.value}")

    # -- every attached drill at once --------------------------------------------------------------
    def _send_all(self, text: str) -> None:
        live = [w.drill_id for w in self.roster.attached() if w.state == "live"]
        if not live:
            self.say("No live drill attached.", "yellow")
            return
        for drill_id in live:
            self._command(drill_id, text)

    @on(Button.Pressed, "#pause-all")
    def _pause_all(self) -> None:
        self._send_all("pause")

    @on(Button.Pressed, "#resume-all")
    def _resume_all(self) -> None:
        self._send_all("resume")

    @on(Select.Changed, "#speed-all")
    def _speed_all(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self._send_all(f"speed {event.value}")
            with event.select.prevent(Select.Changed):
                event.select.value = Select.NULL  # the next choice sends again, even the same one

    @on(Button.Pressed, "#do-inject")
    def _inject(self) -> None:
        value = self.desk.query_one("#inject", Select).value
        if value is Select.NULL:
            self.say("Choose an inject from the catalogue first.", "yellow")
            return
        self._send(f"inject {value}")

    @on(Input.Submitted, "#hint")
    def _hint(self, event: Input.Submitted) -> None:
        text = " ".join(event.value.split())
        event.input.value = ""
        if text:
            self._send(f"push-hint {text}")

    # -- screens -------------------------------------------------------------------------------------
    def action_tab(self, tab: str) -> None:
        # Focus goes with the tab: left on a control of the hidden pane, it would bring that pane
        # back (the Drill tab's controls kept F2 from reaching the Leaderboard).
        if self.screen is not self.desk:
            return
        self.desk.query_one("#tabs", TabbedContent).active = tab
        self.desk.query_one("#board" if tab == "board-tab" else "#pause").focus()

    def action_debriefs(self) -> None:
        self.push_screen(DebriefsScreen(self.roster.finished()))

    def action_watch(self) -> None:
        """Follow the highlighted drill as its trainee sees it, from its journal: the watcher has
        no way to send it anything (drill.tui.screens.watch)."""
        if self.screen is not self.desk:
            return
        drill_id = self._highlighted_drill()
        entry = next((d for d in self.roster.running if d.get("id") == drill_id), None)
        journal = entry.get("journal") if entry else None
        if not isinstance(journal, str):
            self.say("Highlight a running drill to watch (one started by this version: its journal is registered).")
            return
        self.say(f"Opening drill {drill_id}'s console, read-only…")
        self._open_watch(journal)

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def _open_watch(self, journal: str) -> None:
        # Starting the re-simulation takes a second or two: off the event loop.
        from drill.session.rewind import Rewinder, RewindError
        from drill.tui.screens.watch import Recording, WatchScreen

        try:
            source = Rewinder(journal, live=True)
        except RewindError as exc:
            self.call_from_thread(self.say, str(exc))
            return
        screen = WatchScreen(Recording(source, live=True))
        self.call_from_thread(self.push_screen, screen, lambda _: source.close())


def _fill(table: DataTable, rows: list[tuple], keys: list[str]) -> None:
    """Replace a small table's rows (keyed by drill id), keeping the cursor where it was (a handful
    of drills, once a second: cheaper to redraw than to diff)."""
    plain = [(k, *(str(c) for c in r)) for k, r in zip(keys, rows)]
    if getattr(table, "_drill_rows", None) == plain:
        return
    table._drill_rows = plain  # type: ignore[attr-defined]
    cursor = table.cursor_row
    table.clear()
    for key, r in zip(keys, rows):
        table.add_row(*r, key=key)
    if rows:
        table.move_cursor(row=min(cursor, len(rows) - 1))
