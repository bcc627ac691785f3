import compileall
import fcntl
import hashlib
import os
import pickle
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.ordering import pytest_collection_modifyitems  # noqa: F401  (the long tests first, on every worker)
from tests.pgcluster import postgres  # noqa: F401  (the session's PostgreSQL server, for any test asking)


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    # Nothing a test does may touch the user's real data directory.
    monkeypatch.setenv("DRILL_DATA_DIR", str(tmp_path / "drill-data"))
    monkeypatch.delenv("DRILL_RESULTS_URL", raising=False)  # nor a results database named outside
    os.environ.setdefault("PYTHONHASHSEED", "0")


class SharedRuns:
    """Results of full drills computed once per test session and read by every xdist worker: a
    drill is deterministic given its scenario, play, difficulty and seed, and the scenarios and
    the code cannot change during a session, so a second worker asking for the same drill reads
    the first one's result instead of simulating the morning again. Each result is a pickle
    written under a temporary name and renamed into place: a reader sees a whole file or none.
    A worker that finds another computing the same drill waits for it (a lock per key) instead of
    simulating it too: on two cores a second copy of the same morning costs as much as the wait.
    `compute` must not ask for another key (two workers could then wait on each other)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        with self._held(key) as (path, found):
            if found is not None:
                return found[0]
            return self._keep(path, compute())

    async def get_async(self, key: tuple, compute: Callable[[], Awaitable[Any]]) -> Any:
        """`get` for a result an `async def` computes (a drill played in the console under Pilot).
        Waiting for another worker's lock blocks this worker's event loop: it has nothing else to do."""
        with self._held(key) as (path, found):
            if found is not None:
                return found[0]
            return self._keep(path, await compute())

    @contextmanager
    def _held(self, key: tuple) -> Iterator[tuple[Path, tuple[Any] | None]]:
        """The key's lock held: its file, and (the value,) when a worker has already computed it."""
        path = self.directory / f"{hashlib.sha256(repr(key).encode()).hexdigest()}.pickle"
        with open(path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            try:
                found: tuple[Any] | None = (pickle.loads(path.read_bytes()),)
            except FileNotFoundError:
                found = None
            yield path, found

    @staticmethod
    def _keep(path: Path, value: Any) -> Any:
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_bytes(pickle.dumps(value))
        os.replace(partial, path)
        return value


@pytest.fixture(scope="session")
def shared_runs(tmp_path_factory) -> SharedRuns:
    # Under xdist each worker's base temporary directory lies inside the session's: its parent
    # is the one place all the workers of this session (and no other session) share.
    base = tmp_path_factory.getbasetemp()
    session_dir = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return SharedRuns(session_dir / "shared-runs")


def pytest_configure(config: pytest.Config) -> None:
    """Compile drill/ and tests/ once, before the workers start. The suite starts a few hundred
    interpreters (its workers, `drill` processes, drivers, served tabs), and where bytecode is not
    written (PYTHONDONTWRITEBYTECODE, as on the CI machine) each of them compiled every module it
    imported from source again: 0.15 CPU-s of each `drill run` (docs/testing.md)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller compiled them before starting this worker
    root = Path(__file__).resolve().parent.parent
    for tree in ("drill", "tests"):
        compileall.compile_dir(root / tree, quiet=1)
    _rewrite_test_modules_once(config, root / "tests")


def _rewrite_test_modules_once(config: pytest.Config, tests: Path) -> None:
    """pytest rewrites the asserts of every test module and conftest when it imports them, and
    keeps the result only where bytecode may be written: under PYTHONDONTWRITEBYTECODE each worker
    rewrote all of them while collecting (3.6 of the 6.3 CPU-s a worker's collection took, the
    three workers at once, before any test ran). Written here once, each worker reads them. This
    leans on pytest's rewriting internals; if they move, the workers rewrite as before (slower,
    never wrong: pytest checks each cached file against its source)."""
    try:
        from _pytest.assertion import assertstate_key
        from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc, _rewrite_test, _write_pyc, get_cache_dir
    except ImportError:
        return
    if config.getoption("assertmode", "rewrite") != "rewrite" or assertstate_key not in config.stash:
        return
    state = config.stash[assertstate_key]
    for source in [*tests.rglob("test_*.py"), *tests.rglob("conftest.py")]:
        pyc = get_cache_dir(source) / f"{source.name[:-3]}{PYC_TAIL}"
        if _read_pyc(source, pyc) is not None:
            continue
        try:
            pyc.parent.mkdir(exist_ok=True)
            source_stat, code = _rewrite_test(source, config)
            _write_pyc(state, code, source_stat, pyc)
        except (OSError, SyntaxError):
            continue  # the worker rewrites it, or reports the error where it belongs


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (the default run): one worker more than the cores. A third of a two-worker run
    waited (servers starting, browsers, a PostgreSQL outage held for 20 s, the pause between
    frames): on this 2-core machine the same suite took 8:26 on two workers and 7:16 on three
    (docs/BENCHMARKS.md, test suite)."""
    return len(os.sched_getaffinity(0)) + 1
