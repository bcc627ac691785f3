"""The process behind one browser tab, as `drill serve` runs it: bounded in every direction.

textual-serve's own per-connection service trusts its browser: sizes go to the app unclamped (a
20000x10000 resize allocated 878 MB), a tab that closes leaves the app blocked writing into a pipe
nobody reads (alive, holding a slot, deaf to SIGTERM), and a malformed message raises with a
traceback full of locals. Here:

- every size is clamped (`clamp_size`) before the app allocates a screen for it;
- the app's output is read until the process ends, whether or not a browser is still there to
  receive it (a detached tab's output is dropped), so the app can never block on its pipe;
- a tab that is gone is stopped within seconds: asked to quit, then SIGTERM, then SIGKILL, each
  after a bounded wait (`stop`);
- a reload or reconnect within `GRACE_S` re-attaches to the same running process (the same drill:
  journal, clock) instead of abandoning it; see drill.gameday.serve.

The process speaks textual-serve's packet protocol on its stdin and stdout (b"D"/b"M"/b"P", a
4-byte length, a payload), so file delivery (`App.deliver_text`) works through the server's
download manager as with textual-serve's own service.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import re
import signal
import socket
import subprocess
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drill.gameday.protocol import BUILT_META

if TYPE_CHECKING:
    from textual_serve.download_manager import DownloadManager

log = logging.getLogger("drill.serve")

MIN_COLS, MAX_COLS = 20, 400
MIN_ROWS, MAX_ROWS = 8, 160
QUIT_WAIT_S = 3.0  # a polite quit: the drill records its end and result
TERM_WAIT_S = 2.0  # then SIGTERM: unwinds the same way, without the event loop
BROWSER_WAIT_S = 10.0  # a browser that does not take a frame for this long is let go
STDERR_KEPT = 64 * 1024  # the tail of a tab's stderr kept for the log line when it ends
BOX = "│┃║╭╮╰╯─━═┌┐└┘├┤┬┴┼╷╵╶╴▔▁"  # Rich's traceback frames
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning|Fault)\b.*")
MAX_PACKET = 16 * 1024 * 1024  # one frame of output from the app (a full 400x160 redraw is ~2 MB)
# The terminal modes an app sets as it starts (alternate screen, mouse reporting, bracketed
# paste...): short private-mode sequences, each its own packet before the first frame.
MODE_SEQUENCE = re.compile(rb"^(?:\x1b\[\?[0-9;]*\$?[hlp])+$")

FORK_ANSWER_S = 10.0  # the warm process answers a fork request within this
WARM_READY_S = 180.0  # ...and its first one once prepared (the imports, the served drill's morning)

Writer = Callable[[bytes], Awaitable[None]]


def clamp_size(width: object, height: object, default: tuple[int, int] = (80, 24)) -> tuple[int, int]:
    """A terminal size a browser asked for, made sane: integers in [MIN, MAX] (anything else, the
    default)."""

    def one(value: object, low: int, high: int, fallback: int) -> int:
        if isinstance(value, bool):
            return fallback
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                return fallback
        if isinstance(value, float) and value == value and abs(value) < 1e9:
            value = int(value)
        if not isinstance(value, int):
            return fallback
        return max(low, min(high, value))

    return one(width, MIN_COLS, MAX_COLS, default[0]), one(height, MIN_ROWS, MAX_ROWS, default[1])


def error_line(stderr: str) -> str | None:
    """The line of a process's stderr that names what went wrong: the last `Type: message` line of
    a traceback (Textual prints one framed in box-drawing characters, its exception line after
    the frames), else the last line with any letters in it."""
    lines = [line.strip(BOX + " ") for line in stderr.splitlines()]
    lines = [line for line in lines if any(ch.isalpha() for ch in line)]
    for line in reversed(lines):
        if EXCEPTION_LINE.match(line):
            return line
    return lines[-1] if lines else None


def packet(kind: bytes, payload: bytes) -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload


@dataclass
class Started:
    """A tab's process once launched: its pid (a session leader: its group is its own) and the
    serve side of its pipes."""

    pid: int
    stdin: asyncio.StreamWriter
    stdout: asyncio.StreamReader
    stderr: asyncio.StreamReader
    exited: Callable[[], Awaitable[int | None]]  # waits for the end; its status if known
    warm: bool = False  # forked from the warm process (else a fresh interpreter)


@dataclass(eq=False)
class TabProcess:
    """One tab's drill process and, while a browser holds it, that browser's websocket."""

    started: Started
    download_manager: DownloadManager
    app_service_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    write_bytes: Writer | None = None
    write_str: Callable[[str], Awaitable[None]] | None = None
    close_browser: Callable[[], Coroutine[Any, Any, None]] | None = None  # a coroutine: it may run as a task
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: bool = False
    size: tuple[int, int] = (80, 24)
    # What the app wrote to set up its terminal before its first frame: replayed to a browser
    # that attaches after it (a pre-started tab's first browser, a reloaded page), whose terminal
    # is new.
    modes: bytearray = field(default_factory=bytearray)
    drawn: asyncio.Event = field(default_factory=asyncio.Event)  # its first frame is out
    # A pre-started tab has built its drill and shows its picker (drill.gameday.ahead says so).
    built: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task | None = None
    _stderr: bytearray = field(default_factory=bytearray)

    @property
    def pid(self) -> int:
        return self.started.pid

    # -- the browser --------------------------------------------------------------------------------
    def attach(
        self,
        write_bytes: Writer,
        write_str: Callable[[str], Awaitable[None]],
        close: Callable[[], Coroutine[Any, Any, None]],
    ) -> None:
        self.write_bytes, self.write_str, self.close_browser = write_bytes, write_str, close

    def detach(self) -> None:
        self.write_bytes = self.write_str = self.close_browser = None

    @property
    def attached(self) -> bool:
        return self.write_bytes is not None

    # -- to the app ---------------------------------------------------------------------------------
    async def _send(self, data: bytes) -> bool:
        if self.ended.is_set():
            return False
        try:
            self.started.stdin.write(data)
            await asyncio.wait_for(self.started.stdin.drain(), 2.0)
        except (TimeoutError, OSError, RuntimeError):
            return False  # the app is gone or not reading: stop() deals with it
        return True

    async def send_bytes(self, data: bytes) -> bool:
        return await self._send(packet(b"D", data))

    async def send_meta(self, data: dict) -> bool:
        return await self._send(packet(b"M", json.dumps(data).encode()))

    async def resize(self, width: object, height: object) -> None:
        self.size = clamp_size(width, height, self.size)
        await self.send_meta({"type": "resize", "width": self.size[0], "height": self.size[1]})

    # -- from the app -------------------------------------------------------------------------------
    def start_reading(self) -> None:
        self._reader = asyncio.get_running_loop().create_task(self._read())
        asyncio.get_running_loop().create_task(self._read_stderr())

    async def _read_stderr(self) -> None:
        while data := await self.started.stderr.read(4096):
            # The end is what tells (an exception's type and message come last): keep the tail.
            self._stderr += data
            del self._stderr[: max(0, len(self._stderr) - STDERR_KEPT)]

    async def _read(self) -> None:
        """Read every packet the app writes until it ends (even with no browser attached: an app
        that cannot write would block forever)."""
        out = self.started.stdout
        try:
            while (await out.readline()) not in (b"", b"__GANGLION__\n"):
                pass  # the prelude before Textual's first packet
            while True:
                kind = await out.readexactly(1)
                size = int.from_bytes(await out.readexactly(4), "big")
                if size > MAX_PACKET:
                    log.warning("tab %s: a packet of %d bytes from the app; stopping it", self.pid, size)
                    break
                payload = await out.readexactly(size)
                await self._deliver(kind, payload)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        except Exception as exc:  # noqa: BLE001  (one line, and the tab ends as if its output had)
            log.warning("tab %s: reading its output failed (%s: %s)", self.pid, type(exc).__name__, str(exc)[:200])
        finally:
            if not self.stopping and self.attached:
                log.info("tab %s: its drill's process ended; its browser is let go", self.pid)
            self.ended.set()
            if self.close_browser is not None:
                try:
                    await self.close_browser()
                except (ConnectionError, RuntimeError):
                    pass
            await self._cancel_downloads()

    async def _deliver(self, kind: bytes, payload: bytes) -> None:
        try:
            if kind == b"D":
                self._note_output(payload)
                if self.write_bytes is not None:
                    try:
                        await asyncio.wait_for(self.write_bytes(payload), BROWSER_WAIT_S)
                    except TimeoutError:
                        # A browser that takes no frame for this long is gone (or stalled on
                        # purpose): let it go, and keep draining the app.
                        log.warning("tab %s: the browser took no output for %gs; detached", self.pid, BROWSER_WAIT_S)
                        close = self.close_browser
                        self.detach()
                        if close is not None:
                            asyncio.get_running_loop().create_task(close())
            elif kind == b"M":
                await self._on_meta(json.loads(payload))
            elif kind == b"P":
                from textual_serve._binary_encode import load as binary_load

                unpacked: Any = binary_load(payload)  # malformed: the except below
                if unpacked[0] == "deliver_chunk":
                    await self.download_manager.chunk_received(unpacked[1], unpacked[2])
        except (ConnectionError, RuntimeError):
            self.detach()  # the browser went away mid-write: keep draining for the next one
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("tab %s: a malformed packet from the app (%s)", self.pid, type(exc).__name__)

    def _note_output(self, payload: bytes) -> None:
        if self.drawn.is_set():
            return
        if MODE_SEQUENCE.match(payload):
            self.modes += payload
        else:
            self.drawn.set()

    async def greet(self) -> None:
        """Bring a browser that attached after the app started up to date: the app's terminal
        modes, then a full redraw at the browser's size."""
        if self.modes and self.write_bytes is not None:
            try:
                await asyncio.wait_for(self.write_bytes(bytes(self.modes)), BROWSER_WAIT_S)
            except (TimeoutError, ConnectionError, RuntimeError):
                return
        await self.resize(*self.size)

    async def _on_meta(self, meta: dict) -> None:
        kind = meta.get("type")
        if meta == BUILT_META:
            self.built.set()
        elif kind == "exit":
            if self.close_browser is not None:
                await self.close_browser()
        elif kind == "open_url" and self.write_str is not None:
            await self.write_str(json.dumps(["open_url", {"url": meta["url"], "new_tab": meta["new_tab"]}]))
        elif kind == "deliver_file_start":
            key = str(meta["key"])
            # This process stands in for textual-serve's AppService: it answers the calls the
            # download manager makes (by duck typing, which the checker cannot see).
            await self.download_manager.create_download(
                app_service=self,  # type: ignore[arg-type]
                delivery_key=key,
                file_name=Path(meta["path"]).name,
                open_method=meta["open_method"],
                mime_type=meta["mime_type"],
                encoding=meta["encoding"],
                name=meta.get("name"),
            )
            if self.write_str is not None:
                await self.write_str(json.dumps(["deliver_file_start", key]))

    async def _cancel_downloads(self) -> None:
        try:
            await self.download_manager.cancel_app_downloads(app_service_id=self.app_service_id)
        except (AttributeError, RuntimeError):
            pass

    # -- the end ------------------------------------------------------------------------------------
    async def stop(self) -> None:
        """End the app within QUIT_WAIT_S + TERM_WAIT_S + a moment, whatever it does: a quit
        message (the drill is abandoned, recorded, unregistered), then SIGTERM to its process
        group (the same unwinding), then SIGKILL (the journal, flushed per line, keeps every
        command)."""
        if self.stopping:
            await self.ended.wait()
            return
        self.stopping = True
        self.detach()
        await self._cancel_downloads()
        await self.send_meta({"type": "quit"})
        for sig, wait in ((None, QUIT_WAIT_S), (signal.SIGTERM, TERM_WAIT_S), (signal.SIGKILL, 5.0)):
            if sig is not None:
                self._signal(sig)
            try:
                await asyncio.wait_for(self.started.exited(), wait)
                break
            except TimeoutError:
                continue
        try:
            self.started.stdin.close()
        except (OSError, RuntimeError):
            pass
        self.ended.set()
        said = error_line(self._stderr.decode("utf-8", "replace"))
        if said:
            log.info("tab %s ended; its last error line: %s", self.pid, said[:200])

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(self.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass


async def launch_fresh(argv: list[str], env: dict[str, str]) -> Started:
    """A new interpreter for the tab (the cold way: it imports everything itself)."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        start_new_session=True,
        limit=MAX_PACKET + 1024,
    )

    async def exited() -> int | None:
        return await proc.wait()

    assert proc.stdin and proc.stdout and proc.stderr
    return Started(proc.pid, proc.stdin, proc.stdout, proc.stderr, exited)


def tab_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a tab's process: Textual's web driver on our pipes (as textual-serve
    sets it up for its own service)."""
    from importlib.metadata import version

    env = dict(os.environ if base is None else base)
    env.update(
        {
            "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
            "TEXTUAL_FPS": "60",
            "TEXTUAL_COLOR_SYSTEM": "truecolor",
            "TERM_PROGRAM": "textual",
            "TERM_PROGRAM_VERSION": version("textual-serve"),
        }
    )
    return env


async def _pipe_streams(stdin_w: int, stdout_r: int, stderr_r: int):
    loop = asyncio.get_running_loop()
    readers = []
    for fd in (stdout_r, stderr_r):
        reader = asyncio.StreamReader(limit=MAX_PACKET + 1024)
        await loop.connect_read_pipe(functools.partial(asyncio.StreamReaderProtocol, reader), os.fdopen(fd, "rb", 0))
        readers.append(reader)
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, os.fdopen(stdin_w, "wb", 0))
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    return writer, readers[0], readers[1]


