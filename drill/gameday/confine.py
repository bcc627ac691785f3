"""Keep a served drill's writes inside its data directory.

A drill served to a browser runs for whoever opened the page, so its process refuses, through a
Python audit hook (PEP 578), every write, creation, removal, rename or database outside the data
directory: the file operations of Python and of the libraries it runs (Textual, SQLite's connect)
raise PermissionError instead. The app gives the trainee no way to name a file anyway (its command
line takes no paths, commands name servers and flags); the hook is the guarantee behind that.

Temporary files go to `tmp/` inside the data directory (TMPDIR is set for this process and
what it starts).

SQLite `file:` URIs are resolved to the file they name (an in-memory database is always allowed).
Hard links are refused both ways out: linking a file from outside into the directory (os.link
with its source outside), and writing to a file inside that has other links (st_nlink > 1: one of
them may be outside, and writing through it would change that file too).

What it does not cover: reads (Python must read its own code and the bundled scenarios; a served
drill reads nothing a trainee chose), operations relative to a directory file descriptor passed to
`os.open` (the audit event does not carry it; nothing in drill does that), and processes started
fresh rather than forked: the debrief's re-simulation workers (a fork server) run without the hook.
They run drill's simulation on data sent to them and return results through a pipe; they open no
files of their own. An audit hook cannot be removed: install it only in a process that will never
need to write elsewhere.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_ALWAYS = ("/dev/null",)
# Audit events that change the file system: which of their arguments are paths written to, and
# which argument (if any) is a directory file descriptor those paths are relative to.
_EVENTS: dict[str, tuple[tuple[int, ...], int | None]] = {
    "os.mkdir": ((0,), 2),
    "os.remove": ((0,), 1),
    "os.rmdir": ((0,), 1),
    "os.rename": ((0, 1), 2),
    "os.symlink": ((1,), 2),
    "os.link": ((1,), 3),  # and its source: _link_targets "os.truncate": ((0,), None), "os.chmod": ((0,), 2),
    "os.chown": ((0,), 3),
    "os.utime": ((0,), 4),
    "os.chflags": ((0,), None),
    "os.setxattr": ((0,), None),
    "os.removexattr": ((0,), None),
    "os.mkfifo": ((0,), 2),
    "os.mknod": ((0,), 3),
    "shutil.copyfile": ((1,), None),
    "shutil.copymode": ((1,), None),
    "shutil.copystat": ((1,), None),
    "shutil.copytree": ((1,), None),
    "shutil.move": ((0, 1), None),
    "shutil.rmtree": ((0,), 1),
    "shutil.make_archive": ((0,), None),
    "shutil.unpack_archive": ((1,), None),
    "tempfile.mkstemp": ((0,), None),
    "tempfile.mkdtemp": ((0,), None),
    "sqlite3.connect": ((0,), None),
}


def _sqlite_uri_path(name: str) -> str | None:
    """The file a SQLite `file:` URI names ("" for an in-memory database), or None when `name` is
    not a URI. SQLite takes the path up to '?' or '#', percent-decoded; `file://localhost/p` and
    `file:///p` name /p."""
    from urllib.parse import parse_qs, unquote

    if not name.startswith("file:"):
        return None
    rest, _, query = name[len("file:") :].partition("?")
    rest = rest.partition("#")[0]
    if "memory" in parse_qs(query.partition("#")[0]).get("mode", []):
        return ""
    if rest.startswith("//"):
        authority, slash, tail = rest[2:].partition("/")
        if authority not in ("", "localhost"):
            return "//" + authority  # a remote authority SQLite would refuse: never inside
        rest = slash + tail
    path = unquote(rest)
    return "" if path in (":memory:", "") else path


def _inside(root: str, path: Any, dir_fd: object = None, *, uri: bool = False) -> bool:
    if isinstance(path, int):
        return True  # an already open descriptor: its opening was checked
    name = _name_of(path, uri)
    if name is None:
        return False
    if name in _ALWAYS or name == ":memory:" or name == "":
        return True
    base = _base_dir(dir_fd)
    if base is None:
        return False
    real = os.path.realpath(os.path.join(base, name))
    return real == root or real.startswith(root + os.sep)


def _name_of(path: Any, uri: bool) -> str | None:
    """The file name an audited call was given (str, bytes or PathLike; a SQLite URI's path),
    or None for anything else."""
    try:
        name = os.fsdecode(path)
    except TypeError:
        return None
    if uri:
        resolved = _sqlite_uri_path(name)
        if resolved is not None:
            return resolved
    return name


def _base_dir(dir_fd: object) -> str | None:
    """The directory a relative name is opened in: dir_fd's, else the working directory (AT_FDCWD
    (-100) and -1 mean that too); None when dir_fd cannot be read."""
    if not (isinstance(dir_fd, int) and dir_fd >= 0):
        return os.getcwd()
    try:
        return os.readlink(f"/proc/self/fd/{dir_fd}")
    except OSError:
        return None


def _shared_inode(path: Any, dir_fd: object = None) -> bool:
    """Whether an existing file has other hard links (it may be one of them is outside)."""
    if isinstance(path, int):
        return False
    try:
        st = os.stat(path, dir_fd=dir_fd if isinstance(dir_fd, int) and dir_fd >= 0 else None)
    except (OSError, TypeError, ValueError):
        return False
    return st.st_nlink > 1 and not os.path.isdir(os.fsdecode(path)) and os.fsdecode(path) not in _ALWAYS


def make_hook(root: str | Path) -> Callable[[str, tuple], None]:
    root_s = os.path.realpath(root)
    busy = threading.local()

    def hook(event: str, args: tuple) -> None:
        # (path, dir_fd): an audit event's arguments, of whatever type the audited call was given.
        checks: list[tuple[Any, object]] = []
        writing_open = False
        if event == "open":
            path, mode, flags = args
            writing = (
                any(c in mode for c in "wax+")
                if isinstance(mode, str)
                else bool(isinstance(flags, int) and flags & _WRITE_FLAGS)
            )
            if not writing:
                return
            checks, writing_open = [(path, None)], True
        elif event == "os.link":  # (src, dst, src_dir_fd, dst_dir_fd): a link out is a write out
            checks = [(args[0], args[2] if len(args) > 2 else None), (args[1], args[3] if len(args) > 3 else None)]
        elif event in _EVENTS:
            idx, fd_at = _EVENTS[event]
            dir_fd = args[fd_at] if fd_at is not None and fd_at < len(args) else None
            checks = [(args[i], dir_fd) for i in idx if i < len(args)]
        else:
            return
        if getattr(busy, "on", False):
            return
        busy.on = True
        try:
            for target, dir_fd in checks:
                shown = os.fsdecode(target) if not isinstance(target, int) else target
                if not _inside(root_s, target, dir_fd, uri=event == "sqlite3.connect"):
                    raise PermissionError(f"a served drill writes only in its data directory ({root_s}), not {shown}")
                if writing_open and _shared_inode(target, dir_fd):
                    raise PermissionError(
                        f"a served drill writes only in its data directory ({root_s}), not through "
                        f"{shown}, a file with other hard links"
                    )
        finally:
            busy.on = False

    return hook


def confine_writes(root: str | Path) -> Path:
    """From now on this process writes only under `root` (created if need be), which becomes the
    working directory. Returns the resolved root."""
    import tempfile

    root_p = Path(root).expanduser().resolve()
    tmp = root_p / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    os.chdir(root_p)
    # Temporary files (the debrief's worker pool makes a socket directory) go inside too, for
    # this process and the programs it starts.
    os.environ["TMPDIR"] = str(tmp)
    tempfile.tempdir = str(tmp)
    sys.dont_write_bytecode = True  # no __pycache__ beside the package's code
    sys.addaudithook(make_hook(root_p))
    return root_p
