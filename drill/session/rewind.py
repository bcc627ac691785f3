"""Seeking in a watched drill: resumable states kept as forked processes.

A SimPy world cannot be copied (its processes are generators), and re-simulating a knightmare
morning from its start takes about a second on a loaded machine, so `Rewinder` keeps the world in
a helper process and keeps *checkpoints*: copies of that process forked every few simulated
minutes, each frozen at its instant. Seeking to any time resumes the nearest checkpoint at or
before it (a fork of the frozen copy takes over) and re-simulates only the few minutes between.

Processes, all single-threaded (so forking is safe) and in one process group of their own:

  the player      answers the watcher (advance, seek, reload) over one socket pair. There is
                  always exactly one: after handing over to a checkpoint's fork it exits.
  the builder     (a recorded journal) a fork of the first player that runs the whole drill
                  ahead, leaving a checkpoint at every interval, then exits.
  checkpoints     each listens on a Unix socket named by its sim time in a private directory;
                  asked to take over, it forks, and the fork becomes the player.

Every one of them holds the read end of a pipe whose write end only the watcher has: when the
watcher closes it or dies, they all see end-of-file and exit. Nothing here imports a UI.
"""

from __future__ import annotations

import argparse
import os
import pickle
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drill.scenario.loader import ScenarioError
from drill.session.journal import JournalError
from drill.session.replay import Mark, Player, WatchError, known_until
from drill.session.session import SessionError
from drill.session.snapshot import ConsoleSetup, Snapshot

CHECKPOINT_EVERY_MS = 2 * 60_000  # resuming one re-simulates at most this much of the morning
# A long drill spaces them wider rather than keep more: each is a process (about 5 MB of its own
# in a knightmare morning; the rest is shared with the others).
MAX_CHECKPOINTS = 40
START_TIMEOUT_S = 60.0  # the helper's imports and the pre-market on a machine shared by many
CALL_TIMEOUT_S = 60.0
_LEN = struct.Struct("!I")


class RewindError(Exception):
    """The helper process failed or refused the journal: str() is one line."""


@dataclass(frozen=True)
class Info:
    """What a watcher needs besides snapshots: the drill's span and its commands."""

    start: int  # the trainee's clock started here
    limit: int  # nothing to watch beyond (the drill's end, or the scenario's while it runs)
    known_until: int | None  # a live drill's latest journaled instant (None: it has ended)
    marks: tuple[Mark, ...]
    problems: tuple[str, ...]
    every_ms: int  # the checkpoints' spacing: a seek re-simulates at most this much
    setup: ConsoleSetup  # what never changes while the drill runs (title, controls, runbook)


@dataclass(frozen=True)
class Frame:
    """A snapshot at the player's time, with the span it belongs to."""

    snap: Snapshot
    info: Info


