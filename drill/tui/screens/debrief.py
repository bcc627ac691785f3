"""The debrief: the score card and the timeline of the drill, on the sim clock.

Its own module, built only from the Outcome and the last Snapshot, so a richer debrief
(counterfactuals re-simulated from the journal) can replace it without touching the console.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from drill.session.scoring import Outcome
from drill.session.snapshot import Snapshot
from drill.timefmt import fmt_duration, parse_clock
from drill.tui import format as fmt
from drill.tui.screens.text_view import TextScreen
from drill.tui.widgets.chart import Chart

GRADE_STYLE = {"A": "bold white on green", "B": "bold black on green", "C": "bold black on yellow",
               "D": "bold white on dark_orange", "F": "bold white on red"}
ENDED_BY = {"end": "the scenario's end", "resolve": "resolve", "bankruptcy": "bankruptcy",
            "abandoned": "the trainee quitting"}


def time_to_contain(outcome: Outcome) -> str:
    if not outcome.contained or outcome.contained_at is None:
        return "not contained"
    began = next((p["at"] for p in outcome.phases if p["phase"] == "incident"), None)
    if began is None:
        return f"at {outcome.contained_at} (no incident began)"
    took = parse_clock(outcome.contained_at) - parse_clock(began)
    return f"{fmt_duration(max(0, took))} (incident {began} → contained {outcome.contained_at})"


def score_card(outcome: Outcome, journal: str | None) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    grid.add_row("Grade", Text.assemble((f" {outcome.grade} ", GRADE_STYLE.get(outcome.grade, "bold reverse"))))
    grid.add_row("Loss", Text(fmt.usd_full(outcome.loss_usd), style="bold red" if outcome.loss_usd else "bold"))
    grid.add_row("Collateral", Text(fmt.usd_full(outcome.collateral_usd), style="bold"))
    grid.add_row("Score", Text(fmt.usd_full(outcome.score_usd), style="bold"))
    grid.add_row("Bankrupt", Text.assemble(("YES: the loss exceeds the firm's capital", "bold white on red"))
                 if outcome.bankrupt else Text("no", style="green"))
    grid.add_row("Contained", Text(time_to_contain(outcome)))
    grid.add_row("Ended", Text(f"{outcome.ended_at} by {ENDED_BY.get(outcome.ended_by, outcome.ended_by)}"))
    grid.add_row("Runaway", Text(f"{outcome.runaway_parent_orders:,} parent orders, "
                                 f"{outcome.executions:,} executions, {outcome.shares:,} shares "
                                 f"in {outcome.symbols:,} symbols"))
    if outcome.faulty_servers:
        grid.add_row("Fault on", Text(", ".join(outcome.faulty_servers)))
    grid.add_row("Drill", Text(f"{outcome.scenario} · {outcome.difficulty} · seed {outcome.seed}"))
    if journal:
        grid.add_row("Journal", Text(journal, overflow="fold"))
    return grid


def timeline(outcome: Outcome) -> list[tuple[str, str, Text, str | None]]:
    """(sort key, option id, prompt, full text to open) in sim-clock order."""
    events: list[tuple[str, str, Text, str | None]] = []
    for i, p in enumerate(outcome.phases):
        events.append((p["at"] + " 0", f"p{i}", Text.assemble((p["at"] + " ", "dim"),
                                                                (f"── {p['phase']} ──", "bold magenta")), None))
    for i, a in enumerate(outcome.actions):
        status = a["status"]
        style = {"done": "green", "refused": "bold yellow"}.get(status, "bold red")
        lines = (a["result"] or "").splitlines()
        prompt = Text.assemble((a["at"] + " ", "dim"), (a["command"], "bold"), "  ", (status, style))
        if a.get("finished_at") and a["finished_at"] != a["at"]:
            prompt.append(f" {a['finished_at']}", style="dim")
        if lines:
            prompt.append("\n  " + lines[0].strip())
        if len(lines) > 1:
            prompt.append(f"\n  … {len(lines) - 1} more lines: Enter to read", style="dim italic")
        events.append((a["at"] + " 1", f"a{i}", prompt, a["result"]))
    events.sort(key=lambda e: e[0])
    return events


class DebriefScreen(Screen[None]):
    DEFAULT_CSS = """
    DebriefScreen .debrief--title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    DebriefScreen #debrief-body { height: 1fr; }
    DebriefScreen #debrief-left { width: 1fr; min-width: 36; height: 1fr; }
    DebriefScreen #debrief-card { height: auto; padding: 0 1; }
    DebriefScreen #debrief-chart { height: 1fr; min-height: 4; margin-top: 1; padding: 0 1; }
    DebriefScreen #debrief-right { width: 1fr; height: 1fr; border-left: solid $panel-lighten-2; }
    DebriefScreen .debrief--label { height: 1; padding: 0 1; text-style: bold; }
    DebriefScreen #timeline { height: 1fr; border: none; padding: 0; }
    """

    BINDINGS = [
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, outcome: Outcome, snapshot: Snapshot | None, journal: str | None, **kwargs):
        super().__init__(**kwargs)
        self.outcome = outcome
        self.snapshot = snapshot
        self.journal = journal
        self._texts: dict[str, str | None] = {}

    def compose(self) -> ComposeResult:
        title = self.snapshot.title if self.snapshot else self.outcome.scenario
        yield Static(Text(f"Debrief · {title}"), classes="debrief--title")
        with Horizontal(id="debrief-body"):
            with Vertical(id="debrief-left"):
                yield Static(score_card(self.outcome, self.journal), id="debrief-card")
                if self.snapshot is not None:
                    yield Chart(id="debrief-chart")
            with Vertical(id="debrief-right"):
                zone = fmt.zone(self.snapshot) if self.snapshot is not None else "ET"
                yield Static(f"Timeline (sim clock, {zone})", classes="debrief--label")
                options = []
                for _, oid, prompt, full in timeline(self.outcome):
                    self._texts[oid] = full
                    options.append(Option(prompt, id=oid))
                if not options:
                    options.append(Option(Text("No commands were given.", style="dim"), disabled=True))
                yield OptionList(*options, id="timeline")
        yield Footer()

    def on_mount(self) -> None:
        if self.snapshot is not None:
            # The drill's own span, not the whole session: a short drill would be a sliver.
            self.query_one(Chart).show(self.snapshot, until=max(self.snapshot.now, self.snapshot.open + 60_000))
        self.query_one("#timeline").focus()

    @on(OptionList.OptionSelected, "#timeline")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        oid = event.option.id
        if oid and self._texts.get(oid):
            self.app.push_screen(TextScreen(str(event.option.prompt).split("\n")[0], self._texts[oid] or ""))
