"""What `drill serve` accepts from a browser, shared by the command (drill.gameday.serve) and the
server it starts (drill.gameday.server): the page, the bounds on a tab's messages, and the Host and
Origin checks. No aiohttp here: the command imports the server only when it serves."""

from __future__ import annotations

import html
import ipaddress
import logging
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from drill.gameday.defaults import DEFAULT_MAX_DRILLS
from drill.scenario.loader import printable


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# What a pre-started tab tells serve (a meta packet) once its drill is built and its picker drawn
# (drill.gameday.ahead): only then is it in the pool.
BUILT_META = {"type": "built-ahead"}

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
# Bytes a tab sends per second (each byte typed is a key event for its drill to handle: 5 MB in
# 5 s kept one busy for minutes); a burst holds a few large pastes.
BYTES_PER_S, BYTES_BURST = 16 * 1024.0, 256 * 1024.0
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

    def take(self, n: float = 1) -> bool:
        t = self.now()
        self.tokens = min(self.burst, self.tokens + (t - self.at) * self.rate)
        self.at = t
        if self.tokens < n:
            return False
        self.tokens -= n
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


@dataclass(frozen=True)
class ServeOptions:
    """What `make_server` was asked for, as the server's handlers read it."""

    command: str
    host: str
    port: int
    public_url: str | None = None
    max_drills: int = DEFAULT_MAX_DRILLS
    title: str = "drill"
    args: tuple[str, ...] = ()
    warm: bool = True
    grace_s: float = GRACE_S
    pool: int = 0  # tabs started ahead of their browsers (drill.gameday.server), within max_drills


def page_html(title: str, base: str, font: object) -> str:
    """Our page for a browser that reached the server at `base` (scheme://host)."""
    scheme, rest = base.split("://", 1)
    ws = ("wss" if scheme == "https" else "ws") + "://" + rest + "/ws"
    try:
        size = max(8, min(32, int(str(font))))
    except ValueError:
        size = 16
    return PAGE.format(title=html.escape(title), static=html.escape(base + "/static/"), ws=html.escape(ws), font=size)


def drill_in_progress(pid: int) -> bool:
    """Whether the tab's process has a drill running (registered and not ended)."""
    from drill.hosting.channel import running_drills

    return any(d["pid"] == pid for d in running_drills())
