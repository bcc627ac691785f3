"""The debrief: the score card and the timeline of the drill, on the sim clock.

Its own module, built only from the Outcome and the last Snapshot, so a richer debrief
(counterfactuals re-simulated from the journal) can replace it without touching the console.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from drill.session.scoring import ENDED_BY, Outcome
from drill.session.snapshot import Snapshot
from drill.timefmt import fmt_duration, parse_clock
from drill.tui import format as fmt
from drill.tui.screens.text_view import TextScreen
from drill.tui.widgets.curves import CurvesPlot, legend

GRADE_STYLE = {
    "A": "bold white on green",
    "B": "bold black on green",
    "C": "bold black on yellow",
    "D": "bold white on dark_orange",
    "F": "bold white on red",
}


def time_to_contain(outcome: Outcome) -> str:
    if not outcome.contained or outcome.contained_at is None:
        return "not contained"
    began = outcome.phase_at("incident")
    if began is None:
        return f"at {outcome.contained_at} (no incident began)"
    took = parse_clock(outcome.contained_at) - parse_clock(began)
    return f"{fmt_duration(max(0, took))} (incident {began} → contained {outcome.contained_at})"


def score_card(outcome: Outcome, journal: str | None) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    grid.add_row("Grade", Text.assemble((f" {outcome.grade} ", GRADE_STYLE.get(outcome.grade, "bold reverse"))))
    grid.add_row("Loss", Text(fmt.usd(outcome.loss_usd), style="bold red" if outcome.loss_usd else "bold"))
    grid.add_row("Collateral", Text(fmt.usd(outcome.collateral_usd), style="bold"))
    grid.add_row("Score", Text(fmt.usd(outcome.score_usd), style="bold"))
    grid.add_row(
        "Bankrupt",
        Text.assemble(("YES: the loss exceeds the firm's capital", "bold white on red"))
        if outcome.bankrupt
        else Text("no", style="green"),
    )
    grid.add_row("Contained", Text(time_to_contain(outcome)))
    grid.add_row("Ended", Text(f"{outcome.ended_at} by {ENDED_BY.get(outcome.ended_by, outcome.ended_by)}"))
    grid.add_row(
        "Runaway",
        Text(
            f"{outcome.runaway_parent_orders:,} parent orders, "
            f"{outcome.executions:,} executions, {outcome.shares:,} shares "
            f"in {outcome.symbols:,} symbols"
        ),
    )
    if outcome.faulty_servers:
        grid.add_row("Fault on", Text(", ".join(outcome.faulty_servers)))
    grid.add_row("Drill", Text(f"{outcome.scenario} · {outcome.difficulty} · seed {outcome.seed}"))
    if journal:
        grid.add_row("Journal", Text(fmt.literal(journal), overflow="fold"))
    return grid


def timeline(outcome: Outcome) -> list[tuple[str, str, Text, str | None]]:
    """(sort key, option id, prompt, full text to open) in sim-clock order."""
    events: list[tuple[str, str, Text, str | None]] = []
    for i, p in enumerate(outcome.phases):
        events.append(
            (p.at + " 0", f"p{i}", Text.assemble((p.at + " ", "dim"), (f"── {p.phase} ──", "bold magenta")), None)
        )
    for i, a in enumerate(outcome.actions):
        status = a.status
        style = {"done": "green", "refused": "bold yellow"}.get(status, "bold red")
        lines = (a.result or "").splitlines()
        who = (a.who + " ", "magenta") if a.member is not None else ""  # a crew member, by name and role
        if a.by == "facilitator":  # steering is the facilitator's, never the trainee's own move
            who = ("facilitator ", "cyan")
        prompt = Text.assemble((a.at + " ", "dim"), who, (a.command, "bold"), "  ", (status, style))
        if a.finished_at and a.finished_at != a.at:
            prompt.append(f" {a.finished_at}", style="dim")
        if lines:
            prompt.append("\n  " + lines[0].strip())
        if len(lines) > 1:
            prompt.append(f"\n  … {len(lines) - 1} more lines: Enter to read", style="dim italic")
        events.append((a.at + " 1", f"a{i}", prompt, a.result))
    events.sort(key=lambda e: e[0])
    return events


def enriched_card(outcome: Outcome, journal: str | None, d) -> Table:
    """The score card, with what only the debrief's re-simulations know: the historical figure,
    the best play's figure for the same seed, and the times to diagnose, contain and recover."""
    grid = score_card(outcome, journal)
    if d is None:
        grid.add_row("What if", Text("re-simulating the counterfactuals…", style="dim italic"))
        return grid
    c = d.card

    def ref(r) -> Text:
        if r is None or r.loss_usd is None:
            return Text("computing…" if d.pending else "n/a", style="dim")
        extra = f" (score {fmt.usd(r.score_usd)}, grade {r.grade})" if r.score_usd is not None else ""
        return Text(fmt.usd(r.loss_usd) + extra)

    grid.add_row("Historical", ref(c.historical))
    grid.add_row("Best play", ref(c.best_play))
    for label, text in c.story:  # each time once, counted from the fault; "Contained" is above
        if label in ("First diagnostic", "Recovered"):
            grid.add_row(label, Text(text))
    return grid


