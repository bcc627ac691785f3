"""A drill open to its facilitator: the channel a console hosts, its token and its registration.

The console (`drill.tui.app.DrillApp`) hosts one `HostedDrill` per drill, on its own event loop.
Nothing here imports Textual.

Tokens. A drill started with `drill play` gets a fresh random token (`channel.new_token`), printed
once in the terminal that started it. A drill served to a browser cannot show its token to the
person who should have it (the trainee sees the page, the facilitator does not), so `drill serve`
makes one random facilitator key per run, prints it in its own terminal, and passes it to each
tab's process in the environment; the process reads and removes it at once and derives its token as
HMAC(key, drill id) with a fresh random drill id. The facilitator types the key once and derives
the token of every drill that serve started (`token_for`); trainees never see the key, and one
drill's token tells nothing about another's. The registry holds a public fingerprint of the key
(`served_by`), never the key or a token.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as _dt
import hashlib
import hmac
import secrets
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from drill.commands import CommandError
from drill.hosting.channel import ChannelServer, Registration, new_token, register
from drill.hosting.host import DrillHost

if TYPE_CHECKING:
    from drill.hosting.dbchannel import DbChannel  # imported when the store is PostgreSQL
    from drill.session.snapshot import Snapshot

KEY_ENV = "DRILL_SERVE_KEY"  # how `drill serve` hands its facilitator key to each tab's process


def new_drill_id() -> str:
    return secrets.token_hex(4)


def token_for(key: str, drill_id: str) -> str:
    """The channel token of a served drill, from its serve's facilitator key."""
    mac = hmac.new(key.encode(), b"drill channel token\0" + drill_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:32]


def fingerprint(key: str) -> str:
    """A public name for a facilitator key: which drills it opens, without revealing it."""
    return hmac.new(key.encode(), b"drill serve id", hashlib.sha256).hexdigest()[:12]


def crew_code_for(key: str, drill_id: str) -> str:
    """The crew's join code of a served drill, from its serve's key: a second tab of the same team
    (which has the key too, and finds the drill id in the registry) derives it to join."""
    mac = hmac.new(key.encode(), b"drill crew code\0" + drill_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:32]


def new_crew_code() -> str:
    """A join code for a drill opened to a crew from a terminal: short enough to read out."""
    return secrets.token_hex(4).upper()


@dataclass(frozen=True)
class Facilitation:
    """Who may steer a drill: its id and token (never shown by repr, never written anywhere), and
    the join code of its crew when it is open to one."""

    drill_id: str
    token: str = field(repr=False)
    served_by: str | None = None  # the fingerprint of the `drill serve` key that made the token
    crew_code: str | None = field(default=None, repr=False)

    @classmethod
    def fresh(cls, crew: bool = False) -> Facilitation:
        return cls(new_drill_id(), new_token(), crew_code=new_crew_code() if crew else None)

    @classmethod
    def served(cls, key: str) -> Facilitation:
        drill_id = new_drill_id()
        return cls(drill_id, token_for(key, drill_id), fingerprint(key), crew_code_for(key, drill_id))


class LoopProbe:
    """How late the event loop wakes a short sleep (what input would wait behind), and how many
    frames the console rendered, over the last `window` samples. Served drills report it to the
    facilitator; the ten-drill bench reads it."""

    def __init__(self, frames: Callable[[], int], period_s: float = 0.05, window: int = 400):
        self.frames = frames
        self.period_s = period_s
        self.lags: deque[float] = deque(maxlen=window)
        self.marks: deque[tuple[float, int]] = deque(maxlen=window)
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        while True:
            t = time.perf_counter()
            await asyncio.sleep(self.period_s)
            now = time.perf_counter()
            self.lags.append(max(0.0, now - t - self.period_s))
            self.marks.append((now, self.frames()))

    def summary(self) -> dict:
        lags = sorted(x * 1000 for x in self.lags)
        if not lags:
            return {"samples": 0}

        def pct(q: float) -> float:
            return round(lags[min(len(lags) - 1, round(q / 100 * (len(lags) - 1)))], 2)

        (t0, f0), (t1, f1) = self.marks[0], self.marks[-1]
        return {
            "samples": len(lags),
            "window_s": round(t1 - t0, 1),
            "lag_p50_ms": pct(50),
            "lag_p99_ms": pct(99),
            "lag_max_ms": round(lags[-1], 2),
            "lag_mean_ms": round(statistics.fmean(lags), 2),
            "frames_per_s": round((f1 - f0) / (t1 - t0), 1) if t1 > t0 else 0.0,
        }


