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

import html
import ipaddress
import os
import shlex
import sys
from urllib.parse import urlsplit

from drill.gameday.hosting import KEY_ENV, fingerprint
from drill.gameday.channel import new_token

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_DRILLS = 24


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def served_command(scenario: str | None, difficulty: str | None, seed: int | None, speed: float) -> str:
    """The shell command textual-serve runs per tab. It carries no secret (the key travels in the
    environment) and no path but the interpreter's."""
    argv = [sys.executable, "-B", "-m", "drill.gameday.served", "--speed", f"{speed:g}"]
    if scenario is not None:
        argv += ["--scenario", scenario]
    if difficulty is not None:
        argv += ["--difficulty", difficulty]
    if seed is not None:
        argv += ["--seed", str(seed)]
    return shlex.join(argv)


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
<button type="button" onclick="window.location.reload()">Start another drill</button></div>
<div id="start"></div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="{ws}" data-font-size="{font}"></div>
</body>
</html>
"""


def make_server(command: str, host: str, port: int, public_url: str | None = None,
                max_drills: int = DEFAULT_MAX_DRILLS, title: str = "drill"):
    """A textual-serve Server with our page, an origin check and a cap on live tabs."""
    from aiohttp import web
    from textual_serve.server import Server

    class DrillServer(Server):
        def __init__(self) -> None:
            super().__init__(command, host=host, port=port, title=title, public_url=public_url)
            self.fixed_url = public_url
            self.live = 0

        def initialize_logging(self) -> None:
            import logging

            super().initialize_logging()
            logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

        async def on_startup(self, app) -> None:  # the banner is ours, printed before serving
            return None

        def _base(self, request) -> str:
            if self.fixed_url:
                return self.fixed_url.rstrip("/")
            return f"{request.scheme}://{request.host}"

        async def handle_index(self, request):
            base = self._base(request)
            scheme, rest = base.split("://", 1)
            ws = ("wss" if scheme == "https" else "ws") + "://" + rest + "/ws"
            try:
                font = max(8, min(32, int(request.query.get("fontsize", "16"))))
            except ValueError:
                font = 16
            body = PAGE.format(title=html.escape(self.title), static=html.escape(base + "/static/"),
                               ws=html.escape(ws), font=font)
            return web.Response(text=body, content_type="text/html",
                                headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                         "Referrer-Policy": "no-referrer"})

        async def handle_websocket(self, request):
            if is_loopback(host) and not self.fixed_url and not is_loopback(urlsplit("//" + request.host).hostname or ""):
                # Bound to loopback, yet asked for by another name: a DNS-rebinding page, refused.
                raise web.HTTPForbidden(text="drill serve: unexpected Host")
            origin = request.headers.get("Origin")
            if origin is not None:
                allowed = {request.host}
                if self.fixed_url:
                    allowed.add(urlsplit(self.fixed_url).netloc)
                if urlsplit(origin).netloc not in allowed:
                    raise web.HTTPForbidden(text="drill serve: this page belongs to another site")
            if self.live >= max_drills:
                raise web.HTTPServiceUnavailable(text=f"drill serve: {max_drills} drills already running")
            self.live += 1
            try:
                return await super().handle_websocket(request)
            finally:
                self.live -= 1

    return DrillServer()


def banner(host: str, port: int, key: str, command_args: dict, data: str, public_url: str | None,
           max_drills: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    url = public_url or f"http://{shown}:{port}"
    what = command_args.get("scenario") or "any bundled scenario (the picker)"
    if command_args.get("scenario"):
        what += f" · {command_args.get('difficulty') or 'its default difficulty'}"
        what += f" · seed {command_args['seed']}" if command_args.get("seed") is not None else " · its default seed"
    lines = []
    if not is_loopback(host):
        rule = "!" * 78
        lines += [rule,
                  f"!! NOT LOOPBACK: drill serve is listening on {host}:{port}.",
                  "!! Anyone who can reach this machine on that port can open the page and start drills",
                  "!! (each a process, journals and results in this data directory). There is no login.",
                  "!! You chose this with --host; use it only on a network you trust.",
                  rule]
    lines += [
        f"drill serve: {url}  (every browser tab is its own drill; at most {max_drills} at once)",
        f"  drill       {what}, speed {command_args.get('speed', 1.0):g}x",
        f"  data        {data}  (journals, results, the running drills' registry)",
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


def serve(scenario: str | None, difficulty: str | None, seed: int | None, speed: float, host: str = DEFAULT_HOST,
          port: int = DEFAULT_PORT, public_url: str | None = None, max_drills: int = DEFAULT_MAX_DRILLS) -> int:
    from drill.paths import data_dir

    check_bindable(host, port)
    key = new_token()
    # Each tab's process inherits the environment (textual-serve copies it) and removes the key
    # from its own at once; nothing else reads it.
    os.environ[KEY_ENV] = key
    root = data_dir().expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    os.environ["DRILL_DATA_DIR"] = str(root)
    command = served_command(scenario, difficulty, seed, speed)
    server = make_server(command, host, port, public_url, max_drills)
    print(banner(host, port, key, {"scenario": scenario, "difficulty": difficulty, "seed": seed, "speed": speed},
                 str(root), public_url, max_drills), flush=True)
    print(f"  (key fingerprint {fingerprint(key)}: the registry names it, the facilitator app shows it)", flush=True)
    server.serve()
    return 0