def whatif_table(d) -> Text:
    """Each counterfactual: what was changed, on its own line (labels are long), then its figures."""
    text = Text()
    for c in d.counterfactuals:
        text.append(c.label + "\n", style="bold")
        if c.loss_usd is None:
            text.append("   computing…\n\n", style="dim italic")
            continue
        text.append(f"   loss {fmt.usd(c.loss_usd)} · score {fmt.usd(c.score_usd)} · ", style="")
        if c.delta_usd is not None:
            cheaper = c.delta_usd < 0
            text.append(
                f"{'-' if cheaper else '+'}{fmt.usd(abs(c.delta_usd))} vs you",
                style="bold green" if cheaper else "bold red",
            )
        text.append(
            " · " + (f"contained {c.contained_at}" if c.contained else "not contained"),
            style="" if c.contained else "red",
        )
        text.append("\n\n")
    return text


def review_text(d) -> Text:
    text = Text()
    if not d.lessons:
        return Text("This scenario has no lessons recorded.", style="dim")
    for lesson in d.lessons:
        keep = lesson.verdict == "keep"
        text.append(("KEEP  " if keep else "CHANGE "), style="bold green" if keep else "bold yellow")
        text.append(lesson.title + "\n", style="bold")
        text.append("  expected  ", style="dim")
        text.append(lesson.expected + "\n")
        text.append("  happened  ", style="dim")
        text.append(lesson.happened + "\n")
        text.append("  why       ", style="dim")
        text.append(lesson.why + "\n")
        text.append("  " + lesson.advice + "\n\n", style="italic")
    return text


