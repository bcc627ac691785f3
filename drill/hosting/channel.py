"""The facilitator's channel to a running drill.

A drill being played listens on a loopback TCP port (never anything else) and registers itself
in the data directory (port, scenario, team; never the token). A facilitator attaches with the
per-drill token the drill printed when it started. One JSON object per line each way:

  -> {"token": T, "op": "status"}                    <- {"ok": true, "status": {...}}
  -> {"token": T, "op": "command", "command": "inject second-fault"}
                                                     <- {"ok": true, "result": "..."}
Anything without the right token gets {"ok": false, "error": "..."} and the connection closes.
Facilitator commands go through Session.submit(by="facilitator"), so they are journaled and a
replay reproduces them; pause, resume and speed also move the drill's own clock.

A drill opened to a crew also takes its crew's join code in place of the token, for the crew's
own three operations and nothing else (never status, never a facilitator's command):

  -> {"crew": C, "op": "join", "name": "Ann", "role": "operator"}
                                                     <- {"ok": true, "join": {journal, roles, ...}}
  -> {"crew": C, "op": "crew-command", "name": "Ann", "role": "operator", "command": "stop s3"}
                                                     <- {"ok": true, "result": "...", "t": ms}
  -> {"crew": C, "op": "clock", "name": "Ann", "role": "operator"}
                                                     <- {"ok": true, "t": ms, "speed": 1.0, "paused": false}
A crew command goes through Session.submit(crew=...) on a worker thread (a resolve simulates on),
so it is journaled with who gave it, and refused there if the member's role may not give it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from drill.commands import VERBS, CommandError, parse_command
from drill.paths import data_dir
from drill.session.crew import CrewError, CrewMember

MAX_LINE = 64 * 1024
IDLE_S = 5.0  # a connection that sends nothing for this long is closed
MAX_CONNECTIONS = 64  # open at once; a facilitator needs one at a time per drill
BUSY = "busy:"  # how a turned-away connection's answer begins (ChannelBusy on the asking side)
LOOPBACK = "127.0.0.1"


class Host(Protocol):
    """What the channel needs from a running drill (drill.tui.controller.Drill provides it)."""

    def facilitate(self, text: str) -> str: ...
    def truth(self) -> dict: ...
    def crew_join(self, member: CrewMember) -> dict: ...
    def crew_command(self, member: CrewMember, text: str) -> dict: ...
    def crew_clock(self) -> dict: ...


CREW_OPS = ("join", "crew-command", "clock")


def new_token() -> str:
    return secrets.token_urlsafe(18)


def registry_dir() -> Path:
    return data_dir() / "drills"


@dataclass
class Registration:
    path: Path

    def remove(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def register(drill_id: str, port: int, info: dict) -> Registration:
    d = registry_dir()
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{drill_id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"id": drill_id, "port": port, "pid": os.getpid(), **info}))
    tmp.replace(path)
    return Registration(path)


def running_drills() -> list[dict]:
    """Drills registered on this machine whose process is still alive."""
    out: list[dict] = []
    d = registry_dir()
    if not d.is_dir():
        return out
    for f in sorted(d.glob("*.json")):
        try:
            info = json.loads(f.read_text())
            if not _well_formed(info):
                continue  # not a registration this program wrote
            os.kill(info["pid"], 0)
        except (OSError, ValueError, json.JSONDecodeError):
            continue  # gone, or not ours to read
        out.append(info)
    return out


def _well_formed(info: object) -> bool:
    """A registration as `register` writes it: an 8-hex-digit id, a port and a pid as integers,
    a team that is text or nothing."""
    return (
        isinstance(info, dict)
        and isinstance(info.get("id"), str)
        and re.fullmatch(r"[0-9a-f]{8}", info["id"]) is not None
        and type(info.get("port")) is int
        and 0 < info["port"] < 65536
        and type(info.get("pid")) is int
        and info["pid"] > 0
        and isinstance(info.get("team"), (str, type(None)))
    )


class ChannelServer:
    def __init__(
        self,
        host: Host,
        token: str,
        idle_s: float = IDLE_S,
        max_connections: int = MAX_CONNECTIONS,
        crew_code: str | None = None,
    ):
        self.host = host
        self.idle_s = idle_s
        self.max_connections = max_connections
        self._token = token.encode()
        self._crew_code = crew_code.encode() if crew_code else None  # None: no crew may join
        self.server: asyncio.AbstractServer | None = None
        self.port: int | None = None
        self.connections = 0

    async def start(self, port: int = 0) -> int:
        # Loopback only: a facilitator on another machine goes through `drill serve`.
        self.server = await asyncio.start_server(self._client, LOOPBACK, port, limit=MAX_LINE)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def _authorised(self, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(token.encode(), self._token)

    def _crew_authorised(self, code: object) -> bool:
        return (
            self._crew_code is not None
            and isinstance(code, str)
            and hmac.compare_digest(code.encode(), self._crew_code)
        )

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: requests answered in turn; idle ones and ones beyond MAX_CONNECTIONS
        closed, so held-open sockets cannot slow the drill or its facilitator."""
        self.connections += 1
        try:
            if self.connections > self.max_connections:
                await self._send(writer, {"ok": False, "error": f"{BUSY} too many connections"})
                return
            while True:
                try:
                    line = await asyncio.wait_for(reader.readline(), self.idle_s)
                except TimeoutError:
                    return
                except (ValueError, asyncio.LimitOverrunError):
                    await self._send(writer, {"ok": False, "error": "line too long"})
                    return
                if not line:
                    return
                try:
                    req = json.loads(line)
                except (ValueError, RecursionError):  # also bytes that are not UTF-8, and nested brackets
                    await self._send(writer, {"ok": False, "error": "not JSON"})
                    return
                if isinstance(req, dict) and "crew" in req and "token" not in req:
                    if not self._crew_authorised(req.get("crew")):
                        await self._send(writer, {"ok": False, "error": "refused: wrong join code"})
                        return
                    # A crew's commands run on a worker thread: a resolve simulates to the end, and
                    # the console that owns this loop keeps drawing meanwhile.
                    await self._send(writer, await asyncio.to_thread(self.handle_crew, req))
                    continue
                if not isinstance(req, dict) or not self._authorised(req.get("token")):
                    await self._send(writer, {"ok": False, "error": "refused: wrong or missing token"})
                    return
                await self._send(writer, self.handle(req))
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self.connections -= 1
            writer.close()

    def handle(self, req: dict) -> dict:
        op = req.get("op")
        if op == "status":
            return {"ok": True, "status": self.host.truth()}
        if op == "command":
            text = req.get("command")
            if not isinstance(text, str):
                return {"ok": False, "error": "command: expected a string"}
            try:
                cmd = parse_command(text)
                if VERBS[cmd.verb].role != "facilitator":
                    return {
                        "ok": False,
                        "error": f"{cmd.verb}: the facilitator steers the exercise; the trainee plays it",
                    }
                return {"ok": True, "result": self.host.facilitate(text)}
            except CommandError as exc:
                return {"ok": False, "error": str(exc)}
        return {"ok": False, "error": f"unknown op {op!r}"}

    def handle_crew(self, req: dict) -> dict:
        """One request of a crew member (the join code already checked): join, or a command."""
        op = req.get("op")
        if op not in CREW_OPS:
            return {
                "ok": False,
                "error": f"a crew member may only join, give commands and follow the clock, not {op!r}",
            }
        name, role = req.get("name"), req.get("role")
        if not isinstance(name, str) or not isinstance(role, str):
            return {"ok": False, "error": "name and role: expected text"}
        try:
            member = CrewMember.of(name, role)
        except CrewError as exc:
            return {"ok": False, "error": str(exc)}
        text = req.get("command")
        try:
            if op == "join":
                return {"ok": True, "join": self.host.crew_join(member)}
            if op == "clock":
                return {"ok": True, **self.host.crew_clock()}
            if not isinstance(text, str):
                return {"ok": False, "error": "command: expected a string"}
            if VERBS[parse_command(text).verb].role != "trainee":
                return {"ok": False, "error": "the facilitator steers the exercise; the crew plays it"}
            return {"ok": True, **self.host.crew_command(member, text)}
        except CommandError as exc:
            return {"ok": False, "error": str(exc)}

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, obj: dict) -> None:
        writer.write(json.dumps(obj).encode() + b"\n")
        await asyncio.wait_for(writer.drain(), IDLE_S)  # a peer that does not read is let go


class ChannelError(Exception):
    pass


class ChannelBusy(ConnectionError):
    """The drill could not take the request at this moment (its connections at their cap, or the
    connection closed unanswered): a connection problem to try again, not a refusal of the token."""


async def request(port: int, token: str, op: str, timeout: float = 5.0, **fields) -> dict:
    """One request to a drill's channel (the facilitator's side)."""
    return await _exchange(port, {"token": token, "op": op, **fields}, timeout)


async def crew_request(port: int, code: str, op: str, timeout: float = 5.0, **fields) -> dict:
    """One request of a crew member, with the crew's join code."""
    return await _exchange(port, {"crew": code, "op": op, **fields}, timeout)


async def _exchange(port: int, message: dict, timeout: float) -> dict:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(LOOPBACK, port), timeout)
    try:
        writer.write(json.dumps(message).encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
    finally:
        writer.close()
    if not line:
        raise ChannelBusy("the drill closed the connection")
    reply = json.loads(line)
    if not reply.get("ok"):
        error = str(reply.get("error", "refused"))
        raise (ChannelBusy if error.startswith(BUSY) else ChannelError)(error)
    return reply
