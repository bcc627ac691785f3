"""Pick a scenario, a difficulty and a seed."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from drill.results import MAX_TEAM_CHARS  # as the results store allows
from drill.scenario import LoadedScenario, ScenarioError, bundled_ids, load
from drill.seeds import SEED_RANGE, is_seed
from drill.tui.widgets.footer import KeyFooter

FLAGSHIP = "knightmare"  # the drill the picker opens on, first in the list


@dataclass(frozen=True)
class Choice:
    scenario: str
    difficulty: str
    seed: int | None
    team: str | None = None


def team_problem(team: str) -> str | None:
    """Why a team name cannot be used, or None (blank is no team)."""
    if len(team) > MAX_TEAM_CHARS or not team.isprintable():
        return f"The team name must be at most {MAX_TEAM_CHARS} printable characters."
    return None


class PickerScreen(Screen[Choice]):
    DEFAULT_CSS = """
    PickerScreen > Vertical { height: 1fr; padding: 0 1; }
    PickerScreen .picker--title { height: 1; text-style: bold; background: $panel; padding: 0 1; }
    PickerScreen .picker--keys { height: 1; color: $text-muted; padding: 0 1; }
    PickerScreen #columns { height: 1fr; }
    PickerScreen #columns > Vertical { width: 1fr; height: 1fr; }
    PickerScreen Label { margin-top: 1; text-style: bold; }
    PickerScreen OptionList { height: 1fr; }
    PickerScreen #difficulties { height: auto; max-height: 8; }
    PickerScreen #description { height: 1fr; color: $text-muted; padding: 0 1; }
    PickerScreen #start-row { height: 3; margin-top: 1; }
    PickerScreen #start-row Label { margin: 1 1 0 0; }
    PickerScreen #seed { width: 30; }
    PickerScreen #start { margin-left: 2; }
    PickerScreen #problem { height: auto; color: $error; }
    PickerScreen #team-row { height: 3; margin-top: 1; }
    PickerScreen #team-row Label { margin: 1 1 0 0; }
    PickerScreen #team { width: 40; }
    """

    # It leads to the briefing, whose Enter starts the drill: the label says where it goes.
    BINDINGS = [Binding("ctrl+s", "start", "Briefing")]

    def __init__(
        self,
        blink: bool = True,
        *,
        team_field: bool = False,
        fixed: Choice | None = None,
        team: str | None = None,
        hide_seed: bool = False,
        **kwargs,
    ):
        """`team_field` asks for a team name too (a served game day); `fixed` offers only that
        scenario, difficulty and seed (every team plays the same drill); `hide_seed` (ranked play)
        keeps the fixed seed off the screen: with it, a team could look up the hidden fault."""
        super().__init__(**kwargs)
        self._blink = blink
        self._team_field = team_field
        self._fixed = fixed
        self._team = team
        self._hide_seed = hide_seed and fixed is not None
        self._scenarios: dict[str, LoadedScenario] = {}
        self._problems: dict[str, str] = {}
        ids = [fixed.scenario] if fixed is not None else bundled_ids()
        for sid in sorted(ids, key=lambda sid: sid != FLAGSHIP):  # the flagship first, the rest as listed
            try:
                self._scenarios[sid] = load(sid)
            except ScenarioError as exc:  # a broken bundled scenario must not take the picker down
                self._problems[sid] = str(exc)
        self._scenario: str | None = next(iter(self._scenarios), None)
        self._difficulty: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("drill · choose a drill", classes="picker--title")
            yield Static(
                "↑↓ choose · Enter next · Tab move · ctrl+s briefing (then Enter starts)", classes="picker--keys"
            )
            with Horizontal(id="columns"):
                with Vertical():
                    yield Label("Scenario")
                    options: list[Option | None] = []
                    for sid, sc in self._scenarios.items():
                        if options:
                            options.append(None)  # a rule between scenarios
                        options.append(self._scenario_option(sid, sc))
                    yield OptionList(*options, id="scenarios")
                with Vertical():
                    yield Label("Difficulty")
                    yield OptionList(id="difficulties")
                    yield Static(id="description")
            if self._team_field:
                with Horizontal(id="team-row"):
                    yield Label("Team")
                    team = Input(
                        self._team or "",
                        placeholder="your team's name (optional)",
                        max_length=MAX_TEAM_CHARS,
                        id="team",
                    )
                    team.cursor_blink = self._blink
                    yield team
            with Horizontal(id="start-row"):
                yield Label("Seed")
                seed = Input(placeholder="the scenario's", type="integer", id="seed")
                seed.cursor_blink = self._blink
                if self._fixed is not None:
                    shown = self._fixed.seed is not None and not self._hide_seed
                    seed.value = str(self._fixed.seed) if shown else ""
                    seed.disabled = True
                yield seed
                yield Button("Briefing", id="start", variant="primary")
            yield Static(id="problem")
        yield KeyFooter()

    @staticmethod
    def _scenario_option(sid: str, sc: LoadedScenario) -> Option:
        text = Text()
        text.append(sc.spec.title, style="bold")
        text.append("\n" + sc.spec.summary, style="dim")
        return Option(text, id=sid)

    def on_mount(self) -> None:
        scenarios = self.query_one("#scenarios", OptionList)
        if self._scenario is not None:
            scenarios.highlighted = 0
            self._show_scenario(self._scenario)
        if self._problems:
            self.query_one("#problem", Static).update("\n".join(f"{sid}: {why}" for sid, why in self._problems.items()))
        if self._team_field:
            self.query_one("#team", Input).focus()
        else:
            scenarios.focus()

    def _show_scenario(self, sid: str) -> None:
        self._scenario = sid
        spec = self._scenarios[sid].spec
        diffs = self.query_one("#difficulties", OptionList)
        diffs.set_options(
            Option(name + ("  (default)" if name == spec.default_difficulty else ""), id=name)
            for name in spec.difficulties
        )
        names = list(spec.difficulties)
        if self._fixed is not None:
            names = [self._fixed.difficulty]
            diffs.set_options([Option(self._fixed.difficulty, id=self._fixed.difficulty)])
        first = spec.default_difficulty if spec.default_difficulty in names else names[0]
        diffs.highlighted = names.index(first)
        self._show_difficulty(first)
        # A bare "default 20120834" reads as a date: say it is a seed, and which.
        shown = "set by the facilitator" if self._hide_seed else f"blank: seed #{spec.seed}"
        self.query_one("#seed", Input).placeholder = shown

    def _show_difficulty(self, name: str) -> None:
        self._difficulty = name
        assert self._scenario is not None
        diff = self._scenarios[self._scenario].spec.difficulties[name]
        self.query_one("#description", Static).update(Text(diff.description))

    @on(OptionList.OptionHighlighted, "#scenarios")
    def _scenario_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self._scenario:
            self._show_scenario(event.option.id)

    @on(OptionList.OptionSelected, "#scenarios")
    def _scenario_selected(self) -> None:
        self.query_one("#difficulties").focus()

    @on(OptionList.OptionHighlighted, "#difficulties")
    def _difficulty_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._show_difficulty(event.option.id)

    @on(OptionList.OptionSelected, "#difficulties")
    def _difficulty_selected(self) -> None:
        self.query_one("#seed").focus()

    @on(Input.Submitted, "#team")
    def _team_entered(self) -> None:
        # With the drill fixed there is nothing else to choose; otherwise go on to the scenario.
        if self._fixed is not None:
            self.action_start()
        else:
            self.query_one("#scenarios").focus()

    @on(Input.Submitted, "#seed")
    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self._scenario is None or self._difficulty is None:
            self.query_one("#problem", Static).update("No scenario to start.")
            return
        team: str | None = None
        if self._team_field:
            team = " ".join(self.query_one("#team", Input).value.split()) or None
            why = team_problem(team) if team else None
            if why:
                self.query_one("#problem", Static).update(why)
                return
        raw = self.query_one("#seed", Input).value.strip()
        seed: int | None = None
        if self._fixed is not None:
            seed = self._fixed.seed  # the field is only shown (or hidden), never typed in
        elif raw:
            try:
                seed = int(raw)
            except ValueError:
                seed = -1
            if not is_seed(seed):
                self.query_one("#problem", Static).update(f"The seed must be a whole number {SEED_RANGE}, not {raw!r}.")
                return
        self.dismiss(Choice(self._scenario, self._difficulty, seed, team))
