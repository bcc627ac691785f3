"""The facilitator's side of the channel: the drills running here, the ones attached to, their last
status and their live standings. No Textual: the facilitator app renders what this holds.

A drill is attached with its token (typed, or `--token ID=TOKEN`) or through the key of the
`drill serve` that started it (the token is derived; see drill.hosting.hosted). The first status
request proves the token: a refusal detaches it and says so. A drill that stops answering (its tab
closed, its terminal quit) keeps its last status, marked gone, so its outcome stays on the board.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from drill.hosting.channel import ChannelError, request, running_drills
from drill.hosting.hosted import fingerprint, token_for
from drill.results import outcome_rank_key

POLL_TIMEOUT_S = 2.0


@dataclass
class Watched:
    drill_id: str
    token: str = field(repr=False)
    info: dict = field(default_factory=dict)  # the registry's entry (port, scenario, team...)
    status: dict | None = None  # the last truth the drill sent
    state: str = "attaching"  # attaching, live, ended, gone, refused
    error: str | None = None

    @property
    def team(self) -> str | None:
        return (self.status or {}).get("team") or self.info.get("team")

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


def board_of(status: dict) -> str:
    return f"{status.get('scenario')}/{status.get('difficulty')}/{status.get('seed')}"


def rank_key(status: dict) -> tuple:
    """How the live board orders two drills of one board: the results store's ranking
    (drill.results.outcome_rank_key: every finished drill above every DNF, then the lower score,
    then the one contained sooner), on the status or outcome a drill sends."""
    return outcome_rank_key(status)


def standings(watched: list[Watched]) -> list[Standing]:
    """Attached drills with a status, ranked per board (`rank_key`)."""
    rows = [w for w in watched if w.status and isinstance(w.status.get("score_usd"), (int, float))]
    rows.sort(key=lambda w: (board_of(w.status), *rank_key(w.status), w.drill_id))
    out, rank, board = [], 0, None
    for w in rows:
        s = w.status
        b = board_of(s)
        rank = rank + 1 if b == board else 1
        board = b
        out.append(Standing(rank, w.drill_id, w.team, b, s.get("clock", ""), s.get("phase", ""), s["score_usd"],
                            s.get("true_loss_usd", 0.0), s.get("grade", "?"), bool(s.get("contained")), w.state))
    return out


class Roster:
    def __init__(self, tokens: dict[str, str] | None = None, keys: list[str] | None = None):
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
            self.running = running_drills()
        ids = {d.get("id") for d in self.running}
        for d in self.running:
            fp = d.get("served_by")
            if fp in self.keys and d["id"] not in self.watched:
                self.attach(d["id"], token_for(self.keys[fp], d["id"]))
        for w in self.watched.values():
            if w.drill_id in ids:
                self._place(w)
            elif w.state in ("live", "attaching", "ended") and w.info:
                w.state = "gone"
        return self.running

    # -- talking to the drills ------------------------------------------------------------------------
    async def poll_one(self, w: Watched) -> None:
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
        except (OSError, asyncio.TimeoutError, ValueError) as exc:
            w.error = f"no answer ({type(exc).__name__})"
            return
        w.status = reply["status"]
        w.error = None
        w.state = "ended" if w.status.get("finished") else "live"

    async def poll(self) -> None:
        await asyncio.gather(*(self.poll_one(w) for w in list(self.watched.values())))

    async def command(self, drill_id: str, text: str) -> str:
        """Send one facilitator command; returns the drill's answer. Raises ChannelError (refused,
        malformed) or OSError (the drill is gone)."""
        w = self.watched[drill_id]
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
        return [w for w in self.attached() if w.status and w.status.get("outcome")]
