"""Warm the cache before a debrief needs it: the re-simulations that do not depend on the trainee
(every containment move, no action at all, the historical and best plays) for one scenario,
difficulty and seed.
A console can call this in a background worker when a drill starts; the debrief that follows then
only re-simulates the trainee's own edits."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import as_completed
from pathlib import Path

from drill.debrief import plan
from drill.debrief.cache import Cache
from drill.debrief.runner import Runner
from drill.debrief.sim import own_result
from drill.scenario.loader import LoadedScenario, load
from drill.session.journal import JournalError, read
from drill.session.session import Session


def warm_cache(
    scenario: str | LoadedScenario,
    difficulty: str | None = None,
    seed: int | None = None,
    *,
    runner: Runner | None = None,
    workers: int = 1,
    nice: int = 10,
    progress: Callable[[int, int], None] | None = None,
    cache: Cache | None = None,
) -> int:
    """Compute and cache what is missing: the moment the fault shows in the untouched drill, every
    containment move issued then, the drill with no action, the historical and best plays. Returns
    how many re-simulations ran. Blocking: run it in a worker thread. By default one low-priority
    worker process, so a live drill keeps its CPU."""
    sc = load(scenario) if isinstance(scenario, str) else scenario
    difficulty = difficulty or sc.spec.default_difficulty
    seed = sc.spec.seed if seed is None else seed
    store = cache if cache is not None else Cache()
    own = runner is None
    pool = runner or Runner(workers, nice=nice)
    ran = 0
    try:
        probe = plan.probe_job(sc, difficulty, seed)
        found = store.get(probe.spec.key())
        if found is None:
            found = pool.submit(probe.spec).result()
            store.put(probe.spec.key(), found)
            ran += 1
        # The drill with no action at all: also the trainee's play without its only command.
        jobs = [plan.Job("none", "none", "no action", plan.base(sc, difficulty, seed))]
        jobs += plan.play_jobs(sc, difficulty, seed)
        if found.get("visible"):
            jobs += plan.candidate_jobs(sc, difficulty, seed, found["visible"])
        todo = {j.spec.key(): j for j in jobs if store.get(j.spec.key()) is None}
        done = len(jobs) - len(todo)
        if progress:
            progress(done, len(jobs))
        futures = {pool.submit(j.spec): key for key, j in todo.items()}
        for f in as_completed(futures):
            try:
                store.put(futures[f], f.result())
                ran += 1
            except Exception:
                pass  # the debrief will try again and report it
            done += 1
            if progress:
                progress(done, len(jobs))
    finally:
        if own:
            pool.close()
    return ran


def cache_own_drill(session: Session, journal: str | Path, cache: Cache | None = None) -> bool:
    """Put the finished drill's own figures in the cache, under the key of its journal's
    re-simulation: a later `drill debrief` of that journal starts from them instead of
    re-simulating the trainee's morning (one whole morning of its sixteen). Returns whether it
    was stored; a journal that cannot be read back only costs that time later."""
    try:
        spec = plan.trainee_spec(session.scenario, read(journal))
    except (OSError, JournalError):
        return False
    store = cache if cache is not None else Cache()
    store.put(spec.key(), own_result(session, spec))
    return True
