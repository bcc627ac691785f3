"""The server behind `drill serve` (drill.gameday.serve builds it): textual-serve's Server with our
page, one drill process per tab (drill.gameday.tabs), Host and Origin checks, a cap on tabs, a
grace period for reloads; every connection that fails says why in one line.

A separate module because it imports aiohttp and textual-serve at the top: only serving needs them.
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import WSMsgType, web
from textual_serve.server import Server

from drill.gameday.protocol import (
    BYTES_BURST,
    BYTES_PER_S,
    MAX_LOGGED,
    MAX_MESSAGE,
    RATE_PER_S,
    TAB_ID,
    Bucket,
    OneLineFormatter,
    ServeOptions,
    drill_in_progress,
    host_refusal,
    page_html,
)
from drill.gameday.tabs import TabProcess, WarmLauncher, clamp_size, tab_environment
from drill.scenario.loader import printable

log = logging.getLogger("drill.serve")

POOL_SIZE = (120, 36)  # a pre-started tab's terminal until its browser says its own
POOL_START_WAIT_S = 60.0  # a pre-started tab not built by then is given up (and the pool)
POOL_REFILL_AFTER_S = 2.0  # the pool refills once browsers have stopped taking tabs this long


class Warner:
    """One-line warnings about one connection: at most MAX_LOGGED, then quiet."""

    def __init__(self, tab: TabProcess, peer: str):
        self.tab, self.peer, self.count = tab, peer, 0

    def __call__(self, reason: str) -> None:
        self.count += 1
        if self.count <= MAX_LOGGED:
            more = " (further problems on this tab are not logged)" if self.count == MAX_LOGGED else ""
            log.warning("tab %s from %s: %s%s", self.tab.pid, self.peer, reason, more)


class DrillServer(Server):
    def __init__(self, options: ServeOptions) -> None:
        o = options
        super().__init__(o.command, host=o.host, port=o.port, title=o.title, public_url=o.public_url)
        self.options = o
        self.fixed_url = o.public_url
        self.launcher = WarmLauncher(list(o.args), tab_environment())
        self.attached: set[TabProcess] = set()  # tabs a browser holds now
        self.waiting: dict[str, tuple[TabProcess, asyncio.TimerHandle]] = {}  # tab id -> detached, in grace
        self.holding: dict[str, tuple[TabProcess, web.WebSocketResponse]] = {}  # tab id -> its browser now
        self.every: set[TabProcess] = set()
        self.pool: list[TabProcess] = []  # pre-started tabs at their picker, waiting for a browser
        self._refilling: asyncio.Task | None = None
        self._last_taken = 0.0  # when a browser last took a pre-started tab (loop time)

    @property
    def live(self) -> int:
        """Slots in use: tabs a browser holds, and drills waiting for their tab to come back."""
        return len(self.attached) + len(self.waiting)

    # -- pre-started tabs ---------------------------------------------------------------------------
    def _refill_soon(self) -> None:
        if self.options.pool and (self._refilling is None or self._refilling.done()):
            self._refilling = asyncio.get_running_loop().create_task(self._refill())

    def _pool_has_room(self) -> bool:
        # Pre-started tabs are processes too: with the live ones they stay within --max-drills.
        return len(self.pool) < self.options.pool and self.live + len(self.pool) < self.options.max_drills

    async def _refill(self) -> None:
        """Start tabs up to the pool's size, one at a time (one core's work: the other stays for
        the live tabs), each to its first frame; and not while browsers are taking tabs (a room
        opening its pages at the facilitator's "go" has the machine to itself)."""
        loop = asyncio.get_running_loop()
        while self._pool_has_room():
            quiet = self._last_taken + POOL_REFILL_AFTER_S - loop.time()
            if quiet > 0:
                await asyncio.sleep(quiet)
                continue
            tab = await self._start_tab(POOL_SIZE, pooled=True)
            if tab is None:
                return
            await _first_of(tab.built.wait(), tab.ended.wait(), timeout=POOL_START_WAIT_S)
            if tab.ended.is_set() or not tab.built.is_set():
                log.warning("tab %s: a pre-started tab did not build its drill and picker; the pool stops", tab.pid)
                await self._discard(tab)
                return
            self.pool.append(tab)
            if len(self.pool) == self.options.pool:
                log.info("%d tabs pre-started, waiting for their browsers", len(self.pool))

    def _take_pooled(self) -> TabProcess | None:
        while self.pool:
            tab = self.pool.pop(0)
            if not tab.ended.is_set():
                self._last_taken = asyncio.get_running_loop().time()
                return tab
            self.every.discard(tab)
        return None

    async def _discard(self, tab: TabProcess) -> None:
        await tab.stop()
        self.every.discard(tab)

    def initialize_logging(self) -> None:
        # One line per event: no tracebacks (let alone their locals) in the serving terminal,
        # from our handlers or from aiohttp's (a malformed request, a handler's error).
        handler = logging.StreamHandler()
        handler.setFormatter(OneLineFormatter("drill serve: %(message)s"))
        logging.basicConfig(level="INFO", handlers=[handler], force=True)
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    async def _make_app(self):
        app = await super()._make_app()
        app.router.add_get("/ws/{tab}", self.handle_websocket)
        return app

    async def on_startup(self, app) -> None:  # the banner is ours, printed before serving
        if self.options.warm:
            self.launcher.start()
        self._refill_soon()

    async def on_shutdown(self, app) -> None:
        if self._refilling is not None:
            self._refilling.cancel()
        await asyncio.gather(*(t.stop() for t in list(self.every)))
        self.launcher.close()

    def _base(self, request) -> str:
        if self.fixed_url:
            return self.fixed_url.rstrip("/")
        return f"{request.scheme}://{request.host}"

    def _refuse_foreign(self, request, origin: str | None) -> None:
        refusal = host_refusal(self.options.host, self.fixed_url, request.host, origin)
        if refusal:
            raise web.HTTPForbidden(text=f"drill serve: {refusal}")

    async def handle_index(self, request):
        self._refuse_foreign(request, None)
        body = page_html(self.title, self._base(request), request.query.get("fontsize", "16"))
        return web.Response(
            text=body,
            content_type="text/html",
            headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"},
        )

    # -- one tab's websocket ------------------------------------------------------------------------
    async def handle_websocket(self, request):
        self._refuse_foreign(request, request.headers.get("Origin"))
        tab_id = request.match_info.get("tab")
        if tab_id is not None and not TAB_ID.match(tab_id):
            raise web.HTTPBadRequest(text="drill serve: not a tab id")
        tab = self._take_waiting(tab_id) or self._take_held(tab_id)
        if tab is None and self.live >= self.options.max_drills:
            raise web.HTTPServiceUnavailable(text=f"drill serve: {self.options.max_drills} drills already running")
        ws = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE)
        await ws.prepare(request)
        size = clamp_size(request.query.get("width"), request.query.get("height"))
        reattached = tab is not None
        started = False  # the tab's app started before this browser came (pre-started, or reattached)
        if tab is None:
            tab, started = await self._new_tab(ws, size)
            if tab is None:
                return ws
        await self._hold(ws, tab, tab_id, size, (reattached, reattached or started), request.remote or "?")
        return ws

    async def _new_tab(self, ws, size: tuple[int, int]) -> tuple[TabProcess | None, bool]:
        """A pre-started tab (True), else a tab's drill process started now (False); or close the
        websocket saying why (None)."""
        if self.live >= self.options.max_drills:  # taken while this one was shaking hands
            await ws.close(code=1013, message=b"too many drills")
            return None, False
        tab = self._take_pooled()
        self._refill_soon()
        if tab is not None:
            return tab, True
        tab = await self._start_tab(size)
        if tab is None:
            await ws.close(code=1011, message=b"could not start")
        return tab, False

    async def _start_tab(self, size: tuple[int, int], pooled: bool = False) -> TabProcess | None:
        try:
            started = await self.launcher.launch(*size, pooled=pooled)
        except OSError as exc:
            log.warning("could not start a tab's drill: %s", exc.strerror or exc)
            return None
        tab = TabProcess(started, self.download_manager, size=size)
        self.every.add(tab)
        tab.start_reading()
        return tab

    async def _hold(self, ws, tab: TabProcess, tab_id: str | None, size, came: tuple[bool, bool], peer: str) -> None:
        """The browser holds the tab until its websocket closes; then the tab is released.
        `came`: (the browser came back to its drill, the app started before this browser came)."""
        reattached, started = came
        tab.attach(ws.send_bytes, ws.send_str, ws.close)
        self.attached.add(tab)
        if tab_id is not None:
            self.holding[tab_id] = (tab, ws)
        try:
            if reattached:
                log.info("tab %s: its browser came back; the same drill goes on", tab.pid)
            if started:
                tab.size = size
                await tab.greet()  # its terminal's modes and a full redraw, for this browser
            await self._messages(ws, tab, Warner(tab, peer))
        except Exception as exc:  # noqa: BLE001  (one line in the serving terminal, never a traceback)
            log.warning("tab %s: %s: %s", tab.pid, type(exc).__name__, printable(str(exc))[:200])
        finally:
            await self._let_go(ws, tab, tab_id)

    async def _let_go(self, ws, tab: TabProcess, tab_id: str | None) -> None:
        if tab_id is not None:
            if self.holding.get(tab_id, (tab, None))[1] is not ws:
                return  # the same tab came back on a newer connection, which holds the drill now
            del self.holding[tab_id]
        self.attached.discard(tab)
        tab.detach()
        _log_unexpected_close(ws, tab)
        await self._release(tab, tab_id)

    def _take_held(self, tab_id: str | None) -> TabProcess | None:
        """The tab came back while serve still holds its old connection (a browser whose network
        dropped is found dead only at a heartbeat): the new connection takes the drill over."""
        if tab_id is None or tab_id not in self.holding:
            return None
        tab, old = self.holding.pop(tab_id)
        asyncio.get_running_loop().create_task(old.close(code=1001, message=b"the tab reconnected"))
        return None if tab.ended.is_set() else tab

    def _take_waiting(self, tab_id: str | None) -> TabProcess | None:
        if tab_id is None or tab_id not in self.waiting:
            return None
        tab, timer = self.waiting.pop(tab_id)
        timer.cancel()
        return None if tab.ended.is_set() else tab

    async def _release(self, tab: TabProcess, tab_id: str | None) -> None:
        """The browser let go: a drill in progress waits `grace_s` for its tab to reload;
        anything else (a picker, a debrief, a socket opened and closed) stops now."""
        grace_s = self.options.grace_s
        if tab.ended.is_set() or tab.stopping:
            await tab.stop()
            self.every.discard(tab)
            return
        if tab_id is not None and grace_s > 0 and drill_in_progress(tab.pid):
            loop = asyncio.get_running_loop()
            timer = loop.call_later(grace_s, lambda: loop.create_task(self._expire(tab_id, tab)))
            self.waiting[tab_id] = (tab, timer)
            return
        await tab.stop()
        self.every.discard(tab)

    async def _expire(self, tab_id: str, tab: TabProcess) -> None:
        if self.waiting.get(tab_id, (None,))[0] is tab:
            del self.waiting[tab_id]
        await tab.stop()
        self.every.discard(tab)

    async def _messages(self, ws, tab: TabProcess, warn: Warner) -> None:
        bucket, typed = Bucket(), Bucket(BYTES_PER_S, BYTES_BURST)
        async for msg in ws:
            if tab.ended.is_set():
                break
            if msg.type == WSMsgType.ERROR:
                warn(f"websocket error ({type(ws.exception()).__name__})")
                break
            if not bucket.take():
                warn(f"more than {RATE_PER_S:g} messages a second; closing")
                await ws.close(code=1008, message=b"too many messages")
                break
            if msg.type == WSMsgType.TEXT and not typed.take(len(msg.data)):
                warn(f"more than {BYTES_PER_S / 1024:g} KB of input a second; closing")
                await ws.close(code=1008, message=b"too much input")
                break
            if msg.type != WSMsgType.TEXT:
                warn("a binary message, ignored")
                continue
            problem = await self._one_message(msg.data, ws, tab)
            if problem:
                warn(problem)
        if ws.close_code == 1009:
            warn(f"a message larger than {MAX_MESSAGE} bytes; closed")

    async def _one_message(self, text: str, ws, tab: TabProcess) -> str | None:
        """Act on one message from the browser; a malformed one is a reason, never an exception."""
        try:
            envelope = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: a message of nested brackets
            return "a message that is not JSON, ignored"
        if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
            return "a message that is not [type, data], ignored"
        kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
        if kind == "stdin":
            if not isinstance(data, str):
                return "stdin without text, ignored"
            await tab.send_bytes(data.encode("utf-8", "replace"))
        elif kind == "resize":
            if not isinstance(data, dict):
                return "resize without a size, ignored"
            await tab.resize(data.get("width"), data.get("height"))
        elif kind == "ping":
            if isinstance(data, str) and len(data) <= 32:
                await ws.send_json(["pong", data])
        elif kind in ("blur", "focus"):
            await tab.send_meta({"type": kind})
        else:
            return f"an unknown message type {printable(kind[:20])!r}, ignored"
        return None


async def _first_of(*waits, timeout: float) -> None:
    """Wait until the first of `waits` (coroutines) is done, or `timeout`; cancel the rest."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()


def _log_unexpected_close(ws, tab: TabProcess) -> None:
    """Every connection that ends other than by its browser's close or its drill's end says why,
    in one line (a connection that closed with nothing logged was a defect nobody could find)."""
    if ws.exception() is not None:
        exc = ws.exception()
        log.warning("tab %s: its connection failed (%s: %s)", tab.pid, type(exc).__name__, printable(str(exc))[:200])
