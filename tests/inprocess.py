"""`drill ARGS` through the CLI's main in the test's own process, for checks that read only the
exit code and what was printed: the same parsing and checks as a real `drill` process, without an
interpreter's start and the imports (0.3-1 CPU-s a process). A behaviour that depends on being a
real process (the exit code a shell sees, no traceback on a crash, a terminal, signals,
PYTHONHASHSEED or the stdio encoding, a memory limit, a FIFO or device that could hang or flood
the process) keeps at least one real subprocess in its tests."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import threading
from unittest import mock


def drill_in_process(*args, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Its exit code (argparse's exit too) and what it printed, as `subprocess.run` returns them;
    `env` is added to the environment while it runs. Its stdin is empty and not a terminal (as a
    subprocess's with stdin=DEVNULL): nothing it does can wait on the test's input or open the
    console, with or without pytest's capture (-s). The threads it started are waited for, as a
    process's exit waits for them (see _threads_ended)."""
    from drill.cli.main import main

    before = set(threading.enumerate())
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, env or {}),
        mock.patch.object(sys, "stdin", io.StringIO()),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            rc = main([str(a) for a in args])
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 1
    _threads_ended(before, args)
    return subprocess.CompletedProcess(["drill", *map(str, args)], rc, out.getvalue(), err.getvalue())


# Long enough for a re-simulation pool on a loaded machine to let its workers go.
THREAD_END_S = 120.0


def _threads_ended(before: set[threading.Thread], args) -> None:
    """Wait for the threads the command started (a debrief's pool, shut down without waiting, keeps
    a thread until its workers have left): one left running would change what the next test in
    this worker does (forking is only done with one thread), so a thread still alive is a failure."""
    for thread in set(threading.enumerate()) - before:
        thread.join(THREAD_END_S)
    left = [t.name for t in set(threading.enumerate()) - before]
    assert not left, f"drill {' '.join(map(str, args))[:200]} left threads running: {left}"
