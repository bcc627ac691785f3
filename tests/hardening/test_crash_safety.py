"""Crash safety: a real process running a drill with a journal, SIGKILLed mid-run.

The driver (drivers/slow_drill.py) advances slowly, as a console does, and prints a line after
each command it journaled. The test kills it at chosen moments (right after the k-th command,
or at a random instant between steps), then checks that every command printed before the kill
is in the journal with its sequence number, time and text; that the journal reads; and that
`drill replay` reproduces the drill up to that point, exits 0 and says it was cut short.
(The results database's share of crash safety belongs to tests/results.)"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from drill.session.journal import read
from tests.hardening import support

KILLS = [("after", 1), ("after", 3), ("after", 6), ("random", 0), ("random", 1)]


def _script(sid: str, rng: random.Random) -> str:
    sc = support.scenario(sid)
    check = support.checker(sc)
    spec = sc.spec
    # Commands spread from the start to half-way: the kill lands while the drill runs.
    start, mid = spec.clock.start, (spec.clock.start + spec.clock.end) // 2
    times = sorted(rng.randint(start // 1000, mid // 1000) * 1000 for _ in range(8))
    cmds = []
    while len(cmds) < 8:
        c = support.random_commands(rng, spec, 1, check)[0]
        if not c.startswith("resolve"):
            cmds.append(c)
    from drill.timefmt import fmt_clock

    return "".join(f"{fmt_clock(t)} {c}\n" for t, c in zip(times, cmds))


@pytest.mark.parametrize("how, k", KILLS, ids=[f"{h}-{k}" for h, k in KILLS])
def test_sigkill_loses_nothing_journaled_and_replays_cut_short(how, k, tmp_path):
    sid = support.scenario_ids()[k % len(support.scenario_ids())]
    rng = random.Random(f"{support.SEED}:kill:{how}:{k}")
    script = tmp_path / "s.actions"
    script.write_text(_script(sid, rng))
    journal = tmp_path / "j.jsonl"
    diff = rng.choice(list(support.scenario(sid).spec.difficulties))
    env = dict(os.environ, PYTHONPATH=str(support.ROOT))
    proc = subprocess.Popen(
        [sys.executable, str(support.DRIVERS / "slow_drill.py"), str(support.scenario_dir(sid)), diff, "-", str(journal), str(script), "250", "0.001"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    printed: list[tuple[int, int, str]] = []
    try:
        first = proc.stdout.readline()
        assert first.startswith("STARTED"), first + proc.stderr.read()
        if how == "after":
            while len(printed) < k:
                line = proc.stdout.readline()
                assert line.startswith("JOURNALED"), line + proc.stderr.read()
                _, seq, t, cmd = line.rstrip("\n").split(" ", 3)
                printed.append((int(seq), int(t), cmd))
        else:
            time.sleep(rng.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        # Whatever it printed before dying counts too (the pipe keeps it).
        for line in proc.stdout.read().splitlines():
            if line.startswith("JOURNALED"):
                _, seq, t, cmd = line.split(" ", 3)
                printed.append((int(seq), int(t), cmd))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the drill ended before the kill: slow it down"

    j = read(journal)
    assert j.end is None
    got = [(c["seq"], c["t"], c["command"]) for c in j.commands]
    assert got[: len(printed)] == printed, "a command journaled before the kill is missing"
    p = subprocess.run([sys.executable, "-m", "drill", "replay", str(journal)], capture_output=True, text=True,
                       timeout=600, cwd=support.ROOT, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "cut short" in p.stdout and "reproduced exactly" in p.stdout, p.stdout
    pj = subprocess.run([sys.executable, "-m", "drill", "replay", str(journal), "--json"], capture_output=True,
                        text=True, timeout=600, cwd=support.ROOT, env=env)
    report = json.loads(pj.stdout)
    assert report["ok"] and report["cut_short"] and report["checked_commands"] == len(j.commands)
    support.count("crash (SIGKILL)", f"{len(j.commands)} cmds journaled, replayed cut short")
