"""The facilitator's channel through a shared PostgreSQL results database, for drills on other
hosts (the loopback channel, drill.hosting.channel, stays for one machine without a server).

A drill hosted while the results store is PostgreSQL registers itself in `drills` and publishes
its status there about once a second; it takes the facilitator commands queued for it in
`drill_commands` (woken by NOTIFY, or by its next poll), runs each through the same door as the
loopback channel (ChannelServer.handle: facilitator verbs only, through Session.submit, so
journaled) and writes the answer into the command's row.

Authorisation is per drill, as on the loopback channel: a command row carries
HMAC(token, drill id, nonce, command), never the token, and the drill runs only a command whose
MAC holds under its own token and whose nonce it has not seen (a copied row is refused). The
token is the one the facilitator has today: typed, or derived from the serve key (hosting.token_for).

A database that goes away never stops the drill: publishing and polling fail quietly and resume
when it returns (the drill registers again if the database lost its row)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import secrets
import socket
import time

from drill.hosting.channel import ChannelError
from drill.store import Location, ResultsError, steering

PUBLISH_S = 1.0  # how often a drill publishes its status (and polls, where no NOTIFY wakes it)
REPLY_TIMEOUT_S = 10.0


def command_mac(token: str, drill_id: str, nonce: str, command: str) -> str:
    body = b"\0".join(
        [b"drill db command", drill_id.encode(), nonce.encode(), command.encode("utf-8", "surrogatepass")]
    )
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def status_mac(token: str, drill_id: str, status_json: str) -> str:
    body = b"\0".join([b"drill db status", drill_id.encode(), status_json.encode("utf-8", "surrogatepass")])
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


class DbChannel:
    """One drill's presence in the shared database: registration, status, commands. `handle` is
    the loopback channel's request handler (ChannelServer.handle), `truth` the drill's status."""

    def __init__(self, loc: Location, row: steering.DrillRow, token: str, handle, truth, publish_s: float = PUBLISH_S):
        self.loc = loc
        self.row = row
        self._token = token
        self.handle = handle
        self.truth = truth
        self.publish_s = publish_s
        self.seen: set[str] = set()  # nonces already run or refused
        self.errors = 0  # database calls that failed (it was away); the drill played on
        self._task: asyncio.Task | None = None
        self._listener = steering.Listener(loc, steering.COMMANDS_CHANNEL)
        self._registered = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        try:
            await asyncio.to_thread(self._publish, self._status(), "ended")
        except ResultsError:
            pass
        self._listener.close()

    def _status(self) -> dict:
        try:
            return self.truth()
        except Exception as exc:  # noqa: BLE001 - a status that cannot be read is not a reason to stop
            return {"drill_id": self.row.drill_id, "team": self.row.team, "error": str(exc)}

    async def _run(self) -> None:
        while True:
            try:
                await self.cycle()
            except ResultsError:
                self.errors += 1
                self._registered = False
            await asyncio.to_thread(self._listener.wait, self.publish_s)

    async def cycle(self) -> None:
        """Publish the status, then run the commands waiting. The database calls run in threads;
        the drill's status and its commands are taken on the event loop, as the loopback channel
        takes them (a command refreshes the console, which only its loop may touch)."""
        from drill.results import deliver_pending

        await asyncio.to_thread(deliver_pending, self.loc)  # results this host kept while the database was away
        status = self._status()
        await asyncio.to_thread(self._publish, status)
        for cmd in await asyncio.to_thread(steering.pending, self.loc, self.row.drill_id):
            ok, reply = self.run_command(cmd)
            await asyncio.to_thread(steering.answer, self.loc, cmd.id, ok, reply)

    def _publish(self, status: dict, state: str | None = None) -> None:
        state = state or ("ended" if status.get("finished") else "live")
        text = json.dumps(status)
        mac = status_mac(self._token, self.row.drill_id, text)
        if not self._registered or not steering.publish(self.loc, self.row.drill_id, state, text, mac):
            steering.register(
                self.loc, dataclasses.replace(self.row, state=state, status=status, status_json=text, status_mac=mac)
            )
            self._registered = True

    def run_command(self, cmd: steering.CommandRow) -> tuple[bool, str]:
        good = hmac.compare_digest(cmd.mac, command_mac(self._token, cmd.drill_id, cmd.nonce, cmd.command))
        if not good or cmd.nonce in self.seen:
            self.seen.add(cmd.nonce)
            return False, "refused: wrong token for this drill" if not good else "refused: a command already run"
        self.seen.add(cmd.nonce)
        res = self.handle({"op": "command", "command": cmd.command})
        return (True, res["result"]) if res.get("ok") else (False, res.get("error", "refused"))


def host_name() -> str:
    return socket.gethostname()


def send(loc: Location, drill_id: str, token: str, text: str, timeout: float = REPLY_TIMEOUT_S) -> str:
    """Queue one facilitator command for a drill on any host and wait for its answer (blocking).
    Raises ChannelError when refused or unanswered in `timeout` seconds, ResultsError when the
    database cannot be reached."""
    nonce = secrets.token_hex(16)
    cid = steering.enqueue(loc, drill_id, text, nonce, command_mac(token, drill_id, nonce, text))
    listener = steering.Listener(loc, steering.REPLIES_CHANNEL)
    deadline = time.monotonic() + timeout
    try:
        while True:
            row = steering.command(loc, cid)
            if row is not None and row.ok is not None:
                if not row.ok:
                    raise ChannelError(row.reply or "refused")
                return row.reply or ""
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelError(f"no answer from drill {drill_id} in {timeout:g} s (its host may be down)")
            listener.wait(min(left, 0.5))
    finally:
        listener.close()
