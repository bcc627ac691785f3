"""The session's shared drills (tests/conftest.py): computed once, read by everyone after, and a
second process asking while the first computes waits for its result instead of computing it too."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from tests.conftest import SharedRuns


def test_a_result_is_computed_once_and_read_after(tmp_path):
    runs = SharedRuns(tmp_path / "shared")
    calls = []
    assert runs.get(("k", 1), lambda: calls.append(1) or {"score": 1.5}) == {"score": 1.5}
    assert runs.get(("k", 1), lambda: calls.append(2) or {"score": 0.0}) == {"score": 1.5}
    assert runs.get(("k", 2), lambda: calls.append(3) or "other") == "other"
    assert calls == [1, 3]


def _ask(directory: str, log: str, out: str) -> None:
    def compute() -> str:
        with open(log, "a") as fh:
            fh.write("computed\n")
        time.sleep(0.5)  # long enough that the other process asks while this one computes
        return "the drill"

    Path(out).write_text(SharedRuns(Path(directory)).get(("same drill",), compute))


def test_two_processes_asking_at_once_compute_it_once(tmp_path):
    log = tmp_path / "log"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_ask, args=(str(tmp_path / "shared"), str(log), str(tmp_path / f"out{k}")))
             for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert log.read_text() == "computed\n"
    assert [(tmp_path / f"out{k}").read_text() for k in range(2)] == ["the drill", "the drill"]


def test_an_async_result_is_computed_once_and_shared_with_get(tmp_path):
    import asyncio

    runs = SharedRuns(tmp_path / "shared")
    calls = []

    async def compute():
        calls.append(1)
        return b"journal", {"09:41:00": "snapshot"}

    first = asyncio.run(runs.get_async(("played",), compute))
    again = asyncio.run(runs.get_async(("played",), compute))
    assert first == again == (b"journal", {"09:41:00": "snapshot"}) and calls == [1]
    assert runs.get(("played",), lambda: calls.append(2)) == first and calls == [1]
