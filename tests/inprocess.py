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
from unittest import mock


def drill_in_process(*args, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Its exit code (argparse's exit too) and what it printed, as `subprocess.run` returns them;
    `env` is added to the environment while it runs. Its stdin is empty and not a terminal (as a
    subprocess's with stdin=DEVNULL): nothing it does can wait on the test's input or open the
    console, with or without pytest's capture (-s)."""
    from drill.cli.main import main

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
    return subprocess.CompletedProcess(["drill", *map(str, args)], rc, out.getvalue(), err.getvalue())
