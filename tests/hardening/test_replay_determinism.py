"""Replays that never drift.

1. Random action scripts for every bundled scenario, dealt over its difficulties
   (DRILL_REPLAY_SCRIPTS per scenario; 200 in the full run), each run in two separate processes with different PYTHONHASHSEED values,
   both writing journals: outcomes byte-identical, journals identical but for the time written.
   Every journal is then replayed by `drill replay --json` (in a third process, the test's own,
   batched) and must reproduce its drill exactly; a few go through real `python -m drill replay`
   processes too.
2. Chunking: the same commands at the same sim times give the same outcome and the same journal
   however `advance` is chunked: the console's own SimClock at every speed, with frame jitter,
   pauses, speed changes and late frames, and pathological 1 ms / random chunks.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from drill.session import Session
from drill.session.script import parse_script
from drill.tui.controller import SPEEDS, SimClock
from tests.hardening import support
from tests.hardening.drivers import batch_replay

DRIVERS = support.DRIVERS


def _env(hashseed: str) -> dict:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = hashseed
    env["PYTHONPATH"] = str(support.ROOT)
    return env


def make_jobs(sid: str, n: int, rng: random.Random) -> list[dict]:
    sc = support.scenario(sid)
    check = support.checker(sc)
    diffs = list(sc.spec.difficulties)
    jobs = []
    for k in range(n):
        diff = diffs[k % len(diffs)]
        jobs.append({"scenario": str(support.scenario_dir(sid)), "difficulty": diff, "seed": support.random_seed(rng, sc.spec),
                     "script": support.random_script(rng, sc.spec, None, check), "name": f"{sid}-{diff}-{k}"})
    return jobs


@pytest.mark.parametrize("sid", support.scenario_ids())
def test_random_scripts_same_in_two_processes_and_replay_exactly(sid, tmp_path):
    rng = random.Random(f"{support.SEED}:{sid}")
    jobs = make_jobs(sid, support.REPLAY_SCRIPTS, rng)
    procs = {}
    for tag, hashseed in (("a", "1"), ("b", "4242")):
        d = tmp_path / tag
        d.mkdir()
        tagged = [dict(j, journal=str(d / f"{j['name']}.jsonl")) for j in jobs]
        (d / "jobs.json").write_text(json.dumps(tagged))
        procs[tag] = subprocess.Popen([sys.executable, str(DRIVERS / "batch_run.py"), str(d / "jobs.json"), str(d / "out.json")],
                                      env=_env(hashseed), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for tag, p in procs.items():
        out, err = p.communicate(timeout=3600)
        assert p.returncode == 0, f"driver {tag} failed (seed {support.SEED}):\n{err[-3000:]}"
    a, b = (tmp_path / "a" / "out.json").read_bytes(), (tmp_path / "b" / "out.json").read_bytes()
    assert a == b, f"outcomes differ between processes (DRILL_HARDENING_SEED={support.SEED})"
    outcomes = json.loads(a)
    for job in jobs:
        ja, jb = tmp_path / "a" / f"{job['name']}.jsonl", tmp_path / "b" / f"{job['name']}.jsonl"
        assert support.journal_records(ja) == support.journal_records(jb), f"journals differ: {job['name']}\n{job['script']}"

    # Replayed in this test's own process: a third interpreter, whose hash seed is neither
    # writer's (the batch driver's code, as `drill replay --json` runs it).
    journals = [str(tmp_path / "a" / f"{j['name']}.jsonl") for j in jobs]
    assert batch_replay.main(str(tmp_path / "replay.json"), *journals) == 0
    rows = json.loads((tmp_path / "replay.json").read_text())
    for job, row, outcome in zip(jobs, rows, outcomes):
        assert row["rc"] == 0, f"{job['name']} did not replay (seed {job['seed']}):\n{job['script']}\n{row['stdout']}{row['stderr']}"
        report = json.loads(row["stdout"])
        assert report["ok"] and not report["cut_short"], report["divergence"]
        assert report["outcome"] == outcome, job["name"]
    support.count("replayed scripts", "two processes + replay: identical")

    # A real process, as a user runs it: the last journal of the batch.
    for j in journals[-1:]:
        p = subprocess.run([sys.executable, "-m", "drill", "replay", j], capture_output=True, text=True, timeout=600,
                           cwd=support.ROOT, env=_env("31337"))
        assert p.returncode == 0 and "reproduced exactly" in p.stdout, p.stdout + p.stderr


# -- chunking ---------------------------------------------------------------------------------------
class FakeWall:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def run_reference(sc, diff, seed, lines, journal) -> dict:
    s = Session(sc, diff, seed, journal)
    for ln in lines:
        s.advance_to(ln.at)
        if s.finished:
            break
        support.submit(s, ln.command)
    o = s.run_to_end().to_dict()
    s.close()
    return o


def run_console_like(sc, diff, seed, lines, journal, rng: random.Random, profile: str) -> dict:
    """Drive a session the way the console does: a timer calls SimClock.step_ms() and advances by
    what it returns; a command is typed at its time (the chunk before it is cut there, as a key
    press lands between two frames)."""
    s = Session(sc, diff, seed, journal)
    wall = FakeWall()
    clock = SimClock(rng.choice(SPEEDS), False, wall)
    i = 0
    guard = 0
    while not s.finished:
        guard += 1
        assert guard < 5_000_000, "the clock stopped advancing"
        while i < len(lines) and lines[i].at <= s.now:
            assert lines[i].at == s.now
            support.submit(s, lines[i].command)
            i += 1
            if s.finished:
                break
        if s.finished:
            break
        if profile == "console":
            r = rng.random()
            if r < 0.002:
                clock.toggle()  # pause or resume
            elif r < 0.004:
                clock.set_speed(rng.choice(SPEEDS))
            frame = rng.choice([1 / 60, 1 / 30, 1 / 30, 1 / 10]) * rng.uniform(0.5, 1.5)
            if rng.random() < 0.001:
                frame = rng.uniform(0.3, 5.0)  # a late frame: capped by the clock
            wall.t += frame
            ms = clock.step_ms()
            if clock.paused and rng.random() < 0.05:
                clock.resume()
        elif profile == "tiny-steps":
            ms = rng.choice([0, 1, 1, 2, 3, 7])
        else:  # random chunks, sometimes huge
            ms = rng.choice([0, rng.randint(1, 999), rng.randint(1000, 60_000), rng.randint(1, 30) * 1000])
        target = s.now + ms
        if i < len(lines):
            target = min(target, lines[i].at)
        s.advance_to(target)
    o = s.outcome().to_dict()
    s.close()
    return o


def _chunk_cases():
    cases = []
    for sid, diff in support.scenario_cases():
        for _ in range(support.CHUNK_CASES):
            cases.append((sid, diff, len(cases)))  # the index rotates the profiles over every case
    return cases


@pytest.mark.parametrize("sid, diff, k", _chunk_cases())
def test_chunking_does_not_change_the_drill(sid, diff, k, tmp_path):
    rng = random.Random(f"{support.SEED}:chunk:{sid}:{diff}:{k}")
    # Full scenarios for the console profile; squeezed ones for the ms-by-ms profile (cost).
    profile = ["console", "random", "tiny-steps"][k % 3]
    sc = support.tiny_scenario(sid, tmp_path / "tiny") if profile == "tiny-steps" else support.scenario(sid)
    seed = support.random_seed(rng, sc.spec)
    script = support.random_script(rng, sc.spec, rng.randint(2, 10), support.checker(sc))
    lines = parse_script(script)
    ref = run_reference(sc, diff, seed, lines, tmp_path / "ref.jsonl")
    got = run_console_like(sc, diff, seed, lines, tmp_path / "chunked.jsonl", rng, profile)
    assert got == ref, f"{profile} chunking changed the outcome (seed {seed}):\n{script}"
    assert support.journal_records(tmp_path / "chunked.jsonl") == support.journal_records(tmp_path / "ref.jsonl")
    support.count("chunking", f"{profile}: identical")
