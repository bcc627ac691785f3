"""Real journals made by `drill run`, and their debriefs built once per test session.

The debriefs share one cache directory, so what does not depend on the trainee (the containment
moves, the historical and best plays) is re-simulated once for the whole session; the CLI tests
point DRILL_DATA_DIR at the same directory and find it warm."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from drill.debrief.plan import faulty_servers
from drill.scenario import load
from tests.inprocess import drill_in_process

ROOT = Path(__file__).resolve().parents[2]
PLAYS = ROOT / "scenarios" / "knightmare" / "plays"
# The server that missed the deploy under the scenario's own seed (what the plays' placeholder names).
STALE = faulty_servers(load("knightmare"), None)[0]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def drill(*args, data_dir: Path, timeout=180):
    """A real `drill` process: the exit code and stderr a shell sees."""
    env = dict(os.environ, DRILL_DATA_DIR=str(data_dir))
    return subprocess.run([sys.executable, "-m", "drill", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=timeout)


def drill_here(*args, data_dir: Path) -> subprocess.CompletedProcess:
    """`drill` through main in this process (tests/inprocess.py), for checks of what it printed."""
    return drill_in_process(*args, env={"DRILL_DATA_DIR": str(data_dir)})


def one_line_error(proc, *needles):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="session")
def shared_data(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("drill-data-shared")


@pytest.fixture(scope="session")
def shared_cache(shared_data):
    from drill.debrief.cache import Cache

    return Cache(shared_data / "cache" / "debrief")


def _journal(shared_data: Path, name: str, play: str, extra: str = "") -> Path:
    """Run a shipped play through `drill run`, its placeholders filled for the scenario's own seed
    (STALE missed the deploy), and keep the journal."""
    actions = shared_data / "actions" / f"{name}.actions"
    actions.parent.mkdir(parents=True, exist_ok=True)
    actions.write_text((PLAYS / f"{play}.actions").read_text().replace("{faulty_server}", STALE) + extra)
    j = shared_data / "journals" / f"{name}.jsonl"
    # A data directory of its own: `drill run` caches the drill's own figures for its debrief, and the
    # debriefs here re-simulate the trainee's drill (and warn if the replay differs from the journal).
    p = drill_here("run", "knightmare", "--actions", actions, "--journal", j, "--json", data_dir=shared_data / "runs")
    assert p.returncode == 0, p.stderr
    return j


@pytest.fixture(scope="session")
def rollback_journal(shared_data) -> Path:
    """The tempting mistake: roll the fleet back at 09:40 (what Knight did)."""
    return _journal(shared_data, "rollback-trap", "rollback-trap")


@pytest.fixture(scope="session")
def stop_journal(shared_data) -> Path:
    """Contained at the open: stop the stale server within a minute, fix it, start it, and declare
    the incident resolved (the trainee's part ends; the morning runs on to its end and is charged)."""
    return _journal(shared_data, "stop-at-open", "stop-at-open", "09:35:00 resolve\n")


@pytest.fixture(scope="session")
def runner():
    from drill.debrief import Runner

    with Runner(2) as r:
        yield r


@pytest.fixture(scope="session")
def rollback_debrief(rollback_journal, shared_cache, runner):
    from drill.debrief import build

    return build(rollback_journal, cache=shared_cache, runner=runner)


@pytest.fixture(scope="session")
def stop_debrief(stop_journal, shared_cache, runner, rollback_debrief):
    from drill.debrief import build

    # After the rollback debrief: the references are cached by then, only the trainee's edits run.
    return build(stop_journal, cache=shared_cache, runner=runner)


def screenshot(target: Path, out: Path, size=(1280, 1600)) -> Path:
    """Chromium's headless screenshot of a local file."""
    profile = tempfile.mkdtemp(prefix="drill-chromium-")
    try:
        p = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={profile}", f"--screenshot={out}", f"--window-size={size[0]},{size[1]}",
                            target.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert out.is_file() and out.stat().st_size > 0, p.stderr[-2000:]
    return out
