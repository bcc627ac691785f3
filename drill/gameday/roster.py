"""The facilitator's side of the channel: the drills running here, the ones attached to, their last
status and their live standings. No Textual: the facilitator app renders what this holds.

A drill is attached with its token (typed, or `--token ID=TOKEN`) or through the key of the
`drill serve` that started it (the token is derived; see drill.hosting.hosted). The first status
request proves the token: a refusal detaches it and says so. A drill that stops answering (its tab
closed, its terminal quit) keeps its last status, marked gone, so its outcome stays on the board.
"""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass, field

from drill.gameday.status import DrillStatus
from drill.hosting.channel import ChannelError, request, running_drills
from drill.hosting.hosted import fingerprint, token_for
from drill.results import outcome_rank_key
from drill.results import rank_key as results_rank_key

POLL_TIMEOUT_S = 2.0


@dataclass
class Watched:
    drill_id: str
    token: str = field(repr=False)
    info: dict = field(default_factory=dict)  # the registry's entry (port, scenario, team...)
    status: dict | None = None  # the last truth the drill sent, as it came (`view` reads it)
    state: str = "attaching"  # attaching, live, ended, gone, refused
    error: str | None = None

    @property
    def view(self) -> DrillStatus | None:
        """The last status, typed (None: none yet)."""
        return DrillStatus.from_json(self.status) if isinstance(self.status, dict) and self.status else None

    @property
    def team(self) -> str | None:
        view = self.view
        return (view.team if view else None) or self.info.get("team")

    @property
    def label(self) -> str:
        return f"{self.team or 'no team'} ({self.drill_id})"


@dataclass(frozen=True)
class Standing:
    rank: int
    drill_id: str
    team: str | None
    board: str  # "scenario/difficulty/seed": only drills on the same board are ranked together
    clock: str
    phase: str
    score_usd: float
    true_loss_usd: float
    grade: str
    contained: bool
    state: str


def board_of(status: DrillStatus) -> str:
    return "/".join(str(part) for part in status.board)


def rank_key(outcome: dict) -> tuple:
    """How two finished drills' outcomes order: the results store's ranking
    (drill.results.outcome_rank_key: every finished drill above every DNF, then the lower score,
    then the one contained sooner)."""
    return outcome_rank_key(outcome)


def live_rank_key(status: DrillStatus) -> tuple:
    """The same ranking on a live drill's status (`rank_key`)."""
    return results_rank_key(status.score_usd or 0.0, status.contained_at, status.ended_by, status.grade)


def standings(watched: list[Watched]) -> list[Standing]:
    """Attached drills with a status that carries a score, ranked per board (`live_rank_key`)."""
    rows = [(w, v) for w in watched if (v := w.view) is not None and v.score_usd is not None]
    rows.sort(key=lambda wv: (board_of(wv[1]), *live_rank_key(wv[1]), wv[0].drill_id))
    out, rank, board = [], 0, None
    for w, s in rows:
        b = board_of(s)
        rank = rank + 1 if b == board else 1
        board = b
        out.append(
            Standing(
                rank,
                w.drill_id,
                w.team,
                b,
                s.clock,
                s.phase,
                s.score_usd or 0.0,
                s.true_loss_usd or 0.0,
                s.grade,
                s.contained,
                w.state,
            )
        )
    return out


def db_info(row) -> dict:
    """A drill registered in the shared database (drill.store.steering.DrillRow), as the registry's
    entries read: `via` says its channel is the database, `status` is what it last published."""
    return {
        "id": row.drill_id,
        "team": row.team,
        "scenario": row.scenario,
        "difficulty": row.difficulty,
        "seed": row.seed,
        "served_by": row.served_by,
        "host": row.host,
        "started": row.started_at,
        "via": "db",
        "db_state": row.state,
        "status": row.status,
        "status_json": row.status_json,
        "status_mac": row.status_mac,
    }


