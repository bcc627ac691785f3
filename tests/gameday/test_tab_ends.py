"""A served tab that ends says why, and its debrief does not depend on how long the data
directory's path is (a fork server's Unix socket lives under it, and such a path is at most 107
bytes: a long one failed every served debrief with "AF_UNIX path too long")."""

from __future__ import annotations

import os
import subprocess
import sys

from drill.gameday.tabs import error_line

RICH_TRACEBACK = """\
╭───────────────────── Traceback (most recent call last) ─────────────────────╮
│ /work/drill/debrief/runner.py:60 in start                                   │
│ ❱  60 │   │   │   │   │   self._pool.submit(warm)                             │
│ ╭──────────────────────────── locals ────────────────────────────╮          │
│ │ text = 'ValueError: not this one'                               │          │
│ ╰─────────────────────────────────────────────────────────────────╯          │
╰─────────────────────────────────────────────────────────────────────────────╯
OSError: AF_UNIX path too long
"""


def test_the_line_logged_for_a_crashed_tab_names_its_exception():
    assert error_line(RICH_TRACEBACK) == "OSError: AF_UNIX path too long"
    assert error_line("Traceback (most recent call last):\n  File 'x'\nKeyError: 'a'\n") == "KeyError: 'a'"
    assert error_line("just a note\n│ │ ╰──╯\n") == "just a note"  # no exception: the last words
    assert error_line("") is None and error_line("│ │\n") is None


WORKER_UNDER_A_LONG_DATA_DIR = """
import threading, time
from drill.gameday.served import confine
confine()
# A console runs threads, so its debrief's pool uses the fork server (drill.debrief.runner._context).
threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
from drill.debrief.runner import Runner, _context
assert _context().get_start_method() == "forkserver"
runner = Runner(1).start()
print("worker", runner.submit_warm().result(timeout=120))
runner.close(wait=True)
"""


def test_a_served_tabs_debrief_workers_start_under_a_long_data_directory(tmp_path):
    data = tmp_path / ("d" * 90) / "data"  # with /tmp/pytest-of-.../: far past a socket path's 107 bytes
    p = subprocess.run(
        [sys.executable, "-c", WORKER_UNDER_A_LONG_DATA_DIR],
        env={**os.environ, "DRILL_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert p.returncode == 0 and "worker " in p.stdout, p.stderr[-2000:]
    assert (data / "tmp").is_dir()  # its temporary files stayed in the data directory
