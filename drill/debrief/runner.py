"""The worker processes that run re-simulations: a small process pool (two workers by default, one
per core of the small machines drills run on). Re-simulations are CPU-bound Python, so threads
would share one interpreter lock; processes run them side by side."""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from drill.debrief.sim import SimSpec, mark_worker, prime, prime_here, run_group, run_sim, warm

DEFAULT_WORKERS = 2


def _context():
    """fork is quickest (the parent's imports come along) but is only safe from a process with one
    thread; a console (Textual runs threads) gets a fork server that preloads the engine instead."""
    methods = mp.get_all_start_methods()
    if "fork" in methods and sys.platform.startswith("linux") and threading.active_count() == 1:
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["drill.debrief.sim"])
        return ctx
    return mp.get_context("spawn")


def _init(nice: int) -> None:
    mark_worker()
    if nice and hasattr(os, "nice"):
        try:
            os.nice(nice)  # background warming must not starve a live console
        except OSError:
            pass


class Runner:
    """A pool of re-simulation workers. Reusable: start it early (a console can start it when a
    drill begins, to warm the cache), pass it to `stream`/`build`, close it at the end."""

    def __init__(self, workers: int = DEFAULT_WORKERS, nice: int = 0):
        if not 1 <= workers <= 64:
            raise ValueError("workers must be between 1 and 64")
        self.workers = workers
        self.nice = nice
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self, first: SimSpec | None = None) -> Runner:
        """Start the pool. `first`: the spec of the first re-simulation, when starting for it: with
        fork, the session at the clock's start it needs is built here, once, and every worker
        inherits it (each would otherwise build its own: one pre-market per worker)."""
        with self._lock:
            if self._pool is None:
                ctx = _context()
                if first is not None and ctx.get_start_method() == "fork":
                    prime_here(first)
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=ctx, initializer=_init, initargs=(self.nice,)
                )
                for _ in range(self.workers):
                    self._pool.submit(warm)  # starts every worker now and pays its imports
        return self

    def submit(self, spec: SimSpec) -> Future:
        return self._submit(run_sim, spec)

    def submit_group(self, specs: tuple[SimSpec, ...]) -> Future:
        """Specs of one scenario, difficulty and seed, run in one worker from their shared states
        (`sim.run_group`): the future's result is [("ok", figures) or ("error", line)] in order."""
        return self._submit(run_group, tuple(specs))

    def prime(self, spec: SimSpec) -> list[Future]:
        """Have the workers build the session every re-simulation of `spec`'s scenario, difficulty
        and seed forks from (one task per worker; an idle pool gives each worker one)."""
        return [self._submit(prime, spec) for _ in range(self.workers)]

    def submit_warm(self) -> Future:
        """A no-op task: its result says a worker is up, imports paid."""
        return self._submit(warm)

    def _submit(self, fn, *args) -> Future:
        first = args[0] if fn is run_sim else args[0][0] if fn is run_group and args[0] else None
        self.start(first)
        assert self._pool is not None
        try:
            return self._pool.submit(fn, *args)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): a long-lived runner starts a fresh pool.
            self.close()
            self.start()
            assert self._pool is not None
            return self._pool.submit(fn, *args)

    def close(self, wait: bool = False) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)

    def __enter__(self) -> Runner:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