class Roster:
    def __init__(self, tokens: dict[str, str] | None = None, keys: list[str] | None = None, store=None):
        self.store = store  # a PostgreSQL results store (drill.store.Location) shared by every host, or None
        self.store_error: str | None = None  # why the last read of it failed
        self.db_running: list[dict] = []  # the drills registered in it, as last read
        self.running: list[dict] = []  # the registry, as last read
        self.watched: dict[str, Watched] = {}
        self.keys: dict[str, str] = {}  # fingerprint -> key
        for drill_id, token in (tokens or {}).items():
            self.attach(drill_id, token)
        for key in keys or []:
            self.add_key(key)

    # -- attaching ----------------------------------------------------------------------------------
    def attach(self, drill_id: str, token: str) -> Watched:
        w = Watched(drill_id, token.strip())
        self.watched[drill_id] = w
        self._place(w)
        return w

    def add_key(self, key: str) -> str:
        fp = fingerprint(key.strip())
        self.keys[fp] = key.strip()
        self.refresh_registry(read=False)
        return fp

    def _place(self, w: Watched) -> None:
        info = next((d for d in self.running if d.get("id") == w.drill_id), None)
        if info is not None:
            w.info = info
            if w.state == "gone":
                w.state = "attaching"

    def refresh_registry(self, read: bool = True) -> list[dict]:
        """Read the registry; attach drills served under a known key; mark vanished ones gone."""
        if read:
            from_db = {d["id"] for d in self.db_running}
            self.running = [d for d in running_drills() if d.get("id") not in from_db] + self.db_running
        self._attach_served_under_known_keys()
        ids = {d.get("id") for d in self.running}
        for w in self.watched.values():
            if w.drill_id in ids:
                self._place(w)
            elif w.state in ("live", "attaching", "ended") and w.info:
                w.state = "gone"
        return self.running

    def _attach_served_under_known_keys(self) -> None:
        for d in self.running:
            fp = d.get("served_by")
            if fp in self.keys and d["id"] not in self.watched:
                self.attach(d["id"], token_for(self.keys[fp], d["id"]))

    # -- talking to the drills ------------------------------------------------------------------------
    async def read_store(self) -> None:
        """Read the drills registered in the shared database (every host's), then the registry."""
        if self.store is None:
            return
        from drill.store import ResultsError
        from drill.store.steering import live_drills

        try:
            rows = await asyncio.to_thread(live_drills, self.store)
        except ResultsError as exc:
            self.store_error = str(exc)
            return
        self.store_error = None
        self.db_running = [db_info(r) for r in rows]
        self.refresh_registry()

    async def poll_one(self, w: Watched) -> None:
        if w.info.get("via") == "db":
            self._read_published_status(w)
        else:
            await self._ask_for_status(w)

    @staticmethod
    def _read_published_status(w: Watched) -> None:
        """A drill steered through the shared database: the status its host last published,
        trusted only when signed with this token."""
        from drill.hosting.dbchannel import status_mac

        status, text, mac = w.info.get("status"), w.info.get("status_json"), w.info.get("status_mac")
        if text is None:
            return  # registered, nothing published yet
        if not isinstance(mac, str) or not hmac.compare_digest(mac, status_mac(w.token, w.drill_id, text)):
            # As the loopback channel refuses a wrong token: this token did not sign that status.
            w.state, w.error = "refused", "refused: its status is not signed with this token"
            return
        if isinstance(status, dict):
            w.status = status
        w.state = {"ended": "ended", "gone": "gone"}.get(w.info.get("db_state", ""), "live")
        w.error = None if w.state != "gone" else "its host stopped publishing"

    @staticmethod
    async def _ask_for_status(w: Watched) -> None:
        """A drill on this machine: ask its channel for its status."""
        port = w.info.get("port")
        if w.state in ("refused", "gone") or not port:
            if not port and w.state == "attaching":
                w.error = "not running on this machine (not in the registry)"
            return
        try:
            reply = await request(int(port), w.token, "status", timeout=POLL_TIMEOUT_S)
        except ChannelError as exc:
            w.state, w.error = "refused", str(exc)
            return
        except (TimeoutError, OSError, ValueError) as exc:
            w.error = f"no answer ({type(exc).__name__})"
            return
        w.status = reply["status"]
        w.error = None
        w.state = "ended" if w.view is not None and w.view.finished else "live"

    async def poll(self) -> None:
        await self.read_store()
        await asyncio.gather(*(self.poll_one(w) for w in list(self.watched.values())))

    async def command(self, drill_id: str, text: str) -> str:
        """Send one facilitator command; returns the drill's answer. Raises ChannelError (refused,
        malformed) or OSError (the drill is gone)."""
        w = self.watched[drill_id]
        if w.info.get("via") == "db":
            from drill.hosting.dbchannel import send

            return await asyncio.to_thread(send, self.store, drill_id, w.token, text)
        port = w.info.get("port")
        if not port:
            raise ChannelError("that drill is not running on this machine")
        reply = await request(int(port), w.token, "command", timeout=POLL_TIMEOUT_S, command=text)
        return reply["result"]

    # -- views ----------------------------------------------------------------------------------------
    def attached(self) -> list[Watched]:
        return [w for w in self.watched.values() if w.state != "refused"]

    def standings(self) -> list[Standing]:
        return standings(self.attached())

    def finished(self) -> list[Watched]:
        return [w for w in self.attached() if w.view is not None and w.view.outcome]
