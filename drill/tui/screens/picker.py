"""Pick a scenario, a difficulty and a seed."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from drill.scenario import LoadedScenario, ScenarioError, bundled_ids, load


@dataclass(frozen=True)
class Choice:
    scenario: str
    difficulty: str
    seed: int | None


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
    PickerScreen #seed { width: 24; }
    PickerScreen #start { margin-left: 2; }
    PickerScreen #problem { height: auto; color: $error; }
    """

    BINDINGS = [Binding("ctrl+s", "start", "Start")]

    def __init__(self, blink: bool = True, **kwargs):
        super().__init__(**kwargs)
        self._blink = blink
        self._scenarios: dict[str, LoadedScenario] = {}
        self._problems: dict[str, str] = {}
        for sid in bundled_ids():
            try:
                self._scenarios[sid] = load(sid)
            except ScenarioError as exc:  # a broken bundled scenario must not take the picker down
                self._problems[sid] = str(exc)
        self._scenario: str | None = next(iter(self._scenarios), None)
        self._difficulty: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("drill · choose a drill", classes="picker--title")
            yield Static("↑↓ choose · Enter next · Tab move · ctrl+s start", classes="picker--keys")
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
            with Horizontal(id="start-row"):
                yield Label("Seed")
                seed = Input(placeholder="scenario default", type="integer", id="seed")
                seed.cursor_blink = self._blink
                yield seed
                yield Button("Start", id="start", variant="primary")
            yield Static(id="problem")
        yield Footer()

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
            self.query_one("#problem", Static).update(
                "\n".join(f"{sid}: {why}" for sid, why in self._problems.items()))
        scenarios.focus()

    def _show_scenario(self, sid: str) -> None:
        self._scenario = sid
        spec = self._scenarios[sid].spec
        diffs = self.query_one("#difficulties", OptionList)
        diffs.set_options(Option(name + ("  (default)" if name == spec.default_difficulty else ""), id=name)
                          for name in spec.difficulties)
        names = list(spec.difficulties)
        diffs.highlighted = names.index(spec.default_difficulty)
        self._show_difficulty(spec.default_difficulty)
        self.query_one("#seed", Input).placeholder = f"default {spec.seed}"

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

    @on(Input.Submitted, "#seed")
    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self._scenario is None or self._difficulty is None:
            self.query_one("#problem", Static).update("No scenario to start.")
            return
        raw = self.query_one("#seed", Input).value.strip()
        seed: int | None = None
        if raw:
            try:
                seed = int(raw)
            except ValueError:
                seed = -1
            if not 0 <= seed < 2**63:
                self.query_one("#problem", Static).update(f"The seed must be a whole number from 0 to 2**63-1, not {raw!r}.")
                return
        self.dismiss(Choice(self._scenario, self._difficulty, seed))
