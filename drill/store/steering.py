"""Steering through the results database: the storage half. Live drills register themselves
(host, team, scenario, seed, state) and publish their status as a row of `drills`; a facilitator's
command travels as a row of `drill_commands`, which the drill answers in the same row. On
PostgreSQL each new command and each answer also sends a NOTIFY, so the other side wakes at once
instead of at its next poll; on SQLite (one machine) polling alone carries them.

A command row holds a MAC under the drill's token, never the token: whoever can write the table
but lacks the token cannot forge a command the drill will run (drill.hosting.dbchannel checks it).
Each status carries a MAC under the token too, so a status row changed by someone without the
token is refused by the facilitator. The status rows are readable by anyone who can read the
database, though: give its URL to facilitators, not to trainees (a status holds the hidden truth:
the faulty servers, the true loss).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from drill.store.engine import now, opened
from drill.store.location import POSTGRESQL, Location
from drill.store.tables import drill_commands, drills

if TYPE_CHECKING:
    import psycopg  # imported where a listener connects: SQLite users never load it

COMMANDS_CHANNEL = "drill_commands"  # NOTIFY payload: the drill id a command is for
REPLIES_CHANNEL = "drill_replies"  # NOTIFY payload: the id of the command answered
MAX_COMMAND_CHARS = 2_000
WAIT_S = 10.0


@dataclass(frozen=True)
class DrillRow:
    """A live drill as registered: where it runs and what it plays, its last status."""

    drill_id: str
    host: str
    team: str | None
    scenario: str
    difficulty: str
    seed: int
    served_by: str | None
    state: str
    status: dict | None
    started_at: str
    updated_at: float
    status_json: str | None = None  # the status as published (what its MAC covers)
    status_mac: str | None = None


@dataclass(frozen=True)
class CommandRow:
    id: int
    drill_id: str
    command: str
    nonce: str
    mac: str
    ok: bool | None  # None while the drill has not answered
    reply: str | None


def _notify(con, loc: Location, channel: str, payload: str) -> None:
    if loc.kind == POSTGRESQL:
        con.execute(select(func.pg_notify(channel, payload)))


def register(loc: Location, row: DrillRow) -> None:
    """Register a drill (or register it again, as after a restart of the database)."""
    values = {
        "host": row.host,
        "team": row.team,
        "scenario": row.scenario,
        "difficulty": row.difficulty,
        "seed": row.seed,
        "served_by": row.served_by,
        "state": row.state,
        "status_json": row.status_json,
        "status_mac": row.status_mac,
        "started_at": row.started_at,
        "updated_at": time.time(),
    }
    with opened(loc, create=True, write=True, wait_s=WAIT_S) as con:
        if con.execute(update(drills).where(drills.c.drill_id == row.drill_id).values(**values)).rowcount == 0:
            con.execute(drills.insert().values(drill_id=row.drill_id, **values))


def publish(loc: Location, drill_id: str, state: str, status_json: str, status_mac: str) -> bool:
    """Publish a drill's status (JSON, with its MAC); False when it is not registered (the
    database lost it)."""
    with opened(loc, create=True, write=True, wait_s=WAIT_S) as con:
        res = con.execute(
            update(drills)
            .where(drills.c.drill_id == drill_id)
            .values(state=state, status_json=status_json, status_mac=status_mac, updated_at=time.time())
        )
        return res.rowcount > 0


def live_drills(loc: Location, fresh_s: float = 30.0) -> list[DrillRow]:
    """Every registered drill that published within `fresh_s` seconds, or has ended; the others
    are reported with state "gone" (their host stopped publishing)."""
    with opened(loc, create=True, write=False, wait_s=WAIT_S) as con:
        rows = con.execute(select(drills).order_by(drills.c.started_at, drills.c.drill_id)).mappings().all()
    out, cutoff = [], time.time() - fresh_s
    for r in rows:
        try:
            status = json.loads(r["status_json"]) if r["status_json"] else None
        except ValueError:
            status = None
        if not isinstance(status, (dict, type(None))):
            status = None
        state = r["state"] if r["state"] == "ended" or r["updated_at"] >= cutoff else "gone"
        out.append(
            DrillRow(
                r["drill_id"],
                r["host"],
                r["team"],
                r["scenario"],
                r["difficulty"],
                r["seed"],
                r["served_by"],
                state,
                status,
                r["started_at"],
                r["updated_at"],
                r["status_json"],
                r["status_mac"],
            )
        )
    return out


def enqueue(loc: Location, drill_id: str, command: str, nonce: str, mac: str) -> int:
    """Queue a command for a drill; its id. The drill is woken by NOTIFY (PostgreSQL) or its poll."""
    with opened(loc, create=True, write=True, wait_s=WAIT_S) as con:
        key = con.execute(
            drill_commands.insert().values(
                drill_id=drill_id, command=command[:MAX_COMMAND_CHARS], nonce=nonce, mac=mac, issued_at=now()
            )
        ).inserted_primary_key
        assert key is not None  # an insert of one row always has one
        cid = key[0]
        _notify(con, loc, COMMANDS_CHANNEL, drill_id)
    return int(cid)


def _command(r) -> CommandRow:
    return CommandRow(
        r["id"],
        r["drill_id"],
        r["command"],
        r["nonce"],
        r["mac"],
        None if r["ok"] is None else bool(r["ok"]),
        r["reply"],
    )


def pending(loc: Location, drill_id: str) -> list[CommandRow]:
    """The drill's unanswered commands, oldest first."""
    with opened(loc, create=True, write=False, wait_s=WAIT_S) as con:
        rows = (
            con.execute(
                select(drill_commands)
                .where(drill_commands.c.drill_id == drill_id, drill_commands.c.answered_at.is_(None))
                .order_by(drill_commands.c.id)
            )
            .mappings()
            .all()
        )
    return [_command(r) for r in rows]


