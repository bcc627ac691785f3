"""The order the suite runs in, so that no core waits at the end: the longest tests start first, on
every worker at once, and the short ones fill in behind them.

pytest-xdist's work-stealing scheduler (`--dist worksteal`, pyproject.toml) hands each worker an
equal run of the collected tests, in collection order (the first worker the first run, ...), and a
worker that runs dry steals the back half of the longest queue. Left in collection order, the long
tests sit wherever their files are: two of them meeting at the end of one worker's queue keep that
worker busy while the other has nothing left to steal. Reordered here, each worker's run opens with
its share of the long tests (dealt longest first to the worker with the least so far) and the
short tests follow in collection order, so the steals at the end move short tests.

How long a test takes comes from tests/durations.txt (seconds and test id per line, measured; see
docs/testing.md to refresh it). A test it does not name counts as short and keeps its place, so a
stale file costs balance, never correctness. A long test that shares an expensive module- or
session-scoped fixture with its neighbours stays beside them: moving it to another worker would
build that fixture there too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

DURATIONS = Path(__file__).with_name("durations.txt")
LONG_S = 4.0  # a test at least this long is dealt out; the rest keep their order
# The suite's own broad fixtures that are cheap to build on another worker too, or shared between
# workers (a plugin's, pytest's and xdist's are all cheap).
CHEAP_BROAD_FIXTURES = {"shared_runs", "postgres"}


def known_durations(path: Path = DURATIONS) -> dict[str, float]:
    """Test id -> seconds, from lines `SECONDS TEST-ID` (blank lines and # comments skipped)."""
    if not path.is_file():
        return {}
    found: dict[str, float] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            seconds, nodeid = line.split(None, 1)
            found[nodeid.strip()] = float(seconds)
    return found


def movable(item: pytest.Item) -> bool:
    """Whether the test may run apart from its file's other tests without building an expensive
    module- or session-wide fixture a second time."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return True
    for name, defs in info.name2fixturedefs.items():
        if name not in CHEAP_BROAD_FIXTURES and any(_own_and_broad(d) for d in defs):
            return False
    return True


def _own_and_broad(fixturedef) -> bool:
    """A fixture of the suite's own (defined under tests/) built once per module or session."""
    return fixturedef.scope != "function" and fixturedef.baseid.startswith("tests")


def run_sizes(total: int, workers: int) -> list[int]:
    """How many tests xdist's work-stealing scheduler first gives each worker: the pending tests
    split evenly, the earlier workers rounding down."""
    sizes = []
    for k in range(workers):
        sizes.append(total // (workers - k))
        total -= sizes[-1]
    return sizes


@dataclass
class Run:
    size: int
    long: list[pytest.Item] = field(default_factory=list)
    seconds: float = 0.0


def arrange(items: list[pytest.Item], durations: dict[str, float], workers: int) -> list[pytest.Item]:
    """The items in the order that starts every worker on its share of the long tests."""
    if workers < 2 or not durations:
        return items  # one process runs them all: the order changes nothing
    runs = [Run(size) for size in run_sizes(len(items), workers)]
    long = sorted((it for it in items if durations.get(it.nodeid, 0.0) >= LONG_S and movable(it)),
                  key=lambda it: -durations[it.nodeid])
    for it in long:  # longest first, each to the run with the least so far that has room
        run = min((r for r in runs if len(r.long) < r.size), key=lambda r: r.seconds)
        run.long.append(it)
        run.seconds += durations[it.nodeid]
    moved = {id(it) for it in long}
    rest = [it for it in items if id(it) not in moved]
    ordered: list[pytest.Item] = []
    for run in runs:
        take = run.size - len(run.long)
        ordered += run.long + rest[:take]
        rest = rest[take:]
    return ordered


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected: the runs are of what will run
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workerinput = getattr(config, "workerinput", None)
    workers = workerinput["workercount"] if workerinput else 1
    items[:] = arrange(items, known_durations(), workers)
