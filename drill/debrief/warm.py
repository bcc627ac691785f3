"""Warm the cache before a debrief needs it: the re-simulations that do not depend on the trainee
(every containment move, no action at all, the historical and best plays) for one scenario,
difficulty and seed.
A console can call this in a background worker when a drill starts; the debrief that follows then
only re-simulates the trainee's own edits."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, as_completed
from pathlib import Path

from drill.debrief import plan
from drill.debrief.cache import Cache
from drill.debrief.figures import Probe, read
from drill.debrief.runner import Runner
from drill.debrief.sim import own_result
from drill.scenario.loader import LoadedScenario, load
from drill.session.journal import JournalError
from drill.session.journal import read as read_journal
from drill.session.session import Session


def _probe(sc: LoadedScenario, difficulty: str, seed: int, pool: Runner, store: Cache) -> tuple[Probe, int]:
    """When the fault shows in the untouched drill: cached, else run now. And how many ran (0 or 1)."""
    probe = plan.probe_job(sc, difficulty, seed)
    found = store.get(probe.spec.key())
    if found is not None:
        return _as_probe(found), 0
    found = pool.submit(probe.spec).result()
    store.put(probe.spec.key(), found)
    return _as_probe(found), 1


def _as_probe(d: dict) -> Probe:
    result = read(d)
    assert isinstance(result, Probe)  # a probe's spec gives a probe's figures
    return result


def _independent_jobs(sc: LoadedScenario, difficulty: str, seed: int, probe: Probe) -> list[plan.Job]:
    """What does not depend on the trainee: no action, the plays, every containment move."""
    # The drill with no action at all: also the trainee's play without its only command.
    jobs = [plan.Job("none", "none", "no action", plan.base(sc, difficulty, seed))]
    jobs += plan.play_jobs(sc, difficulty, seed)
    if probe.visible is not None:
        jobs += plan.candidate_jobs(sc, difficulty, seed, probe.visible)
    return jobs


def _run_missing(jobs: list[plan.Job], pool: Runner, store: Cache, progress: Callable[[int, int], None] | None) -> int:
    """Run and cache the jobs the cache lacks, reporting (done, total) as they finish; how many ran."""
    report = progress or _quiet
    todo = {j.spec.key(): j for j in jobs if store.get(j.spec.key()) is None}
    done, ran = len(jobs) - len(todo), 0
    report(done, len(jobs))
    futures = {pool.submit(j.spec): key for key, j in todo.items()}
    for f in as_completed(futures):
        ran += _cached(store, futures[f], f)
        done += 1
        report(done, len(jobs))
    return ran


def _quiet(_done: int, _total: int) -> None:
    return None


def _cached(store: Cache, key: str, f: Future) -> int:
    """Cache a finished re-simulation's figures; 1 if it had them, 0 if it failed."""
    try:
        store.put(key, f.result())
    except Exception:  # noqa: BLE001 - the debrief will try again and report it
        return 0
    return 1


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
    pool = runner or Runner(workers, nice=nice)
    try:
        probe, ran = _probe(sc, difficulty, seed, pool, store)
        return ran + _run_missing(_independent_jobs(sc, difficulty, seed, probe), pool, store, progress)
    finally:
        if runner is None:
            pool.close()


def cache_own_drill(session: Session, journal: str | Path, cache: Cache | None = None) -> bool:
    """Put the finished drill's own figures in the cache, under the key of its journal's
    re-simulation: a later `drill debrief` of that journal starts from them instead of
    re-simulating the trainee's morning (one whole morning of its sixteen). Returns whether it
    was stored; a journal that cannot be read back only costs that time later."""
    try:
        spec = plan.trainee_spec(session.scenario, read_journal(journal))
    except (OSError, JournalError):
        return False
    store = cache if cache is not None else Cache()
    store.put(spec.key(), own_result(session, spec))
    return True