def _exit_watch(pid: int) -> Callable[[], Awaitable[None]]:
    """Wait for the end of a process that is not our child (a pidfd, opened now: no pid reuse)."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        pidfd = None
    done: asyncio.Future | None = None

    async def exited() -> None:
        nonlocal done, pidfd
        if pidfd is None:
            return
        loop = asyncio.get_running_loop()
        if done is None:
            done = loop.create_future()
            fd = pidfd

            def ready() -> None:
                nonlocal pidfd
                loop.remove_reader(fd)
                os.close(fd)
                pidfd = None
                if not done.done():
                    done.set_result(None)

            loop.add_reader(fd, ready)
        await asyncio.shield(done)

    return exited


class WarmLauncher:
    """Forks tabs from the warm process (drill.gameday.warm); falls back to a fresh interpreter,
    once and with one log line, if the warm process is not there."""

    def __init__(self, served_args: list[str], env: dict[str, str]):
        self.served_args = served_args
        self.env = env
        self.control: socket.socket | None = None
        self.process: subprocess.Popen | None = None
        self._lock = asyncio.Lock()
        self._answered = False  # the warm process has answered once (it is past its preparation)

    def start(self) -> None:
        import socket
        import subprocess
        import sys

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-B", "-m", "drill.gameday.warm", "--control", str(theirs.fileno()), *self.served_args],
            env=self.env,
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        theirs.close()
        self.control = ours

    def fresh_argv(self, pooled: bool = False) -> list[str]:
        import sys

        return [
            sys.executable,
            "-B",
            "-m",
            "drill.gameday.served",
            *self.served_args,
            *(["--pooled"] if pooled else []),
        ]

    async def launch(self, columns: int, rows: int, pooled: bool = False) -> Started:
        """A tab's process; `pooled`: a pre-started tab, which builds its drill before its
        browser comes (drill.gameday.ahead) and says when it is ready (TabProcess.built)."""
        if self.control is not None and self.process is not None and self.process.poll() is None:
            try:
                return await self._fork(columns, rows, pooled)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("the warm process failed (%s); tabs start fresh interpreters from now on", exc)
                self.close()
        env = {**self.env, "COLUMNS": str(columns), "ROWS": str(rows)}
        return await launch_fresh(self.fresh_argv(pooled), env)

    async def _fork(self, columns: int, rows: int, pooled: bool) -> Started:
        import socket

        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        request = json.dumps({"columns": columns, "rows": rows, "pooled": pooled}).encode()
        control = self.control
        assert control is not None  # launch() forks only with the warm process's socket
        try:
            async with self._lock:  # one request, one answer, in order

                def ask() -> dict:
                    socket.send_fds(control, [request], [stdin_r, stdout_w, stderr_w])
                    # Its first answer waits for its imports and the morning (a pool's first tab
                    # is asked for at once, and a loaded machine took more than 10 s); a warm
                    # process that dies meanwhile answers nothing (EOF) at once.
                    control.settimeout(FORK_ANSWER_S if self._answered else WARM_READY_S)
                    return json.loads(control.recv(4096) or b"{}")

                answer = await asyncio.to_thread(ask)
                self._answered = True
        except BaseException:
            for fd in (stdin_w, stdout_r, stderr_r):
                os.close(fd)
            raise
        finally:
            for fd in (stdin_r, stdout_w, stderr_w):
                os.close(fd)
        if "pid" not in answer:
            for fd in (stdin_w, stdout_r, stderr_r):
                os.close(fd)
            raise ValueError(answer.get("error", "no answer"))
        pid = int(answer["pid"])
        exited = _exit_watch(pid)
        stdin, stdout, stderr = await _pipe_streams(stdin_w, stdout_r, stderr_r)
        return Started(pid, stdin, stdout, stderr, exited, warm=True)

    def close(self) -> None:
        if self.control is not None:
            self.control.close()  # the warm process reads EOF and ends
            self.control = None
        if self.process is not None:
            try:
                self.process.wait(5)
            except Exception:  # noqa: BLE001  (a TimeoutExpired: make sure)
                self.process.kill()
            self.process = None