class DebriefScreen(Screen[None]):
    """The score card, the loss curves beside their counterfactuals, the timeline, the what-ifs
    and the after-action review. The counterfactuals are re-simulated in a thread worker; each
    one that finishes updates the screen, so it fills in rather than freezing."""

    DEFAULT_CSS = """
    DebriefScreen .debrief--title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    DebriefScreen #debrief-body { height: 1fr; }
    DebriefScreen #debrief-left { width: 1fr; min-width: 36; height: 1fr; }
    DebriefScreen #debrief-card { height: auto; padding: 0 1; }
    DebriefScreen #debrief-curves { height: auto; padding: 0 1; margin-top: 1; }
    DebriefScreen #debrief-legend { height: auto; padding: 0 1; }
    DebriefScreen #debrief-right { width: 1fr; height: 1fr; border-left: solid $panel-lighten-2; }
    DebriefScreen #debrief-tabs { height: 1fr; }
    DebriefScreen #debrief-tabs TabPane { padding: 0; height: 1fr; }
    DebriefScreen #timeline { height: 1fr; border: none; padding: 0; }
    DebriefScreen #whatif-progress { height: auto; padding: 0 1; color: $text-muted; }
    DebriefScreen #whatif, DebriefScreen #review { height: auto; width: 1fr; padding: 0 1; }
    """

    BINDINGS = [
        Binding("e", "export", "Export"),
        Binding("1", "tab('timeline')", "Timeline", show=False),
        Binding("2", "tab('whatif')", "What if", show=False),
        Binding("3", "tab('review')", "Review", show=False),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(
        self,
        outcome: Outcome,
        snapshot: Snapshot | None,
        journal: str | None,
        *,
        session=None,
        counterfactuals: bool = True,
        runner=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.runner = runner  # a drill.debrief.Runner started with the drill (else the debrief starts one)
        self.outcome = outcome
        self.snapshot = snapshot
        self.journal = journal
        self.session = session
        self.counterfactuals = counterfactuals and journal is not None
        self.debrief = None  # the latest drill.debrief.Debrief
        self.error: str | None = None
        self._texts: dict[str, str | None] = {}

    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll
        from textual.widgets import TabbedContent, TabPane

        title = self.snapshot.title if self.snapshot else self.outcome.scenario
        yield Static(Text(f"Debrief · {title}"), classes="debrief--title")
        with Horizontal(id="debrief-body"):
            with VerticalScroll(id="debrief-left"):
                yield Static(
                    enriched_card(self.outcome, self.journal, None)
                    if self.counterfactuals
                    else score_card(self.outcome, self.journal),
                    id="debrief-card",
                )
                yield Static("", id="debrief-curves")
                yield Static("", id="debrief-legend")
            with Vertical(id="debrief-right"), TabbedContent(id="debrief-tabs", initial="timeline-tab"):
                zone = fmt.zone(self.snapshot) if self.snapshot is not None else "ET"
                with TabPane(f"Timeline ({zone})", id="timeline-tab"):
                    options = []
                    for _, oid, prompt, full in timeline(self.outcome):
                        self._texts[oid] = full
                        options.append(Option(prompt, id=oid))
                    if not options:
                        options.append(Option(Text("No commands were given.", style="dim"), disabled=True))
                    yield OptionList(*options, id="timeline")
                with TabPane("What if", id="whatif-tab"):
                    yield Static("", id="whatif-progress")
                    with VerticalScroll():
                        yield Static("", id="whatif")
                with TabPane("Review", id="review-tab"), VerticalScroll():
                    yield Static("", id="review")
        yield Footer()

    def on_mount(self) -> None:
        self._show_curves()
        self.query_one("#whatif-progress", Static).update(
            "Re-simulating what else you could have done…"
            if self.counterfactuals
            else "Counterfactuals are off for this debrief."
        )
        self.query_one("#timeline").focus()
        if self.counterfactuals:
            self._compute()

    # -- the counterfactuals, in a thread ---------------------------------------------------------
    @work(thread=True, exclusive=True, group="debrief")
    def _compute(self) -> None:
        from drill.debrief import DebriefError, stream

        assert self.journal is not None  # counterfactuals are on only with a journal
        try:
            for d in stream(self.journal, session=self.session, runner=self.runner):
                self.app.call_from_thread(self._apply, d)
        except DebriefError as exc:
            self.app.call_from_thread(self._failed, str(exc))
        except Exception as exc:  # noqa: BLE001 - what-ifs that fail must not take the drill's console down
            # (a served tab would close, and the trainee would lose the score card they are reading)
            self.app.call_from_thread(self._failed, f"{type(exc).__name__}: {exc}")

    def _failed(self, message: str) -> None:
        self.error = message
        self.query_one("#whatif-progress", Static).update(Text(f"Counterfactuals failed: {message}", style="red"))

    def _apply(self, d) -> None:
        self.debrief = d
        with self.app.batch_update():
            self.query_one("#debrief-card", Static).update(enriched_card(self.outcome, self.journal, d))
            progress = f"{d.done} of {d.total} re-simulations done" + (
                f": computing {', '.join(d.pending[:2])}…" if d.pending else ". e exports the debrief."
            )
            self.query_one("#whatif-progress", Static).update(Text(progress))  # wraps where narrow
            self.query_one("#whatif", Static).update(whatif_table(d))
            self.query_one("#review", Static).update(review_text(d))
            self._show_curves()

    def _show_curves(self) -> None:
        d = self.debrief
        if d is not None:
            series = [(s.label, s.kind if s.kind != "play" else s.key.split(":")[-1], s.points) for s in d.curves]
            plot = CurvesPlot(series, d.markers, d.open_t, max(self.outcome_end_t(), d.open_t + 60_000))
        elif self.snapshot is not None:
            pts = tuple((p.at, p.loss_usd) for p in self.snapshot.curve) if self.snapshot.loss_usd is not None else ()
            series = [("you", "trainee", pts)]
            plot = CurvesPlot(series, (), self.snapshot.open, max(self.snapshot.now, self.snapshot.open + 60_000))
        else:
            return
        self.query_one("#debrief-curves", Static).update(plot)
        self.query_one("#debrief-legend", Static).update(legend(series))

    def outcome_end_t(self) -> int:
        return parse_clock(self.outcome.ended_at)

    # -- keys -------------------------------------------------------------------------------------
    def action_tab(self, name: str) -> None:
        from textual.widgets import TabbedContent

        self.query_one("#debrief-tabs", TabbedContent).active = f"{name}-tab"

    def action_export(self) -> None:
        """Write the Markdown postmortem (with its chart), the JSON and the HTML page next to the
        journal: the same exports as `drill debrief`."""
        if self.debrief is None or self.journal is None:
            self.notify("Nothing to export yet: the debrief is still being built.", severity="warning")
            return
        from pathlib import Path

        from drill.debrief.chart import svg
        from drill.debrief.export import to_html, to_json, to_markdown

        d = self.debrief
        base = Path(self.journal).with_suffix("")
        paths = {
            "md": base.with_name(base.name + ".debrief.md"),
            "svg": base.with_name(base.name + ".debrief.svg"),
            "json": base.with_name(base.name + ".debrief.json"),
            "html": base.with_name(base.name + ".debrief.html"),
        }
        try:
            paths["svg"].write_text(svg(d), encoding="utf-8")
            paths["md"].write_text(to_markdown(d, paths["svg"].name), encoding="utf-8")
            paths["json"].write_text(to_json(d), encoding="utf-8")
            paths["html"].write_text(to_html(d), encoding="utf-8")
        except OSError as exc:
            self.notify(fmt.literal(f"Export failed: {exc}"), severity="error", markup=False)
            return
        note = "" if d.complete else " (some counterfactuals were still computing)"
        self.exported = paths
        if getattr(self.app, "served", False):
            # In a browser the server's paths mean nothing to the trainee: the page downloads.
            self.app.deliver_text(paths["html"], open_method="download", mime_type="text/html")
            self.notify(
                fmt.literal(f"Exported{note}: your browser downloads {paths['html'].name}"), timeout=10, markup=False
            )
            return
        self.notify(fmt.literal(f"Exported{note}: {paths['md']} (+ .svg, .json, .html)"), timeout=10, markup=False)

    @on(OptionList.OptionSelected, "#timeline")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        oid = event.option.id
        if oid and self._texts.get(oid):
            self.app.push_screen(TextScreen(str(event.option.prompt).split("\n")[0], self._texts[oid] or ""))
