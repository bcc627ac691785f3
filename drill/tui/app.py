"""The Textual application: picker -> briefing -> console -> debrief, plus help and quitting."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from drill.paths import default_journal_path
from drill.scenario import load
from drill.session.snapshot import Snapshot
from drill.timefmt import parse_clock
from drill.tui.controller import Drill
from drill.tui.screens.confirm import ConfirmScreen
from drill.tui.screens.console import FRAME_S, ConsoleScreen

# The picker, the briefing and the debrief (and the Markdown they bring) are imported when first
# shown: a console started on a scenario reaches its first frame without them.


class DrillApp(App[int]):
    TITLE = "drill"
    CSS = """
    Screen { background: $background; }
    """
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(self, scenario: str | None = None, difficulty: str | None = None, seed: int | None = None,
                 speed: float = 1.0, journal: str | Path | None = None, paused: bool = False, *,
                 start_at: str | int | None = None, wall: Callable[[], float] = time.monotonic,
                 blink: bool = True, frame_s: float = FRAME_S):
        """`start_at` ("HH:MM:SS" or sim ms) fast-forwards the drill before its first frame;
        `wall` is the clock the console measures elapsed time with (tests pass a fake one);
        `blink` False keeps cursors still (snapshots)."""
        super().__init__()
        self.scenario_id = scenario
        self.difficulty = difficulty
        self.seed = seed
        self.speed = speed
        self.journal = journal
        self.start_paused = paused
        self.start_at = start_at
        self.wall = wall
        self.blink = blink
        self.frame_s = frame_s
        self.drill: Drill | None = None
        self.console_screen: ConsoleScreen | None = None
        self.debrief = None  # the DebriefScreen, once the drill has ended

    def on_mount(self) -> None:
        if self.scenario_id is None:
            self._pick()
        else:
            self.start_drill(self.scenario_id, self.difficulty, self.seed)

    # -- before the drill -------------------------------------------------------------------------
    def _pick(self) -> None:
        from drill.tui.screens.picker import PickerScreen

        self.push_screen(PickerScreen(blink=self.blink), self._picked)

    def _picked(self, choice) -> None:
        from drill.tui.screens.briefing import BriefingScreen

        if choice is None:
            self.exit(0)
            return
        loaded = load(choice.scenario)
        seed = loaded.spec.seed if choice.seed is None else choice.seed
        detail = f"{choice.difficulty} · seed {seed}"

        def go(start: bool | None) -> None:
            if start:
                self.start_drill(choice.scenario, choice.difficulty, choice.seed)
            else:
                self._pick()

        self.push_screen(BriefingScreen(loaded.spec.title, loaded.briefing, starting=True, detail=detail), go)

    # -- the drill --------------------------------------------------------------------------------
    def start_drill(self, scenario: str, difficulty: str | None, seed: int | None) -> ConsoleScreen:
        """Start a drill of `scenario` (a bundled id or a scenario's path) and show its console."""
        loaded = load(scenario)
        journal = self.journal if self.journal else default_journal_path(loaded.spec.id)
        Path(journal).parent.mkdir(parents=True, exist_ok=True)
        self.drill = Drill(loaded, difficulty, seed, journal, self.speed, self.start_paused, self.wall)
        if self.start_at is not None:
            at = parse_clock(self.start_at) if isinstance(self.start_at, str) else int(self.start_at)
            self.drill.advance_to(at)
        self.console_screen = ConsoleScreen(self.drill, blink=self.blink, frame_s=self.frame_s)
        self.push_screen(self.console_screen)
        return self.console_screen

    def show_debrief(self, snapshot: Snapshot | None = None) -> None:
        """The drill has ended: replace the console (and anything over it) with the debrief."""
        from drill.tui.screens.debrief import DebriefScreen

        assert self.drill is not None
        outcome = self.drill.outcome()
        self.drill.session.close()
        while len(self.screen_stack) > 1 and not isinstance(self.screen, ConsoleScreen):
            self.pop_screen()
        journal = str(self.drill.journal_path) if self.drill.journal_path else None
        self.debrief = DebriefScreen(outcome, snapshot, journal)
        self.switch_screen(self.debrief)

    @property
    def drill_running(self) -> bool:
        return self.drill is not None and not self.drill.finished

    async def action_quit(self) -> None:
        if not self.drill_running:
            self.exit(0)
            return
        if isinstance(self.screen, ConfirmScreen):
            return
        self.push_screen(ConfirmScreen(
            "Quit the drill?",
            "It ends now and is scored as it stands; the journal records that you quit.",
        ), self._quit_answered)

    def _quit_answered(self, yes: bool | None) -> None:
        if yes:
            if self.drill is not None:
                self.drill.abandon()
            self.exit(0)
