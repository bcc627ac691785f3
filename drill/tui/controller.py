"""The console's grip on one drill: a session, the clock that drives it and a lock around both.

Nothing here imports Textual. The console calls `frame()` from one timer; the session is touched
only under `lock`, so the one thread that may also touch it (a `resolve` that simulates on to the
scenario's end) and the exit path never overlap with the timer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from drill.commands import SPEEDS
from drill.scenario import LoadedScenario, load
from drill.session import Session, Submission
from drill.session.crew import CrewMember
from drill.session.scoring import Outcome
from drill.session.snapshot import ConsoleSetup, Snapshot

# A frame that arrives late (a slow render, a suspended terminal) is not caught up: the clock
# advances at most this much wall time per chunk, so one chunk of sim work stays a few ms.
MAX_WALL_PER_CHUNK_S = 0.25


def faster(speed: float) -> float:
    return next((s for s in SPEEDS if s > speed), SPEEDS[-1])


def slower(speed: float) -> float:
    return next((s for s in reversed(SPEEDS) if s < speed), SPEEDS[0])


class SimClock:
    """Turns measured wall time into whole simulated milliseconds at a chosen speed.

    The fraction of a millisecond left over is carried to the next chunk, so a clock stepped in
    many small chunks keeps exact pace with wall time x speed.
    """

    def __init__(
        self,
        speed: float = 1.0,
        paused: bool = False,
        wall: Callable[[], float] = time.monotonic,
        max_wall_s: float = MAX_WALL_PER_CHUNK_S,
    ):
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed = float(speed)
        self.paused = paused
        # Who may move the clock. A facilitator's pause holds until the facilitator resumes, and
        # a facilitator's speed stands: the trainee's space and +/- do not undo them. In ranked
        # play (scores compared across teams, and scored on sim time) the trainee moves it not at
        # all: nobody freezes the clock to think.
        self.ranked = False
        self.pause_held = False
        self.speed_held = False
        self._wall = wall
        self._max_wall_s = max_wall_s
        self._last = wall()
        self._carry = 0.0

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            self._last = self._wall()  # the time spent paused is not owed to the sim

    def trainee_refusal(self, what: str) -> str | None:
        """Why the trainee may not pause/resume (`what` "pause") or change the speed ("speed")
        now, or None."""
        if self.ranked:
            return "Ranked play: only the facilitator pauses or changes the speed."
        if what == "pause" and self.pause_held:
            return "The facilitator paused the drill; the facilitator resumes it."
        if what == "speed" and self.speed_held:
            return f"The facilitator set the speed to {self.speed:g}x."
        return None

    def toggle(self) -> bool:
        self.resume() if self.paused else self.pause()
        return self.paused

    def set_speed(self, speed: float) -> None:
        # The few ms since the last frame are charged at the new speed: not worth a special case.
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.speed = float(speed)

    def step_ms(self) -> int:
        """Whole sim milliseconds owed since the previous step (0 while paused)."""
        now = self._wall()
        elapsed = min(max(0.0, now - self._last), self._max_wall_s)
        self._last = now
        if self.paused:
            return 0
        owed = elapsed * 1000.0 * self.speed + self._carry
        ms = int(owed + 1e-6)  # 0.1 s of float wall time is 99.99999 ms: that is 100
        self._carry = owed - ms
        return ms


class Drill:
    """One drill as the console plays it."""

    def __init__(
        self,
        scenario: str | LoadedScenario,
        difficulty: str | None = None,
        seed: int | None = None,
        journal: str | Path | None = None,
        speed: float = 1.0,
        paused: bool = False,
        wall: Callable[[], float] = time.monotonic,
    ):
        """`scenario`: a bundled id, a path to a scenario, or one already loaded."""
        self.loaded = scenario if isinstance(scenario, LoadedScenario) else load(scenario)
        self.session = Session(self.loaded, difficulty, seed, journal)
        self.clock = SimClock(speed, paused, wall)
        self.lock = threading.RLock()
        self.journal_path = self.session.journal_path
        # Once the drill is opened to a crew, whoever started it is a member too (the scenario's
        # owner role), so the journal names everyone; a drill played alone has none.
        self.owner: CrewMember | None = None
        self.owner_name: str | None = None  # the name the owner goes by then (else the team's)

    def open_journal(self, journal: str | Path) -> None:
        """Journal a drill built without one from now on (drill.session.Session.open_journal)."""
        with self.lock:
            self.session.open_journal(journal)
            self.journal_path = self.session.journal_path

    @property
    def scenario_id(self) -> str:
        return self.loaded.spec.id

    @property
    def finished(self) -> bool:
        return self.session.finished

    def frame(self) -> int:
        """Advance by the wall time elapsed since the last frame; return the sim ms advanced.
        Returns 0 without waiting when another thread holds the session."""
        if not self.lock.acquire(blocking=False):
            return 0
        try:
            ms = self.clock.step_ms()
            if ms and not self.session.finished:
                before = self.session.now
                self.session.advance(ms)
                return self.session.now - before
            return 0
        finally:
            self.lock.release()

    def advance(self, ms: int) -> None:
        """Advance by an exact amount of sim time, whatever the clock says (tests, tools)."""
        with self.lock:
            self.session.advance(int(ms))

    def advance_to(self, at_ms: int) -> None:
        with self.lock:
            self.session.advance_to(int(at_ms))

    def submit(self, text: str) -> Submission:
        with self.lock:
            return self.session.submit(text, crew=self.owner)

    def submit_as(self, member: CrewMember, text: str) -> Submission:
        """A command another member of the crew gave from their own console."""
        with self.lock:
            return self.session.submit(text, crew=member)

    def snapshot(self) -> Snapshot:
        with self.lock:
            return self.session.snapshot()

    def setup(self) -> ConsoleSetup:
        with self.lock:
            return self.session.setup()

    def outcome(self) -> Outcome:
        with self.lock:
            return self.session.outcome()

    def abandon(self) -> Outcome:
        """End the drill now if it still runs (the trainee quit) and close the journal."""
        with self.lock:
            outcome = self.session.abandon()
            self.session.close()
            return outcome