class GameDayHost(DrillHost):
    """The channel's view of a drill in a console: the hidden truth plus what the trainee's screen
    shows, the whole outcome once it has ended, and the loop's health. Never blocks the console:
    while a `resolve` simulates on in a thread (holding the drill's lock), status answers with the
    last truth marked busy and commands are refused."""

    def __init__(
        self,
        drill,
        team: str | None,
        drill_id: str,
        *,
        shown: Callable[[], Snapshot | None] = lambda: None,
        after_command: Callable[[], None] = lambda: None,
        health: Callable[[], dict] | None = None,
    ):
        super().__init__(drill, team)
        self.drill_id = drill_id
        self.shown = shown
        self.after_command = after_command
        self.health = health
        self._last: dict | None = None
        self.loop: asyncio.AbstractEventLoop | None = None  # the console's, once the channel is open

    def crew_command(self, member, text: str) -> dict:
        reply = super().crew_command(member, text)
        # On the channel's worker thread: the console redraws on its own loop, at once.
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.after_command)
        return reply

    def facilitate(self, text: str) -> str:
        if not self.drill.lock.acquire(blocking=False):
            raise CommandError("the drill is busy simulating (the trainee's resolve); try again in a moment")
        try:
            message = super().facilitate(text)
        finally:
            self.drill.lock.release()
        self.after_command()
        return message

    def truth(self) -> dict:
        if not self.drill.lock.acquire(blocking=False):
            return {**(self._last or {"drill_id": self.drill_id, "team": self.team}), "busy": True}
        try:
            t = super().truth()
            t["drill_id"] = self.drill_id
            t["busy"] = False
            if t["finished"]:
                t["outcome"] = self.drill.session.outcome().to_dict()
                t["journal"] = str(self.drill.journal_path) if self.drill.journal_path else None
        finally:
            self.drill.lock.release()
        snap = self.shown()
        if snap is not None:
            # What the trainee's screen showed at its last frame: the loss only where the
            # difficulty shows it, else the risk monitor's lagging exposure.
            t["screen"] = {
                "clock": snap.clock,
                "loss_usd": snap.loss_usd,
                "exposure_usd": snap.exposure_usd,
                "monitor_as_of": snap.monitor_as_of,
                "monitor_lag_s": snap.monitor_lag_s,
            }
        if self.health is not None:
            t["health"] = self.health()
        self._last = t
        return t


class HostedDrill:
    """One drill's channel on the console's event loop, and its entry in the registry."""

    def __init__(
        self,
        drill,
        facilitation: Facilitation,
        team: str | None,
        *,
        shown: Callable[[], Snapshot | None],
        after_command: Callable[[], None],
        frames: Callable[[], int],
    ):
        self.facilitation = facilitation
        self.team = team
        self.drill = drill
        self.probe = LoopProbe(frames)
        self.host = GameDayHost(
            drill, team, facilitation.drill_id, shown=shown, after_command=after_command, health=self.probe.summary
        )
        self.server = ChannelServer(self.host, facilitation.token, crew_code=facilitation.crew_code)
        self.port: int | None = None
        self.registration: Registration | None = None
        self.db_channel: DbChannel | None = None  # when the results store is PostgreSQL

    async def open(self) -> int:
        self.host.loop = asyncio.get_running_loop()
        self.port = await self.server.start()
        spec = self.drill.loaded.spec
        session = self.drill.session
        self.registration = register(
            self.facilitation.drill_id,
            self.port,
            {
                "scenario": spec.id,
                "title": spec.title,
                "difficulty": session.difficulty,
                "seed": session.seed,
                "team": self.team,
                "served_by": self.facilitation.served_by,
                # For `drill watch --live`, which follows the drill by reading its journal.
                "journal": str(self.drill.journal_path) if self.drill.journal_path else None,
                # A crew joins with a code (never written here); this says one may.
                "crew": self.facilitation.crew_code is not None,
                "started": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            },
        )
        self.probe.start()
        self._open_db_channel()
        return self.port

    def _open_db_channel(self) -> None:
        """Where the results store is a shared PostgreSQL database, also register there and take
        commands through it, so a facilitator on another host can steer this drill."""
        from drill.store import POSTGRESQL, ResultsError, locate

        try:
            loc = locate(None)
        except ResultsError:
            return  # a bad DRILL_RESULTS_URL: recording the result will say so
        if loc.kind != POSTGRESQL:
            return
        from drill.hosting.dbchannel import DbChannel, host_name
        from drill.store.steering import DrillRow

        session = self.drill.session
        row = DrillRow(
            self.facilitation.drill_id,
            host_name(),
            self.team,
            self.drill.loaded.spec.id,
            session.difficulty,
            session.seed,
            self.facilitation.served_by,
            "live",
            None,
            _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            time.time(),
        )
        self.db_channel = DbChannel(loc, row, self.facilitation.token, self.server.handle, self.host.truth)
        self.db_channel.start()

    def unregister(self) -> None:
        if self.registration is not None:
            self.registration.remove()

    async def close(self) -> None:
        self.probe.stop()
        self.unregister()
        if self.db_channel is not None:
            await self.db_channel.close()
        await self.server.close()
