"""Time the debrief: how long until the first Debrief, and until every counterfactual is in.

    python -m drill.debrief.bench [--repeat 5] [--json]
    python -m drill.debrief.bench --ratio cancel-loop [--repeat 3]   # cold `drill debrief` / `drill run`
    python -m drill.debrief.bench --sharing ten-commands [--repeat 2] # CPU: branching tree / each alone
    python -m drill.debrief.bench --validate [--repeat 3]             # `drill validate` / `drill run`

Cases: the rollback-trap journal (historical) and a typical console trainee (standard difficulty:
diagnose, stop, fix, restart, resolve). Each is timed cold (empty cache), with the cache holding
the trainee-independent results (what `warm_cache` or any earlier debrief of the same scenario,
difficulty and seed leaves), and as the console would run it (that cache, a pool already started,
and the finished Session handed over instead of re-simulating the trainee's drill).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from drill.debrief.build import stream
from drill.debrief.cache import Cache
from drill.debrief.runner import Runner
from drill.debrief.warm import warm_cache
from drill.scenario import load
from drill.session import Session
from drill.session.script import parse_script
from drill.timefmt import fmt_clock, parse_clock

CASES = {
    "rollback-trap": ("historical", "09:40:00 rollback\n"),
    "console-trainee": (
        "standard",
        "09:30:40 diff-deploy\n09:31:20 inspect smars-8\n09:31:40 stop smars-8\n"
        "09:32:10 deploy smars-8\n09:35:20 start smars-8\n09:36:00 resolve\n",
    ),
}


def _session(sc, difficulty: str, text: str, journal: Path) -> Session:
    s = Session(sc, difficulty, None, journal=journal)
    for line in parse_script(text):
        s.advance_to(line.at)
        if s.finished:
            break
        s.submit(line.command)
    if not s.finished:
        s.run_to_end()
    return s


def _new_results(cache: Cache, before: set[str]) -> list[Path]:
    return [p for p in cache.root.glob("*.json") if p.name not in before]


def _time(journal: Path, cache: Cache, **kw) -> tuple[float, float, int, list[float]]:
    t0 = time.perf_counter()
    first = None
    d = None
    before = {p.name for p in cache.root.glob("*.json")} if cache.root.is_dir() else set()
    for d in stream(journal, cache=cache, **kw):  # noqa: B007 -- the last one is read after the loop
        first = first or time.perf_counter() - t0
    assert d is not None and d.complete
    wall = time.perf_counter() - t0
    # CPU seconds of each re-simulation this run computed (read back from the cache it filled).
    cpu = [json.loads(p.read_text()).get("cpu_s", 0.0) for p in _new_results(cache, before)]
    return first or 0.0, wall, d.total, cpu


def _makespan(cpu: list[float], workers: int) -> float:
    """Longest-first onto the least loaded worker: the wall time on idle cores, pool start aside."""
    loads = [0.0] * workers
    for c in sorted(cpu, reverse=True):
        loads[loads.index(min(loads))] += c
    return max(loads)


MODES = ("cold", "references cached", "console")


def _run_once(
    mode: str, journal: Path, cache: Cache, session: Session, workers: int
) -> tuple[float, float, int, list[float]]:
    """One timed debrief: cold or from cached references with a pool of its own, or as the console
    runs it (a pool already started, the finished Session handed over)."""
    if mode != "console":
        return _time(journal, cache, workers=workers)
    with Runner(workers) as runner:
        # The console starts its pool when the drill starts: not part of the wait.
        for f in [runner.submit_warm() for _ in range(workers)]:
            f.result()
        return _time(journal, cache, session=session, runner=runner)


def _mode(mode: str, root: Path, name: str, journal: Path, session: Session, repeat: int, workers: int) -> dict:
    """The medians of `repeat` timed debriefs in one mode."""
    firsts, totals, jobs, cpus, spans = [], [], 0, [], []
    refs = root / f"refs-{name}"
    for i in range(repeat):
        cache_dir = root / f"cache-{name}-{mode}-{i}"
        if mode != "cold":
            shutil.copytree(refs, cache_dir)
        first, total, jobs, cpu = _run_once(mode, journal, Cache(cache_dir), session, workers)
        firsts.append(first)
        totals.append(total)
        cpus.append(sum(cpu))
        spans.append(_makespan(cpu, workers))
    return {
        "first_s": round(statistics.median(firsts), 3),
        "complete_s": round(statistics.median(totals), 3),
        "complete_runs_s": [round(t, 3) for t in totals],
        "jobs": jobs,
        "computed": len(cpu),
        "cpu_s": round(statistics.median(cpus), 3),
        "idle_makespan_s": round(statistics.median(spans), 3),
    }


def bench(repeat: int = 5, workers: int = 2, scenario: str = "knightmare") -> dict:
    sc = load(scenario)
    out: dict = {
        "repeat": repeat,
        "workers": workers,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "cases": {},
    }
    with tempfile.TemporaryDirectory(prefix="drill-bench-") as tmp:
        root = Path(tmp)
        for name, (difficulty, text) in CASES.items():
            journal = root / f"{name}.jsonl"
            session = _session(sc, difficulty, text, journal)
            warm_cache(sc, difficulty, None, workers=workers, nice=0, cache=Cache(root / f"refs-{name}"))
            results = {mode: _mode(mode, root, name, journal, session, repeat, workers) for mode in MODES}
            out["cases"][name] = {"difficulty": difficulty, "commands": text.strip().splitlines(), **results}
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


# Journals for the ratio of a cold `drill debrief` to the `drill run` that wrote the journal.
RATIO_CASES = {
    # The blind policy: cancel-open every 11 s from the clock's start (each has finished before the
    # next, so none is refused as already running), 300 market-changing commands.
    "cancel-loop": (
        "knightmare",
        "historical",
        "".join(f"{fmt_clock(parse_clock('09:20:01') + 11_000 * i)} cancel-open\n" for i in range(300)),
    ),
    # A ten-command trainee in standard: look, stop, fix, restart, and a few checks on the way.
    "ten-commands": (
        "knightmare",
        "standard",
        "09:30:20 diff-deploy\n09:30:55 inspect smars-8\n09:31:10 logs smars-8\n09:31:30 stop smars-8\n"
        "09:31:40 ack A1\n09:32:00 deploy smars-8\n09:35:10 inspect smars-8\n09:35:30 start smars-8\n"
        "09:36:00 diff-deploy\n09:37:00 resolve\n",
    ),
}


def _timed(env: dict, *args: str) -> tuple[float, float]:
    """Wall seconds of `drill ARGS` in a fresh process, and CPU seconds of it and every process it
    started (its workers, the branches they forked: each is waited for, so each is counted)."""
    import subprocess
    import sys

    c0 = _children_cpu()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "drill", *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - t0, _children_cpu() - c0


def _ratio_run(case: str, root: Path, i: int, workers: int) -> dict:
    """One `drill run` of the case, then a cold `drill debrief` of its journal, back to back."""
    scenario, difficulty, _ = RATIO_CASES[case]
    env = dict(os.environ, DRILL_DATA_DIR=str(root / f"data-{i}"))
    journal, out = root / f"{case}-{i}.jsonl", root / f"{case}-{i}.json"
    actions = str(root / f"{case}.actions")
    run_s, run_cpu = _timed(
        env, "run", scenario, "--difficulty", difficulty, "--actions", actions, "--journal", str(journal)
    )
    debrief_s, debrief_cpu = _timed(
        env, "debrief", str(journal), "--format", "json", "--out", str(out), "--workers", str(workers)
    )
    pair = _pair("debrief", run_s, run_cpu, debrief_s, debrief_cpu)
    return {**pair, "resimulations": json.loads(out.read_text())["total"]}


def _pair(name: str, run_s: float, run_cpu: float, other_s: float, other_cpu: float) -> dict:
    """One `drill run` and the command timed against it (`name`: debrief, validate): wall and CPU
    of each, and the other's over the run's."""
    return {
        "run_s": round(run_s, 3),
        f"{name}_s": round(other_s, 3),
        "ratio": round(other_s / run_s, 2),
        "run_cpu_s": round(run_cpu, 3),
        f"{name}_cpu_s": round(other_cpu, 3),
        "cpu_ratio": round(other_cpu / run_cpu, 2) if run_cpu else None,
    }


def ratio(case: str, repeat: int = 3, workers: int = 2) -> dict:
    """Wall time of a cold `drill debrief JOURNAL --format json` (its own pool, and a cache empty but
    for what the `drill run` before it stored there: the drill's own figures) against the `drill run`
    that wrote the journal, measured back to back as two fresh processes in one data directory."""
    scenario, difficulty, text = RATIO_CASES[case]
    with tempfile.TemporaryDirectory(prefix="drill-ratio-") as tmp:
        root = Path(tmp)
        (root / f"{case}.actions").write_text(text)
        runs = [_ratio_run(case, root, i, workers) for i in range(repeat)]
    return {
        "case": case,
        "scenario": scenario,
        "difficulty": difficulty,
        "commands": len(text.splitlines()),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
        "median_ratio": statistics.median(r["ratio"] for r in runs),
        "median_cpu_ratio": statistics.median(r["cpu_ratio"] or 0.0 for r in runs),
    }


def validate_ratio(repeat: int = 3, scenario: str = "knightmare") -> dict:
    """Wall time of `drill validate SCENARIO_DIR` against one `drill run SCENARIO` (its default
    difficulty, no commands: the drill a new author runs first), back to back as two fresh processes,
    `repeat` pairs; CPU of each process and every process it started."""
    directory = str(load(scenario).directory)
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="drill-validate-") as tmp:
        env = dict(os.environ, DRILL_DATA_DIR=tmp)
        for i in range(repeat):
            run_s, run_cpu = _timed(env, "run", scenario, "--journal", str(Path(tmp) / f"run-{i}.jsonl"))
            validate_s, validate_cpu = _timed(env, "validate", directory)
            runs.append(_pair("validate", run_s, run_cpu, validate_s, validate_cpu))
    return {
        "scenario": scenario,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "runs": runs,
        "median_ratio": statistics.median(r["ratio"] for r in runs),
        "median_cpu_ratio": statistics.median(r["cpu_ratio"] or 0.0 for r in runs),
    }


def validate_lines(r: dict) -> list[str]:
    """The validate bench, as lines to print."""
    lines = [
        f"drill validate {r['scenario']} / drill run {r['scenario']}; {r['cpus']} CPUs, load average {r['load_average']}"
    ]
    for x in r["runs"]:
        lines.append(
            f"  drill run {x['run_s']:6.2f} s   drill validate {x['validate_s']:6.2f} s   ratio {x['ratio']:5.2f}   "
            f"(CPU {x['run_cpu_s']:.2f} s / {x['validate_cpu_s']:.2f} s = {x['cpu_ratio']})"
        )
    lines.append(f"  median ratio {r['median_ratio']:.2f} (wall), {r['median_cpu_ratio']:.2f} (CPU)")
    return lines


def sharing(case: str = "ten-commands", repeat: int = 2) -> dict:
    """CPU of one journal's trainee-dependent what-ifs and its plays, run as one branching tree
    (`Runner.submit_group`) against each on its own (forked from the clock's start): each way in a
    fresh one-worker pool, counted once the pool is joined (the worker and every branch it forked)."""
    from drill.debrief import plan
    from drill.debrief.build import open_journal

    scenario, difficulty, text = RATIO_CASES[case]
    sc = load(scenario)
    out: dict = {
        "case": case,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "tree_cpu_s": [],
        "each_cpu_s": [],
    }
    with tempfile.TemporaryDirectory(prefix="drill-sharing-") as tmp:
        journal = Path(tmp) / f"{case}.jsonl"
        _session(sc, difficulty, text, journal).close()
        ctx = open_journal(journal)
        facts = plan.facts_from_journal(ctx.journal)
        assert facts is not None  # the session above ran to its end
        trainee = plan.trainee_spec(sc, ctx.journal)
        jobs = [
            plan.Job("trainee", "trainee", "", trainee),
            *plan.without_jobs(trainee, facts),
            *plan.earlier_jobs(sc, trainee, facts),
            *plan.play_jobs(sc, difficulty, ctx.seed),
        ]
        specs = tuple(j.spec for j in jobs)
        out["specs"] = len(specs)
        for _ in range(repeat):
            for mode in ("tree", "each"):
                c0 = _children_cpu()
                runner = Runner(1).start()
                try:
                    if mode == "tree":
                        runner.submit_group(specs).result()
                    else:
                        for spec in specs:
                            runner.submit(spec).result()
                finally:
                    runner.close(wait=True)
                out[f"{mode}_cpu_s"].append(round(_children_cpu() - c0, 3))
    out["saved"] = round(1 - statistics.median(out["tree_cpu_s"]) / statistics.median(out["each_cpu_s"]), 3)
    return out


def _children_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def ratio_lines(r: dict) -> list[str]:
    """The ratio bench, as lines to print."""
    lines = [
        f"{r['case']}: {r['commands']} commands, {r['scenario']} {r['difficulty']}; {r['cpus']} CPUs, "
        f"load average {r['load_average']}"
    ]
    for x in r["runs"]:
        lines.append(
            f"  drill run {x['run_s']:6.2f} s   drill debrief {x['debrief_s']:6.2f} s   ratio {x['ratio']:5.2f}   "
            f"(CPU {x['run_cpu_s']:.2f} s / {x['debrief_cpu_s']:.2f} s = {x['cpu_ratio']}; "
            f"{x['resimulations']} re-simulations)"
        )
    lines.append(f"  median ratio {r['median_ratio']:.2f} (wall), {r['median_cpu_ratio']:.2f} (CPU)")
    return lines


def _print_sharing(r: dict, as_json: bool) -> None:
    print(
        json.dumps(r, indent=2)
        if as_json
        else f"{r['case']}: {r['specs']} what-ifs, CPU as one branching tree {r['tree_cpu_s']} s, each alone "
        f"{r['each_cpu_s']} s: {r['saved']:.1%} saved; load average {r['load_average']}"
    )


def _print_ratio(r: dict, as_json: bool) -> None:
    print(json.dumps(r, indent=2) if as_json else "\n".join(ratio_lines(r)))


def _print_bench(r: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(r, indent=2))
        return
    print(
        f"{r['cpus']} CPUs, {r['workers']} workers, median of {r['repeat']}; load average before {r['load_average_before']}, after {r['load_average_after']}"
    )
    for name, c in r["cases"].items():
        print(f"{name} ({c['difficulty']}): {'; '.join(c['commands'])}")
        for mode in MODES:
            m = c[mode]
            print(
                f"  {mode:<18} first debrief {m['first_s']:5.2f} s   all in {m['complete_s']:6.2f} s   "
                f"({m['computed']} of {m['jobs']} re-simulated, {m['cpu_s']:.2f} CPU s; on {r['workers']} idle cores "
                f"{m['idle_makespan_s']:.2f} s)"
            )


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m drill.debrief.bench")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scenario", default="knightmare", help="a bundled id or a knightmare-like scenario directory")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--ratio", choices=sorted(RATIO_CASES), help="time a cold `drill debrief` against `drill run`")
    ap.add_argument(
        "--sharing", choices=sorted(RATIO_CASES), help="CPU of the what-ifs as one branching tree, and each alone"
    )
    ap.add_argument("--validate", action="store_true", help="time `drill validate` against one `drill run`")
    args = ap.parse_args()
    if args.validate:
        r = validate_ratio(args.repeat, args.scenario)
        print(json.dumps(r, indent=2) if args.json else "\n".join(validate_lines(r)))
    elif args.sharing:
        _print_sharing(sharing(args.sharing, args.repeat), args.json)
    elif args.ratio:
        _print_ratio(ratio(args.ratio, args.repeat, args.workers), args.json)
    else:
        _print_bench(bench(args.repeat, args.workers, args.scenario), args.json)


if __name__ == "__main__":
    main()