def answer(loc: Location, command_id: int, ok: bool, reply: str) -> None:
    with opened(loc, create=True, write=True, wait_s=WAIT_S) as con:
        con.execute(
            update(drill_commands)
            .where(drill_commands.c.id == command_id)
            .values(ok=int(ok), reply=reply, answered_at=now())
        )
        _notify(con, loc, REPLIES_CHANNEL, str(command_id))


def command(loc: Location, command_id: int) -> CommandRow | None:
    with opened(loc, create=True, write=False, wait_s=WAIT_S) as con:
        r = con.execute(select(drill_commands).where(drill_commands.c.id == command_id)).mappings().first()
    return _command(r) if r is not None else None


class Listener:
    """Waits for a NOTIFY on one channel (PostgreSQL); on SQLite, or when the connection is lost,
    `wait` just sleeps out its timeout and the caller polls. Blocking: run it in a thread."""

    def __init__(self, loc: Location, channel: str):
        self.loc = loc
        self.channel = channel
        self._con: psycopg.Connection | None = None

    def _connect(self):
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(self.loc.url).set(drivername="postgresql").render_as_string(hide_password=False)
        con = psycopg.connect(url, autocommit=True, connect_timeout=int(WAIT_S))
        con.execute(f"LISTEN {self.channel}")
        return con

    def wait(self, timeout: float) -> list[str]:
        """The payloads that arrived within `timeout` seconds (empty: none, or no NOTIFY here)."""
        if self.loc.kind != POSTGRESQL:
            time.sleep(timeout)
            return []
        try:
            if self._con is None:
                self._con = self._connect()
            return [n.payload for n in self._con.notifies(timeout=timeout, stop_after=1)]
        except Exception:  # noqa: BLE001 - a lost connection: poll, and reconnect next time
            self.close()
            time.sleep(min(timeout, 1.0))
            return []

    def close(self) -> None:
        if self._con is not None:
            try:
                self._con.close()
            except Exception:  # noqa: BLE001
                pass
            self._con = None