# -- framing: a length, then a pickle (both ends are this program, on one machine) -----------------
def _send(sock: socket.socket, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    sock.sendall(_LEN.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the other end closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _recv(sock: socket.socket) -> Any:
    (n,) = _LEN.unpack(_recv_exact(sock, _LEN.size))
    return pickle.loads(_recv_exact(sock, n))


# -- the watcher's side ---------------------------------------------------------------------------
class Rewinder:
    """A journal to watch, with seeking. `live`: the drill is still being played; `reload()` takes
    in what it has journaled since."""

    def __init__(self, journal: str | Path, *, every_ms: int = CHECKPOINT_EVERY_MS, live: bool = False):
        self.path = Path(journal)
        self._dir = tempfile.mkdtemp(prefix="drill-watch-")
        ours, theirs = socket.socketpair()
        life_r, self._life_w = os.pipe()
        argv = [
            sys.executable,
            "-m",
            "drill.session.rewind",
            "--sock",
            str(theirs.fileno()),
            "--life",
            str(life_r),
            "--dir",
            self._dir,
            "--every",
            str(int(every_ms)),
            *(["--live"] if live else []),
            "--",
            str(self.path),
        ]
        try:
            # Its own session: the whole family (player, builder, checkpoints) is one process
            # group, ended together by `close`.
            self._proc = subprocess.Popen(
                argv, pass_fds=(theirs.fileno(), life_r), start_new_session=True, stdin=subprocess.DEVNULL
            )
        finally:
            theirs.close()
            os.close(life_r)
        self._sock = ours
        self._sock.settimeout(START_TIMEOUT_S)
        try:
            self.frame = self._expect(_recv(self._sock))
        except (EOFError, OSError, RewindError) as exc:
            self.close()
            raise (
                exc
                if isinstance(exc, RewindError)
                else RewindError(f"{self.path}: the re-simulation did not start ({exc})")
            ) from None
        self._sock.settimeout(CALL_TIMEOUT_S)

    @property
    def info(self) -> Info:
        return self.frame.info

    def _expect(self, reply: Any) -> Frame:
        kind, value = reply
        if kind == "error":
            raise RewindError(str(value))
        assert isinstance(value, Frame)
        return value

    def _call(self, *request: object) -> Frame:
        try:
            _send(self._sock, request)
            self.frame = self._expect(_recv(self._sock))
        except (EOFError, OSError) as exc:
            raise RewindError(f"{self.path}: the re-simulation stopped answering ({exc})") from None
        return self.frame

    def advance_to(self, at: int) -> Frame:
        """Forward from where the player is (a time before it is taken as a seek)."""
        return self._call("advance", int(at))

    def seek(self, at: int) -> Frame:
        return self._call("seek", int(at))

    def reload(self) -> Frame:
        """Take in what a live drill journaled since; rewinds the player if it had run past it."""
        return self._call("reload")

    def close(self) -> None:
        for close in (self._sock.close if hasattr(self, "_sock") else None, lambda: os.close(self._life_w)):
            if close is None:
                continue
            try:
                close()
            except OSError:
                pass
        try:
            os.killpg(self._proc.pid, signal.SIGTERM)  # the group it leads: only what it started
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Rewinder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- the helper's side ----------------------------------------------------------------------------
class _Host:
    """The state every process of the family shares (each has its own copy after a fork)."""

    def __init__(self, sock: socket.socket, life: int, directory: Path, every_ms: int, live: bool, player: Player):
        self.sock = sock
        self.life = life
        self.dir = directory
        self.every = every_ms
        self.live = live
        self.player = player

    # checkpoints --------------------------------------------------------------------------------
    def _socket_path(self, at: int) -> Path:
        return self.dir / f"{at}.sock"

    def _checkpoints(self) -> list[int]:
        out = []
        for p in self.dir.glob("*.sock"):
            try:
                out.append(int(p.stem))
            except ValueError:
                continue
        return sorted(out)

    def _due(self, after: int, upto: int) -> list[int]:
        """Checkpoint instants in (after, upto] on the interval grid from the trainee's start."""
        start = self.player.start
        first = start + ((max(after, start - 1) - start) // self.every + 1) * self.every
        return list(range(first, upto + 1, self.every))

    def _safe(self, at: int) -> bool:
        """A state at `at` can be kept only if no command still to be journaled can precede it."""
        until = known_until(self.player.journal)
        return until is None or at < until

    def advance(self, target: int) -> None:
        """Forward, leaving a checkpoint at every interval passed that has none yet."""
        target = min(target, self.player.limit)
        for at in self._due(self.player.now, target):
            self.player.advance_to(at)
            if self.player.finished:
                break
            if self._safe(at) and not self._socket_path(at).exists():
                self._checkpoint()
        self.player.advance_to(target)

    def _checkpoint(self) -> None:
        at = self.player.now
        if os.fork() == 0:
            code = 0
            try:
                self._serve_checkpoint(at)
            except BaseException:
                code = 1
            finally:
                os._exit(code)

    def _serve_checkpoint(self, at: int) -> None:
        """Frozen at `at`: on request, fork a copy that becomes the player at a later time."""
        # This copy keeps the watcher's socket only to hand it to the fork that takes over; it
        # never reads or writes it itself.
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        tmp = self.dir / f"{at}.{os.getpid()}.tmp"
        listener.bind(str(tmp))
        listener.listen(4)
        try:
            os.link(tmp, self._socket_path(at))  # fails if another process kept this instant first
        except FileExistsError:
            return
        finally:
            tmp.unlink()
        watched: list[socket.socket | int] = [listener, self.life]
        while True:
            ready, _, _ = select.select(watched, [], [])
            if self.life in ready:
                self._clean_up(at)
                return
            conn, _ = listener.accept()
            with conn:
                _kind, target = _recv(conn)
                if os.fork() == 0:
                    listener.close()
                    conn.close()
                    self._take_over(target)
                    os._exit(0)
                _send(conn, "ok")

    def _clean_up(self, at: int) -> None:
        """The watcher is gone (perhaps killed, with no chance to tidy): the last checkpoint to
        leave removes the directory."""
        try:
            self._socket_path(at).unlink()
            self.dir.rmdir()  # only once empty
        except OSError:
            pass

    def _resume_from(self, at: int, target: int) -> bool:
        """Hand the watcher to the checkpoint at `at`, to be resumed at `target`; True when it
        accepted (this process must then exit without another word)."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.connect(str(self._socket_path(at)))
                _send(conn, ("take-over", target))
                return _recv(conn) == "ok"
        except (OSError, EOFError):
            return False

    def _take_over(self, target: int) -> None:
        self.player.reload()  # a live drill's journal may have grown since this state was kept
        self.advance(target)
        self._reply()
        self.serve()

    # requests -----------------------------------------------------------------------------------
    def _frame(self) -> Frame:
        p = self.player
        info = Info(p.start, p.limit, known_until(p.journal), p.marks, tuple(p.problems), self.every, p.setup())
        return Frame(p.snapshot(), info)

    def _reply(self) -> None:
        _send(self.sock, ("ok", self._frame()))

    def seek(self, target: int) -> bool:
        """Go to `target`; False when this process handed the watcher over and must exit."""
        target = max(self.player.start, min(target, self.player.limit))
        if target < self.player.now:
            return self._rewind(target, target)
        ahead = [at for at in self._checkpoints() if self.player.now + self.every <= at <= target]
        if ahead and self._resume_from(ahead[-1], target):
            return False  # a copy further on is closer than simulating from here
        self.advance(target)
        return True

    def _rewind(self, before: int, target: int) -> bool:
        """Resume the newest kept state at or before `before`, at `target`."""
        for at in reversed([at for at in self._checkpoints() if at <= before]):
            if self._resume_from(at, target):
                return False
        # No copy to resume (none made yet, or all gone): start over. Correct, only slower.
        self.player.close()
        self.player = Player(self.player.path, live=self.live)
        self.advance(target)
        return True

    def handle(self, request: tuple) -> bool:
        op = request[0]
        if op == "advance":
            if request[1] < self.player.now:
                return self.seek(request[1])
            self.advance(request[1])
        elif op == "seek":
            return self.seek(request[1])
        elif op == "reload":
            late = self.player.reload()
            if late is not None:
                # The watcher had run past a command given since: back to before it, then on to
                # where the watcher was, with the command in its place.
                return self._rewind(late, self.player.now)
        else:
            raise ValueError(f"unknown request {op!r}")
        return True

    def serve(self) -> None:
        watched: list[socket.socket | int] = [self.sock, self.life]
        while True:
            ready, _, _ = select.select(watched, [], [])
            if self.life in ready:
                return
            try:
                request = _recv(self.sock)
            except (EOFError, OSError):
                return
            try:
                if not self.handle(request):
                    return  # a checkpoint's copy answers from now on
            except (JournalError, WatchError, ScenarioError, SessionError) as exc:
                _send(self.sock, ("error", str(exc)))
                continue
            self._reply()


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="drill.session.rewind")
    parser.add_argument("--sock", type=int, required=True)
    parser.add_argument("--life", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--every", type=int, required=True)
    parser.add_argument("--live", action="store_true")
    parser.add_argument("journal")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forks are reaped by the kernel, not waited for
    sock = socket.socket(fileno=args.sock)
    try:
        player = Player(args.journal, live=args.live)
    except (JournalError, WatchError, ScenarioError, SessionError) as exc:
        _send(sock, ("error", str(exc)))
        return 2
    span = max(player.limit, player.session.end if args.live else 0) - player.start
    every = max(args.every, -(-span // MAX_CHECKPOINTS))
    host = _Host(sock, args.life, Path(args.dir), every, args.live, player)
    host._checkpoint()  # the trainee's start, kept before anything moves
    if not args.live and os.fork() == 0:
        # The builder: the whole recorded drill ahead of the watcher, a checkpoint per interval.
        try:
            host.advance(player.limit)  # it never touches the watcher's socket
        finally:
            os._exit(0)
    if args.live:
        edge = known_until(player.journal)
        host.advance(player.limit if edge is None else edge)  # a live drill is watched from its edge
    host._reply()
    host.serve()
    return 0


if __name__ == "__main__":
    # Run as the module's real name, not __main__: what it pickles must unpickle in the watcher.
    from drill.session import rewind

    raise SystemExit(rewind._main(sys.argv[1:]))
