"""A pooled tab's drill, built before its trainee comes (drill serve --pool).

Twenty tabs opened at once on two cores each spent about 0.45 CPU-s between the picker and the
console: the briefing's Markdown and the console's widgets composed, mounted, laid out and drawn.
Whatever the order, that was 4.5 s before the last console showed. A pre-started tab of a serve
that fixes the drill therefore builds it while it waits for its browser: the session (the morning
already simulated by the warm process), the console screen and the briefing, each mounted, laid
out and drawn once at the pool's terminal size, in this stack:

    console (its clock paused, its frames held) < briefing < picker (what the browser sees)

Choosing the served drill at the picker uncovers the briefing; Enter uncovers the console and
the drill begins then: its journal is opened (its header written now, as a drill started now
writes it), its clock starts, its facilitator's channel opens under the team just typed. Until
then the drill is not the app's: a tab stopped while pooled records nothing and leaves no file.
A choice other than the one built ahead (another seed or difficulty, where serve offers them)
removes what was built and goes the ordinary way.
"""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drill.gameday.protocol import BUILT_META
from drill.paths import default_journal_path
from drill.scenario import LoadedScenario, load
from drill.tui.app import DrillApp
from drill.tui.controller import Drill
from drill.tui.screens.briefing import BriefingScreen
from drill.tui.screens.console import ConsoleScreen
from drill.tui.screens.picker import Choice

if TYPE_CHECKING:
    from textual.events import AppBlur
    from textual.screen import Screen
    from textual.widgets import Markdown

SETTLE_REFRESHES = 2  # refreshes a screen gets, once its widgets are all mounted, before it is covered


@dataclass
class BuiltAhead:
    loaded: LoadedScenario
    difficulty: str
    seed: int
    drill: Drill
    console: ConsoleScreen
    briefing: BriefingScreen

    def matches(self, choice: Choice) -> bool:
        seed = self.loaded.spec.seed if choice.seed is None else choice.seed
        return (choice.scenario, choice.difficulty, seed) == (self.loaded.spec.id, self.difficulty, self.seed)

    def discard(self) -> None:
        self.drill.session.close()


def build(app: DrillApp) -> BuiltAhead:
    """The served drill's session, console and briefing (not shown yet)."""
    assert app.scenario_id is not None  # only a serve that fixes the drill builds ahead
    loaded = load(app.scenario_id)
    difficulty = app.difficulty or loaded.spec.default_difficulty
    seed = loaded.spec.seed if app.seed is None else app.seed
    drill = app.new_drill(loaded, difficulty, seed)
    drill.clock.pause()  # the clock starts when the trainee does
    console = ConsoleScreen(drill, blink=app.blink, frame_s=app.frame_s, held=True)
    return BuiltAhead(loaded, difficulty, seed, drill, console, app.briefing_for(loaded, difficulty, seed))


async def settle(screen: Screen) -> None:
    """Wait until `screen`, shown, has every widget mounted (the briefing's Markdown mounts its
    blocks after it mounts itself), laid out and drawn: covered earlier, it would lay itself out
    when uncovered, in front of the trainee."""
    markdown: list[Markdown] = list(screen.query("Markdown"))  # type: ignore[arg-type]
    for _ in range(200):  # (a Markdown with no blocks after 200 refreshes has none to mount)
        if all(m.children for m in markdown) or not screen.is_running:
            break
        await screen.wait_for_refresh()
    for _ in range(SETTLE_REFRESHES):
        if not screen.is_running:
            return  # gone already (a test's picker answered at once)
        await screen.wait_for_refresh()
        await asyncio.sleep(0)


async def stack(app: DrillApp, ahead: BuiltAhead | None, briefed, pick) -> None:
    """Show the console, then the briefing over it, each drawn once, then the picker over both
    (`pick`: the picker alone when nothing is built ahead); `briefed` answers the briefing. Then
    say so to serve (the web driver's meta channel) and leave all of it out of later garbage
    collections."""
    if ahead is not None:
        await app.push_screen(ahead.console)
        # Where a journal started now would go: its name is as long as the one the drill gets
        # when it begins, which then repaints the status line instead of laying out the console.
        ahead.console.show_journal(str(default_journal_path(ahead.loaded.spec.id)))
        await settle(ahead.console)
        await app.push_screen(ahead.briefing, briefed)
        await settle(ahead.briefing)
    await pick()
    await settle(app.screen)  # the picker
    gc.freeze()  # (as at start-up: what lives as long as the tab is not walked again)
    write_meta = getattr(app._driver, "write_meta", None)  # the web driver's (a test's has none)
    if write_meta is not None:
        write_meta(BUILT_META)


class BuildsAhead(DrillApp):
    """A served tab's app that, pre-started (`pooled`), builds the served drill under its first
    picker and begins it when the trainee starts it."""

    pooled = False  # a pre-started tab: build ahead, and tell serve when ready
    prestarted = False  # started ahead of its browser (`pooled` is cleared once its picker comes)
    start_blur_seen = False
    built: BuiltAhead | None = None  # the drill built ahead, until it begins or is discarded
    chosen: Choice | None = None  # the choice that uncovered the briefing built ahead

    def _pick(self):
        if not self.pooled:
            return super()._pick()
        self.pooled = False  # the first picker only: later ones come as they always have
        self.prestarted = True
        self.built = build(self) if self.scenario_id is not None and self.start_at is None else None
        return self.run_worker(stack(self, self.built, self._briefed_ahead, super()._pick), name="ahead")

    async def _on_app_blur(self, event: AppBlur) -> None:
        """A pre-started tab keeps its terminal's focus through the web driver's blur at start
        (the one blur no browser sent). Its page focuses the terminal as it loads (the served
        page's script), so a browser finds the app as it will be: the screens built ahead have
        their focus already, and the first key restyles nothing (textual's app-focus watcher
        restyled the whole picker, and each screen built ahead took its focus as it was
        uncovered, restyling what it holds, in front of the trainee)."""
        first, self.start_blur_seen = not self.start_blur_seen, True
        if first and (self.pooled or self.prestarted):
            event.prevent_default()

    def _picked(self, choice) -> None:
        if choice is None or not self._uncover_briefing(choice):
            super()._picked(choice)

    def _uncover_briefing(self, choice: Choice) -> bool:
        """The picker has gone: the briefing built ahead is showing. True if it is the chosen
        drill's; else it goes (and False)."""
        built = self.built
        if built is None or self.screen is not built.briefing:
            return False
        if not built.matches(choice):
            self.pop_screen()
            return False
        self.team, self.chosen = choice.team, choice
        return True

    def _briefed_ahead(self, start: bool | None) -> None:
        choice = self.chosen
        if start and choice is not None:
            self.start_drill(choice.scenario, choice.difficulty, choice.seed)
        else:
            self._pick()

    def start_drill(self, scenario: str, difficulty: str | None, seed: int | None) -> ConsoleScreen:
        built, self.built = self.built, None
        if built is not None and self.screen is built.console:
            if built.matches(Choice(scenario, difficulty or "", seed)):
                return self._begin_ahead(built)
            self.pop_screen()  # built for another drill
        if built is not None:
            built.discard()
        return super().start_drill(scenario, difficulty, seed)

    def _begin_ahead(self, built: BuiltAhead) -> ConsoleScreen:
        """The trainee starts the drill built ahead: its journal opens and its clock starts now."""
        drill, console = built.drill, built.console
        drill.open_journal(self.journal_for(built.loaded))
        if not self.start_paused:
            drill.clock.resume()
        console.begin()
        self.drill_started(built.loaded, drill, console)
        return console
