"""`drill serve`: the console in a browser. Every tab (every websocket) is its own drill:
textual-serve starts one app process per connection (`python -m drill.gameday.served`).

Loopback by default; any other address is the user's explicit choice, and the banner says so in
capitals. The page is our own (no third-party fonts or scripts: a training room may be offline and
a trainee's browser should call nothing but this server). The websocket accepts only same-origin
browsers, and on loopback only loopback host names (a page from elsewhere, even one that rebinds
its name to 127.0.0.1, cannot drive drills on this machine), and at most `max_drills` tabs at once
(each is a process).
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import json
import logging
import os
import re
import shlex
import sys
import time
from urllib.parse import urlsplit

from drill.gameday.defaults import DEFAULT_HOST, DEFAULT_MAX_DRILLS, DEFAULT_PORT
from drill.gameday.tabs import clamp_size
from drill.hosting.channel import new_token
from drill.hosting.hosted import KEY_ENV, fingerprint
from drill.scenario.loader import printable


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def served_args(
    scenario: str | None, difficulty: str | None, seed: int | None, speed: float, ranked: bool = False
) -> list[str]:
    argv = ["--speed", f"{speed:g}"] + (["--ranked"] if ranked else [])
    if scenario is not None:
        argv += ["--scenario", scenario]
    if difficulty is not None:
        argv += ["--difficulty", difficulty]
    if seed is not None:
        argv += ["--seed", str(seed)]
    return argv


def served_command(
    scenario: str | None, difficulty: str | None, seed: int | None, speed: float, ranked: bool = False
) -> str:
    """The shell command textual-serve runs per tab. It carries no secret (the key travels in the
    environment) and no path but the interpreter's."""
    return shlex.join(
        [sys.executable, "-B", "-m", "drill.gameday.served", *served_args(scenario, difficulty, seed, speed, ranked)]
    )


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{static}css/xterm.css">
<script src="{static}js/textual.js"></script>
<style>
@font-face {{ font-family: "Roboto Mono"; src: url("{static}fonts/RobotoMono-VariableFont_wght.ttf"); }}
body {{ margin: 0; background: #0c181f; color: #e8e8e8; font-family: "Roboto Mono", monospace; }}
.note {{ position: absolute; inset: 0; display: flex; flex-direction: column; align-items: center;
        justify-content: center; font-size: 16px; }}
body.-first-byte #waiting {{ display: none; }}
#ended {{ display: none; background: #0c181f; z-index: 10; }}
body.-closed #ended {{ display: flex; }}
#ended button {{ margin-top: 16px; padding: 12px 28px; border: none; background: #1f5c7a; color: #fff;
                font: inherit; cursor: pointer; }}
