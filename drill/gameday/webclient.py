"""A browser-less client of `drill serve`: one websocket, as a tab would open it, speaking
textual-serve's messages (["stdin", text], ["resize", {...}] out; terminal bytes in). The ten-drill
bench and the tests drive served drills with it; it is no part of serving."""

from __future__ import annotations

import asyncio
import re
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiohttp  # imported on connect: a module that only parses output never loads it

ANSI = re.compile(
    r"\x1b\[[0-9;?<>=!]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[@-Z\\-_]|\x1b."
)

ENTER, ESCAPE, BACKSPACE = "\r", "\x1b", "\x7f"


def plain(data: bytes) -> str:
    """Terminal output without its escape sequences (text of the regions redrawn, in order)."""
    return ANSI.sub("", data.decode("utf-8", "replace"))


class TabClient:
    def __init__(
        self, base_url: str, width: int = 120, height: int = 36, origin: str | None = None, tab_id: str | None = None
    ):
        """`tab_id`: the id a page keeps across reloads (a reconnect with it re-attaches)."""
        path = "/ws" + (f"/{tab_id}" if tab_id else "")
        self.url = f"{base_url.replace('http', 'ws', 1).rstrip('/')}{path}?width={width}&height={height}"
        self.origin = origin if origin is not None else base_url.rstrip("/")
        self.width, self.height = width, height
        self.received = bytearray()
        self.frames: list[tuple[float, int]] = []  # (time, bytes) per data message
        self.messages: list[list] = []  # the server's own messages (JSON text: pong, deliver_file_start)
        self.closed = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task | None = None
        self._changed = asyncio.Event()

    async def connect(self, timeout: float = 20.0) -> None:
        import aiohttp

        self._session = session = aiohttp.ClientSession()
        try:
            self._ws = ws = await asyncio.wait_for(
                session.ws_connect(self.url, headers={"Origin": self.origin}, max_msg_size=0), timeout
            )
        except BaseException:
            await session.close()
            raise
        self._task = asyncio.get_running_loop().create_task(self._read())
        await ws.send_json(["resize", {"width": self.width, "height": self.height}])

    async def _read(self) -> None:
        import aiohttp

        assert self._ws is not None  # started by connect()
        try:
            async for msg in self._ws:
                if msg.type == aiohttp.WSMsgType.BINARY:
                    self.received += msg.data
                    self.frames.append((time.perf_counter(), len(msg.data)))
                    self._changed.set()
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    self.messages.append(msg.json())
                    self._changed.set()
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.ERROR):
                    break
        finally:
            self.closed.set()
            self._changed.set()

    def mark(self) -> int:
        return len(self.received)

    def text(self, since: int = 0) -> str:
        return plain(bytes(self.received[since:]))

    async def wait_for(self, pattern: str, since: int = 0, timeout: float = 20.0) -> float:
        """Wait until `pattern` (a regex) shows in the output after `since`; returns the seconds
        waited. Raises TimeoutError."""
        start = time.perf_counter()
        rx = re.compile(pattern)
        while True:
            if rx.search(self.text(since)):
                return time.perf_counter() - start
            if self.closed.is_set():
                raise TimeoutError(f"the tab closed before {pattern!r} showed")
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                raise TimeoutError(f"{pattern!r} did not show in {timeout}s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                pass

    async def send(self, text: str) -> None:
        assert self._ws is not None, "connect() first"
        await self._ws.send_json(["stdin", text])

    async def type(self, text: str, gap: float = 0.0) -> None:
        for ch in text:
            await self.send(ch)
            if gap:
                await asyncio.sleep(gap)

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 10)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
        if self._session is not None:
            await self._session.close()
