"""The Textual application: picker -> briefing -> console -> debrief, plus help and quitting."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding

from drill.paths import default_journal_path
from drill.scenario import load
from drill.session.snapshot import Snapshot
from drill.timefmt import parse_clock
from drill.tui.controller import Drill
from drill.tui.screens.confirm import ConfirmScreen
from drill.tui.screens.console import FRAME_S, ConsoleScreen
from drill.tui.startup import prepare_before_ui

if TYPE_CHECKING:  # the facilitator's channel is imported when a drill opens one
    from textual.widget import AwaitMount

    from drill.hosting.hosted import Facilitation, HostedDrill

# The picker, the briefing and the debrief (and the Markdown they bring) are imported when first
# shown: a console started on a scenario reaches its first frame without them.
if TYPE_CHECKING:
    from drill.debrief import Runner
    from drill.tui.screens.briefing import BriefingScreen
    from drill.tui.screens.debrief import DebriefScreen


class DrillApp(App[int]):
    TITLE = "drill"
    CSS = """
    Screen { background: $background; }
    """
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True)]

    def __init__(
        self,
        scenario: str | None = None,
        difficulty: str | None = None,
        seed: int | None = None,
        speed: float = 1.0,
        journal: str | Path | None = None,
        paused: bool = False,
        *,
        start_at: str | int | None = None,
        wall: Callable[[], float] = time.monotonic,
        blink: bool = True,
        frame_s: float = FRAME_S,
        team: str | None = None,
        facilitation: Facilitation | None = None,
        served: bool = False,
        counterfactuals: bool = True,
        ranked: bool = False,
    ):
        """`start_at` ("HH:MM:SS" or sim ms) fast-forwards the drill before its first frame;
        `wall` is the clock the console measures elapsed time with (tests pass a fake one);
        `blink` False keeps cursors still (snapshots). `team` tags the registry and the result;
        `facilitation` (an id and a token) opens the facilitator's channel when the drill starts;
        `served` (a browser tab) always starts at the picker, which then asks for the team and,
        given a scenario, offers only that scenario, difficulty and seed. `ranked`: only the
        facilitator moves the clock (drill serve --ranked)."""
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
        self.debrief: DebriefScreen | None = None  # once the drill has ended
        self.debrief_runner: Runner | None = (
            None  # the debrief's worker pool, started with the drill (counterfactuals on)
        )
        self.team = team
        self.facilitation = facilitation
        self.served = served
        self.ranked = ranked
        # The debrief re-simulates counterfactuals; while the drill runs, a low-priority worker
        # computes the part that does not depend on the trainee (the plays, each containment
        # move at the moment the fault showed), so the debrief is ready within seconds.
        self.counterfactuals = counterfactuals
        if counterfactuals:
            prepare_before_ui()
        self.hosted: HostedDrill | None = None  # the facilitator's channel, while the drill runs
        self.result_id: int | None = None  # the drill's entry in the results store, once recorded
        self.signing_key: bytes | None = None  # a served drill signs its result (drill.results.signing_key)
        self.result_error: str | None = None
        self.crew_name: str | None = None  # drill play --crew NAME: the owner's name once a crew joins

    def on_mount(self) -> None:
        if self.scenario_id is None or self.served:
            self._pick()
        else:
            self.start_drill(self.scenario_id, self.difficulty, self.seed)

    # -- before the drill -------------------------------------------------------------------------
    def _pick(self) -> AwaitMount:
        from drill.tui.screens.picker import Choice, PickerScreen

        fixed = None
        if self.served and self.scenario_id is not None:
            fixed = Choice(
                self.scenario_id, self.difficulty or load(self.scenario_id).spec.default_difficulty, self.seed
            )
        return self.push_screen(
            PickerScreen(blink=self.blink, team_field=self.served, fixed=fixed, team=self.team, hide_seed=self.ranked),
            self._picked,
        )

    def _picked(self, choice) -> None:
        if choice is None:
            self.exit(0)
            return
        if self.served:
            self.team = choice.team
        loaded = load(choice.scenario)

        def go(start: bool | None) -> None:
            if start:
                self.start_drill(choice.scenario, choice.difficulty, choice.seed)
            else:
                self._pick()

        self.push_screen(self.briefing_for(loaded, choice.difficulty, choice.seed), go)

    def briefing_for(self, loaded, difficulty: str, seed: int | None) -> BriefingScreen:
        """The briefing before a drill of `loaded` starts."""
        from drill.tui.screens.briefing import BriefingScreen

        shown = "set by the facilitator" if self.ranked else loaded.spec.seed if seed is None else seed
        detail = f"{difficulty} · seed {shown}"
        return BriefingScreen(loaded.spec.title, loaded.briefing, starting=True, detail=detail)

    # -- the drill --------------------------------------------------------------------------------
    def start_drill(self, scenario: str, difficulty: str | None, seed: int | None) -> ConsoleScreen:
        """Start a drill of `scenario` (a bundled id or a scenario's path) and show its console."""
        loaded = load(scenario)
        drill = self.new_drill(loaded, difficulty, seed)
        drill.open_journal(self.journal_for(loaded))
        if self.start_at is not None:
            at = parse_clock(self.start_at) if isinstance(self.start_at, str) else int(self.start_at)
            drill.advance_to(at)
        console = ConsoleScreen(drill, blink=self.blink, frame_s=self.frame_s)
        self.push_screen(console)
        self.drill_started(loaded, drill, console)
        return console

    def new_drill(self, loaded, difficulty: str | None, seed: int | None) -> Drill:
        """A drill of `loaded` as this app plays it, its journal not opened yet."""
        drill = Drill(loaded, difficulty, seed, None, self.speed, self.start_paused, self.wall)
        drill.clock.ranked = self.ranked
        drill.owner_name = self.crew_name
        return drill

    def journal_for(self, loaded) -> Path:
        journal = Path(self.journal if self.journal else default_journal_path(loaded.spec.id))
        journal.parent.mkdir(parents=True, exist_ok=True)
        return journal

    def drill_started(self, loaded, drill: Drill, console: ConsoleScreen) -> None:
        """`drill` has begun in `console` (shown): the debrief's work and the facilitator's channel start."""
        self.drill, self.console_screen = drill, console
        if self.counterfactuals:
            # After the console's first frame: the warmer's and the pool's threads import the debrief
            # and start processes, which would hold the interpreter while the first frame is drawn.
            self.call_after_refresh(self._start_debrief_work, loaded, drill.session.difficulty, drill.session.seed)
        if self.facilitation is not None:
            self.run_worker(self._open_channel(), name="facilitator-channel", group="channel", exit_on_error=False)

    def _start_debrief_work(self, loaded, difficulty: str, seed: int) -> None:
        if self.debrief is not None:
            return  # the drill ended before its first frame: the debrief starts what it needs
        self._warm_debrief(loaded, difficulty, seed)
        if not self.served:  # (twenty served tabs would hold sixty idle workers: theirs start at the end)
            self._start_debrief_runner(loaded, difficulty, seed)

    @work(thread=True, exclusive=True, group="warm-debrief", exit_on_error=False)
    def _warm_debrief(self, loaded, difficulty: str, seed: int) -> None:
        from drill.debrief import warm_cache

        warm_cache(loaded, difficulty, seed, workers=1, nice=10)

    @work(thread=True, exclusive=True, group="debrief-runner", exit_on_error=False)
    def _start_debrief_runner(self, loaded, difficulty: str, seed: int) -> None:
        """The debrief's worker pool, started with the drill and primed (each worker's session at the
        clock's start built): the what-ifs start the moment the drill ends."""
        from drill.debrief import plan
        from drill.debrief.runner import Runner

        runner = Runner()
        self.debrief_runner = runner.start()
        runner.prime(plan.base(loaded, difficulty, seed))

    # -- the facilitator's channel ----------------------------------------------------------------
    async def _open_channel(self) -> None:
        from drill.hosting.hosted import HostedDrill

        assert self.drill is not None and self.facilitation is not None
        hosted = HostedDrill(
            self.drill,
            self.facilitation,
            self.team,
            shown=lambda: self.console_screen.snap if self.console_screen else None,
            after_command=self._facilitated,
            frames=lambda: self.console_screen.frames if self.console_screen else 0,
        )
        try:
            await hosted.open()
        except OSError as exc:  # no port, or an unwritable registry: the drill plays on unsteered
            self.notify(
                f"The facilitator's channel could not open: {exc}", severity="warning", timeout=10, markup=False
            )
            await hosted.close()
            return
        self.hosted = hosted

    def _facilitated(self) -> None:
        # A facilitator's command (a hint, an inject, pause) shows at once, even on a paused clock.
        if self.console_screen is not None:
            self.call_later(self.console_screen.refresh_now)

    async def on_unmount(self) -> None:
        if self.hosted is not None:
            await self.hosted.close()
            self.hosted = None
        if self.debrief_runner is not None:
            self.debrief_runner.close()
            self.debrief_runner = None

    def record_result(self) -> None:
        """Put the ended drill in the results store (once), tagged with the team."""
        from drill import results

        if self.drill is None or not self.drill.finished or self.result_id is not None or self.result_error:
            return
        try:
            self.result_id = results.record(
                self.drill.outcome(), self.drill.journal_path, team=self.team, signing_key=self.signing_key
            )
        except results.ResultsError as exc:
            self.result_error = str(exc)

    def show_debrief(self, snapshot: Snapshot | None = None) -> None:
        """The drill has ended: replace the console (and anything over it) with the debrief."""
        from drill.tui.screens.debrief import DebriefScreen

        assert self.drill is not None
        outcome = self.drill.outcome()
        self.drill.session.close()
        self.record_result()
        while len(self.screen_stack) > 1 and not isinstance(self.screen, ConsoleScreen):
            self.pop_screen()
        journal = str(self.drill.journal_path) if self.drill.journal_path else None
        self.debrief = DebriefScreen(
            outcome,
            snapshot,
            journal,
            session=self.drill.session,
            counterfactuals=self.counterfactuals,
            runner=self.debrief_runner,
        )
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
        self.push_screen(
            ConfirmScreen(
                "Quit the drill?",
                "It ends now and is scored as it stands; the journal records that you quit.",
            ),
            self._quit_answered,
        )

    def _quit_answered(self, yes: bool | None) -> None:
        if yes:
            if self.drill is not None:
                self.drill.abandon()
                self.record_result()
            self.exit(0)