#start {{ display: none; }}
</style>
</head>
<body>
<div class="note" id="waiting">Starting your drill&hellip;</div>
<div class="note" id="ended"><div>This drill has ended. Its result is recorded.</div>
<button type="button" id="again">Start another drill</button></div>
<div id="start"></div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="{ws}" data-font-size="{font}"></div>
<script>
// This tab's id, kept across reloads (sessionStorage is per tab): a reload or a reconnect
// within the grace period re-attaches to the same running drill. "Start another drill" forgets it.
(function () {{
  var term = document.getElementById("terminal");
  var id = sessionStorage.getItem("drill-tab");
  if (!id) {{
    var bytes = new Uint8Array(18);
    crypto.getRandomValues(bytes);
    id = btoa(String.fromCharCode.apply(null, bytes)).replace(/\\+/g, "-").replace(/\\//g, "_");
    sessionStorage.setItem("drill-tab", id);
  }}
  term.dataset.sessionWebsocketUrl += "/" + id;
  document.getElementById("again").onclick = function () {{
    sessionStorage.removeItem("drill-tab");
    window.location.reload();
  }};
  // Keys typed before the first click belong to the terminal: focus it as soon as it exists.
  window.addEventListener("load", function () {{
    var tries = 0;
    (function focus() {{
      var input = term.querySelector("textarea");
      if (input) {{ input.focus(); }} else if (tries++ < 50) {{ setTimeout(focus, 50); }}
    }})();
  }});
}})();
</script>
</body>
</html>
"""


MAX_MESSAGE = 64 * 1024  # one websocket message from a browser (a paste is a few KB)
RATE_PER_S, RATE_BURST = 200.0, 1000.0  # messages per second per tab (a mouse drag is ~100/s)
GRACE_S = 30.0  # a reload or reconnect within this re-attaches to the same running drill
TAB_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_LOGGED = 5  # one-line warnings per connection before it goes quiet


class OneLineFormatter(logging.Formatter):
    """A log record as one line: an exception adds its type and message, never its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = printable(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line += f" ({type(exc).__name__}: {printable(str(exc))[:200]})"
        return printable(self._fmt % {"message": line}) if self._fmt else line


class Bucket:
    """A token bucket: `take()` is False once a connection sends faster than its rate for longer
    than its burst."""

    def __init__(self, rate: float = RATE_PER_S, burst: float = RATE_BURST, now=time.monotonic):
        self.rate, self.burst, self.now = rate, burst, now
        self.tokens, self.at = burst, now()

    def take(self) -> bool:
        t = self.now()
        self.tokens = min(self.burst, self.tokens + (t - self.at) * self.rate)
        self.at = t
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def same_host(a: str, b: str) -> bool:
    """Two `host[:port]` names alike, ignoring case and a default port."""

    def norm(netloc: str) -> str:
        netloc = netloc.lower()
        for default in (":80", ":443"):
            if netloc.endswith(default):
                return netloc[: -len(default)]
        return netloc

    return norm(a) == norm(b)


def host_refusal(bind_host: str, public_url: str | None, host_header: str, origin: str | None) -> str | None:
    """Why a request's Host or Origin is not this server's, or None. With --public-url its host is
    the only name allowed (a page that sets both headers to another name gets nothing); bound to
    loopback without one, only loopback names (DNS rebinding); and an Origin must be this server."""
    if public_url:
        public = urlsplit(public_url)
        if not same_host(host_header, public.netloc):
            return "unexpected Host"
        if origin is not None and not (
            same_host(urlsplit(origin).netloc, public.netloc) and urlsplit(origin).scheme == public.scheme
        ):
            return "this page belongs to another site"
        return None
    if is_loopback(bind_host) and not is_loopback(urlsplit("//" + host_header).hostname or ""):
        return "unexpected Host"
    if origin is not None and urlsplit(origin).netloc != host_header:
        return "this page belongs to another site"
    return None


def make_server(
    command: str,
    host: str,
    port: int,
    public_url: str | None = None,
    max_drills: int = DEFAULT_MAX_DRILLS,
    title: str = "drill",
    *,
    args: list[str] | None = None,
    warm: bool = True,
    grace_s: float = GRACE_S,
):
    """A textual-serve Server with our page, our tab processes (drill.gameday.tabs: bounded sizes,
    bounded stops, re-attachable within `grace_s`), Host and Origin checks and a cap on tabs."""
    import logging

    from aiohttp import WSMsgType, web
    from textual_serve.server import Server

    from drill.gameday.tabs import TabProcess, WarmLauncher, tab_environment

    log = logging.getLogger("drill.serve")

    class DrillServer(Server):
        def __init__(self) -> None:
            super().__init__(command, host=host, port=port, title=title, public_url=public_url)
            self.fixed_url = public_url
            self.launcher = WarmLauncher(args if args is not None else [], tab_environment())
            self.attached: set[TabProcess] = set()  # tabs a browser holds now
            self.waiting: dict[str, tuple[TabProcess, asyncio.TimerHandle]] = {}  # tab id -> detached, in grace
            self.every: set[TabProcess] = set()

        @property
        def live(self) -> int:
            """Slots in use: tabs a browser holds, and drills waiting for their tab to come back."""
            return len(self.attached) + len(self.waiting)

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
            if warm:
                self.launcher.start()

        async def on_shutdown(self, app) -> None:
            await asyncio.gather(*(t.stop() for t in list(self.every)))
            self.launcher.close()

        def _base(self, request) -> str:
            if self.fixed_url:
                return self.fixed_url.rstrip("/")
            return f"{request.scheme}://{request.host}"

        async def handle_index(self, request):
            refusal = host_refusal(host, self.fixed_url, request.host, None)
            if refusal:
                raise web.HTTPForbidden(text=f"drill serve: {refusal}")
            base = self._base(request)
            scheme, rest = base.split("://", 1)
            ws = ("wss" if scheme == "https" else "ws") + "://" + rest + "/ws"
            try:
                font = max(8, min(32, int(request.query.get("fontsize", "16"))))
            except ValueError:
                font = 16
            body = PAGE.format(
                title=html.escape(self.title), static=html.escape(base + "/static/"), ws=html.escape(ws), font=font
            )
            return web.Response(
                text=body,
                content_type="text/html",
                headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"},
            )

        async def handle_websocket(self, request):
            refusal = host_refusal(host, self.fixed_url, request.host, request.headers.get("Origin"))
            if refusal:
                raise web.HTTPForbidden(text=f"drill serve: {refusal}")
            tab_id = request.match_info.get("tab")
            if tab_id is not None and not TAB_ID.match(tab_id):
                raise web.HTTPBadRequest(text="drill serve: not a tab id")
            tab = self._take_waiting(tab_id)
            reattached = tab is not None
            if tab is None and self.live >= max_drills:
                raise web.HTTPServiceUnavailable(text=f"drill serve: {max_drills} drills already running")
            ws = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE)
            await ws.prepare(request)
            size = clamp_size(request.query.get("width"), request.query.get("height"))
            if tab is None:
                if self.live >= max_drills:  # taken while this one was shaking hands
                    await ws.close(code=1013, message=b"too many drills")
                    return ws
                try:
                    started = await self.launcher.launch(*size)
                except OSError as exc:
                    log.warning("could not start a tab's drill: %s", exc.strerror or exc)
                    await ws.close(code=1011, message=b"could not start")
                    return ws
                tab = TabProcess(started, self.download_manager, size=size)
                self.every.add(tab)
                tab.start_reading()
            tab.attach(ws.send_bytes, ws.send_str, ws.close)
            self.attached.add(tab)
            try:
                if reattached:
                    log.info("tab %s: its browser came back; the same drill goes on", tab.pid)
                    await tab.resize(*size)  # a full redraw, for the new browser
                await self._messages(ws, tab, request.remote or "?")
            except Exception as exc:  # noqa: BLE001  (one line in the serving terminal, never a traceback)
                log.warning("tab %s: %s: %s", tab.pid, type(exc).__name__, printable(str(exc))[:200])
            finally:
                self.attached.discard(tab)
                tab.detach()
                await self._release(tab, tab_id)
            return ws

        def _take_waiting(self, tab_id: str | None) -> TabProcess | None:
            if tab_id is None or tab_id not in self.waiting:
                return None
            tab, timer = self.waiting.pop(tab_id)
            timer.cancel()
            return None if tab.ended.is_set() else tab

        async def _release(self, tab: TabProcess, tab_id: str | None) -> None:
            """The browser let go: a drill in progress waits `grace_s` for its tab to reload;
            anything else (a picker, a debrief, a socket opened and closed) stops now."""
            if tab.ended.is_set() or tab.stopping:
                await tab.stop()
                self.every.discard(tab)
                return
            if tab_id is not None and grace_s > 0 and _drill_in_progress(tab.pid):
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

        async def _messages(self, ws, tab: TabProcess, peer: str) -> None:
            bucket = Bucket()
            warned = 0

            def warn(reason: str) -> None:
                nonlocal warned
                warned += 1
                if warned <= MAX_LOGGED:
                    log.warning(
                        "tab %s from %s: %s%s",
                        tab.pid,
                        peer,
                        reason,
                        " (further problems on this tab are not logged)" if warned == MAX_LOGGED else "",
                    )

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

    return DrillServer()


def _drill_in_progress(pid: int) -> bool:
    """Whether the tab's process has a drill running (registered and not ended)."""
    from drill.hosting.channel import running_drills

    return any(d["pid"] == pid for d in running_drills())


def banner(
    host: str,
    port: int,
    key: str,
    command_args: dict,
    data: str,
    public_url: str | None,
    max_drills: int,
    results: str | None = None,
) -> str:
    shown = f"[{host}]" if ":" in host else host
    url = public_url or f"http://{shown}:{port}"
    what = command_args.get("scenario") or "any bundled scenario (the picker)"
    if command_args.get("scenario"):
        what += f" · {command_args.get('difficulty') or 'its default difficulty'}"
        what += f" · seed {command_args['seed']}" if command_args.get("seed") is not None else " · its default seed"
    lines = []
    if not is_loopback(host):
        rule = "!" * 78
        lines += [
            rule,
            f"!! NOT LOOPBACK: drill serve is listening on {host}:{port}.",
            "!! Anyone who can reach this machine on that port can open the page and start drills",
            "!! (each a process, journals and results in this data directory). There is no login.",
            "!! You chose this with --host; use it only on a network you trust.",
            rule,
        ]
    lines += [
        f"drill serve: {url}  (every browser tab is its own drill; at most {max_drills} at once)",
        f"  drill       {what}, speed {command_args.get('speed', 1.0):g}x"
        + (" · RANKED: only the facilitator pauses or changes the speed" if command_args.get("ranked") else ""),
        f"  data        {printable(data)}  (journals, results, the running drills' registry)",
        *(
            [f"  results     {printable(results)}  (every tab records here; drills register and take commands here)"]
            if results
            else []
        ),
        "  facilitator key (shown once, stored nowhere; keep it from the trainees):",
        f"              {key}",
        "  facilitate  in another terminal on this machine: drill facilitate, then type the key",
        "Ctrl+C stops serving (and every drill still running).",
    ]
    return "\n".join(lines)


def check_bindable(host: str, port: int) -> None:
    """Fail (OSError) before printing a key for a server that cannot listen."""
    import socket

    family, kind, proto, _, addr = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
        s.bind(addr)


def serve(
    scenario: str | None,
    difficulty: str | None,
    seed: int | None,
    speed: float,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    public_url: str | None = None,
    max_drills: int = DEFAULT_MAX_DRILLS,
    ranked: bool = False,
    grace_s: float | None = None,
    results: str | None = None,
) -> int:
    """`results`: the shared results store, as shown (its password masked), when one was named."""
    from drill.paths import data_dir

    check_bindable(host, port)
    key = new_token()
    # Each tab's process inherits the environment (textual-serve copies it) and removes the key
    # from its own at once; nothing else reads it.
    os.environ[KEY_ENV] = key
    root = data_dir().expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    os.environ["DRILL_DATA_DIR"] = str(root)
    command = served_command(scenario, difficulty, seed, speed, ranked)
    server = make_server(
        command,
        host,
        port,
        public_url,
        max_drills,
        args=served_args(scenario, difficulty, seed, speed, ranked),
        grace_s=GRACE_S if grace_s is None else grace_s,
    )
    print(
        banner(
            host,
            port,
            key,
            {"scenario": scenario, "difficulty": difficulty, "seed": seed, "speed": speed, "ranked": ranked},
            str(root),
            public_url,
            max_drills,
            results,
        ),
        flush=True,
    )
    print(f"  (key fingerprint {fingerprint(key)}: the registry names it, the facilitator app shows it)", flush=True)
    server.serve()
    return 0
