"""Where drill keeps its files on this machine: a per-user data directory (platformdirs)."""

from __future__ import annotations

import datetime as _dt
import errno
import os
import stat
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    # DRILL_DATA_DIR lets tests, CI and shared game-day machines point everything elsewhere.
    override = os.environ.get("DRILL_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("drill", appauthor=False))


def default_journal_path(scenario_id: str) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return data_dir() / "journals" / f"{scenario_id}-{stamp}.jsonl"


DISCARD = "/dev/null"  # the one special file drill writes to: "keep no journal"


def special_file(path: str | os.PathLike, *, writing: bool) -> str | None:
    """Why `path` may not be used as a data file, or None when it may: a data file is a regular
    file or one not yet made (for writing). A FIFO would block the first open forever, a device
    such as /dev/zero reads without end, and either makes SQLite or a journal write beside it;
    only /dev/null is taken for writing. Symbolic links are followed: what counts is the target."""
    if writing and os.fspath(path) == DISCARD:
        return None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None if writing else "not found"
    except (OSError, ValueError) as exc:
        return getattr(exc, "strerror", None) or str(exc)
    return _not_regular(st.st_mode)


def _not_regular(mode: int) -> str | None:
    """What a file of this mode is, when it is not a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory"
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    return f"not a regular file ({kind})"


def open_for_writing(path: str | os.PathLike, mode: str = "w"):
    """Open a data file for writing without ever waiting on a FIFO: the open does not block
    (O_NONBLOCK), and anything but a regular file (or /dev/null) is refused with OSError."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_TRUNC if "w" in mode else os.O_APPEND)
    fd = os.open(path, flags, 0o666)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) and os.fspath(path) != DISCARD:
            raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, mode, encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


class UnreadableFile(Exception):
    """Why a text file was not read, as one short phrase for "FILE: file: WHY"."""


def read_bounded(path: Path, limit: int) -> str:
    """A UTF-8 text file of at most `limit` bytes (a scenario, an actions file, a journal). Anything
    else is refused before it is opened: a FIFO would block the read forever, a device or a
    huge file would read without end."""
    try:
        if path.exists() and not path.is_file():
            raise UnreadableFile("not a regular file")
        if path.stat().st_size > limit:
            raise UnreadableFile(f"larger than {limit:,} bytes, refused")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnreadableFile("not found") from None
    except OSError as exc:  # its strerror: str(exc) repeats the (maybe huge) file name
        raise UnreadableFile(f"cannot read ({exc.strerror or type(exc).__name__})") from None
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"cannot read ({exc})") from None
