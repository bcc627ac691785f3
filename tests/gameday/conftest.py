"""Fixtures for the game-day tests: a private data dir, free ports, a real `drill serve` process."""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    d = tmp_path / "data"
    monkeypatch.setenv("DRILL_DATA_DIR", str(d))
    return d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on `port` (Linux: /proc/net/tcp{,6})."""
    found = set()
    for name, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state = parts[1], parts[3]
            addr_hex, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(addr_hex)
            if width == 8:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


class ServeProcess:
    """`drill serve` in a subprocess (its own process group, so its tabs stop with it)."""

    def __init__(self, args: list[str], env: dict, cwd: Path, port: int | None = None):
        self.port = port or free_port()
        self.out_path = cwd / "serve.out"
        self.out = open(self.out_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "drill", "serve", "--port", str(self.port), *args],
            stdout=self.out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.out_path.read_text()

    async def output_with(self, pattern: str, timeout: float = 15.0) -> str:
        """The output once it matches `pattern`: the server logs a closed connection after the
        client has already seen it close, so an immediate read can race the log line."""
        end = time.monotonic() + timeout
        while not re.search(pattern, text := self.output()) and time.monotonic() < end:
            await asyncio.sleep(0.1)
        return text

    def wait_ready(self, timeout: float = 30.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"drill serve exited {self.proc.returncode}:\n{self.output()}")
            text = self.output()
            if "Ctrl+C stops serving" in text:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                        return text
                except OSError:
                    pass
            time.sleep(0.1)
        raise AssertionError(f"drill serve not ready in {timeout}s:\n{self.output()}")

    @property
    def key(self) -> str:
        return re.search(r"keep it from the trainees\):\s+(\S+)", self.output()).group(1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.out.close()


# knightmare's (difficulty, seed) that more than one served test plays: the default (most of them),
# and standard at seed 4 (a browser's drill, a crew's, `drill play --team`'s).
SHARED_DRILLS: list[tuple[str | None, int | None]] = [(None, None), ("standard", 4)]


@pytest.fixture(scope="session")
def served_cache(shared_runs) -> Path:
    """One debrief cache for the served drills of the whole test run, every xdist worker's.

    Each `drill serve` of a scenario forks a warmer that re-simulates what its debriefs will need
    (about 4 CPU-s for knightmare), and each test's data directory starts empty: the thirty-odd
    served tests computed the same entries again each time (and a short test stopped its warmer
    half-way). Entries are named by their content (scenario, difficulty, seed, commands, engine),
    so the served drills several tests start (SHARED_DRILLS) are warmed here once for the run, by
    whichever worker asks first; a served test starts with every entry computed so far and leaves
    what it computed (another difficulty, another seed) for later ones, as the debrief tests share
    theirs."""
    from drill.debrief import warm_cache
    from drill.debrief.cache import Cache

    shared = shared_runs.directory / "served-debrief-cache"
    shared.mkdir(exist_ok=True)
    for difficulty, seed in SHARED_DRILLS:
        shared_runs.get(("served debrief cache", "knightmare", difficulty, seed),
                        lambda d=difficulty, n=seed: warm_cache("knightmare", d, n, workers=2, nice=0, cache=Cache(shared)))
    return shared


def copy_entries(src: Path, dst: Path) -> None:
    """Cache entries of `src` that `dst` lacks, each written whole (another worker may be reading)."""
    if not src.is_dir():
        return
    dst.mkdir(parents=True, exist_ok=True)
    for entry in src.glob("*.json"):
        if entry.name.startswith(".") or (dst / entry.name).exists():
            continue
        tmp = dst / f".tmp-{os.getpid()}-{entry.name}"
        try:
            shutil.copyfile(entry, tmp)
            os.replace(tmp, dst / entry.name)
        except OSError:
            tmp.unlink(missing_ok=True)


@pytest.fixture
def serve(tmp_path, data_dir, served_cache):
    """Start `drill serve ARGS...` (cwd and HOME in scratch directories); stopped at the end.
    Its debrief cache starts with what earlier served tests computed (`served_cache`);
    `cold_cache=True` starts it empty, for a test of the warmer itself."""
    started: list[ServeProcess] = []
    own_cache = data_dir / "cache" / "debrief"
    shared = [True]

    def start(*args: str, env_extra: dict | None = None, port: int | None = None,
              cold_cache: bool = False) -> ServeProcess:
        cwd = tmp_path / "cwd"
        home = tmp_path / "home"
        cwd.mkdir(exist_ok=True)
        home.mkdir(exist_ok=True)
        if cold_cache:
            shared[0] = False
        elif shared[0] and not started:
            copy_entries(served_cache, own_cache)
        env = {**os.environ, "DRILL_DATA_DIR": str(data_dir), "HOME": str(home), "PYTHONPATH": str(ROOT),
               **(env_extra or {})}
        s = ServeProcess(list(args), env, cwd, port)
        started.append(s)
        s.wait_ready()
        return s

    yield start
    for s in started:
        s.stop()
    if shared[0]:
        copy_entries(own_cache, served_cache)


async def start_tab(base_url: str, team: str | None = "red", width: int = 120, height: int = 36):
    """Open a served tab, give the team, pass the briefing: returns the client at the console."""
    from drill.gameday.webclient import ENTER, TabClient

    c = TabClient(base_url, width, height)
    await c.connect()
    await c.wait_for("Team", timeout=30)
    if team:
        await c.type(team)
    await c.send(ENTER)
    await c.wait_for("Esc back", timeout=30)
    m = c.mark()
    await c.send(ENTER)
    await c.wait_for("smars", since=m, timeout=30)
    return c


async def wait_registered(n: int = 1, timeout: float = 20.0) -> list[dict]:
    from drill.hosting.channel import running_drills

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = running_drills()
        if len(found) >= n:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{n} drill(s) not registered in {timeout}s: {running_drills()}")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Run `async def` tests in a fresh event loop (no async plugin needed)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(pyfuncitem.obj(**args))
        return True
    return None
