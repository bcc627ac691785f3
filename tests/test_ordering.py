"""The suite's order (tests/ordering.py): every worker starts on its share of the long tests, the
short ones keep their order behind them, and the runs are the ones xdist's work-stealing
scheduler really hands out."""

from __future__ import annotations

from types import SimpleNamespace

from xdist.scheduler.worksteal import WorkStealingScheduling

from tests.durations import totals
from tests.ordering import DURATIONS, arrange, known_durations, run_sizes


def items(*names: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(nodeid=n, _fixtureinfo=None) for n in names]


def broad(name: str, fixture: str, scope: str) -> SimpleNamespace:
    """A test using a fixture of a wider scope than the test."""
    info = SimpleNamespace(name2fixturedefs={fixture: [SimpleNamespace(scope=scope, baseid="tests/debrief")],
                                             "_a_plugins": [SimpleNamespace(scope="session", baseid="")]})
    return SimpleNamespace(nodeid=name, _fixtureinfo=info)


def ids(seq) -> list[str]:
    return [it.nodeid for it in seq]


def test_each_worker_opens_with_its_share_of_the_long_tests_longest_first():
    tests = items("a", "b", "c", "L1", "d", "L2", "e", "L3", "f", "g")
    durations = {"L1": 30.0, "L2": 20.0, "L3": 12.0, "a": 1.0}
    order = ids(arrange(tests, durations, workers=2))
    first, second = order[:5], order[5:]
    # 30 to one worker, 20 then 12 to the other (the one with less so far gets the next).
    assert first[0] == "L1" and second[:2] == ["L2", "L3"]
    # The short tests keep their collection order, split over the runs.
    assert [t for t in order if not t.startswith("L")] == ["a", "b", "c", "d", "e", "f", "g"]
    assert sorted(order) == sorted(ids(tests))


def test_a_test_sharing_an_expensive_broad_fixture_stays_beside_its_neighbours():
    tests = [*items("a", "b"), broad("L1", "rollback_debrief", "session"), *items("c"),
             broad("L2", "shared_runs", "session"), broad("L3", "store", "module")]
    durations = {"L1": 30.0, "L2": 20.0, "L3": 25.0}
    order = ids(arrange(tests, durations, workers=2))
    assert order[0] == "L2"  # a cheap shared fixture does not hold a test back
    assert [t for t in order if t != "L2"] == ["a", "b", "L1", "c", "L3"]  # the others keep their order


def test_one_worker_or_no_durations_keeps_the_collection_order():
    tests = items("a", "L1", "b")
    assert ids(arrange(tests, {"L1": 50.0}, workers=1)) == ["a", "L1", "b"]
    assert ids(arrange(tests, {}, workers=3)) == ["a", "L1", "b"]


class _Node:
    """What xdist's scheduler needs of a worker: where it sends tests."""

    shutting_down = False

    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.sent: list[int] = []

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent += indices


def test_the_runs_are_the_ones_xdists_work_stealing_scheduler_hands_out():
    for workers, total in ((2, 845), (3, 845), (4, 10), (2, 7)):
        config = SimpleNamespace(getvalue=lambda name, n=workers: [f"{n}*popen"])
        sched = WorkStealingScheduling(config)
        nodes = [_Node(f"gw{k}") for k in range(workers)]
        for node in nodes:
            sched.add_node(node)
        for node in nodes:
            sched.add_node_collection(node, [f"t{k}" for k in range(total)])
        sched.schedule()
        assert [len(n.sent) for n in nodes] == run_sizes(total, workers)
        assert [i for n in nodes for i in n.sent] == list(range(total))  # each a contiguous run, in order


def test_the_durations_file_names_tests_with_seconds():
    durations = known_durations(DURATIONS)
    assert durations, f"{DURATIONS} is empty"
    assert all("::" in nodeid and seconds > 0 for nodeid, seconds in durations.items())


def test_a_durations_report_adds_up_each_tests_phases():
    report = ("============ slowest durations ============\n"
              "40.12s call     tests/tui/test_robustness.py::test_soak[a b]\n"
              "2.00s setup    tests/tui/test_robustness.py::test_soak[a b]\n"
              "0.50s teardown tests/x.py::test_y\n"
              "(3 durations < 0.005s hidden.)\n")
    assert totals(report) == {"tests/tui/test_robustness.py::test_soak[a b]": 42.12, "tests/x.py::test_y": 0.5}
