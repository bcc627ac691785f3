"""What makes a cold debrief and the console's first frame quicker, and keeps every figure the same:
the drill's own figures cached by the drill itself, and a debrief package that is imported piece by
piece."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from drill.debrief import plan
from drill.debrief.bench import RATIO_CASES
from drill.debrief.build import open_journal, stream
from drill.debrief.cache import Cache
from drill.debrief.sim import run_fresh
from drill.debrief.warm import cache_own_drill
from drill.scenario import load
from drill.session.headless import run_script
from drill.session.script import parse_script

from .conftest import STALE, drill

TIMING = ("elapsed_s", "cpu_s", "branched_at")  # how long it took and where it branched: not a figure
STEERED = (
    "09:20:05 speed 10\n09:29:00 push-hint look at the fleet\n"
    f"09:31:00 inspect {STALE}\n09:31:05 inject nyse-call\n09:40:00 rollback\n09:52:00 stop-all\n"
)


def _figures(result: dict) -> str:
    return json.dumps({k: v for k, v in result.items() if k not in TIMING}, sort_keys=True)


def _played(tmp_path, text: str, difficulty: str) -> tuple:
    """A drill played headless as `drill run` plays it, its own figures cached; (journal, cache)."""
    cache = Cache(tmp_path / "cache")
    journal = tmp_path / "drill.jsonl"
    run_script(load("knightmare"), difficulty, None, parse_script(text), journal,
               on_end=lambda s: cache_own_drill(s, journal, cache))
    return journal, cache


@pytest.mark.parametrize("case", ["ten-commands", "steered"])
def test_the_drills_own_figures_are_its_re_simulation_byte_for_byte(tmp_path, case):
    text, difficulty = (RATIO_CASES[case][2], RATIO_CASES[case][1]) if case in RATIO_CASES else (STEERED, "historical")
    journal, cache = _played(tmp_path, text, difficulty)
    ctx = open_journal(journal)
    spec = plan.trainee_spec(ctx.scenario, ctx.journal)
    cached = cache.get(spec.key())
    assert cached is not None, "the drill did not cache its own figures"
    assert cached.pop("key") == spec.key()
    assert _figures(cached) == _figures(run_fresh(spec))
    assert cached["messages"] and cached["curve"] and len(cached["issued"]) == len(ctx.journal.commands)


def test_a_debrief_starts_from_the_drills_own_figures(tmp_path):
    journal, cache = _played(tmp_path, RATIO_CASES["ten-commands"][2], "standard")
    it = stream(journal, cache=cache, workers=1)
    first = next(it)
    it.close()  # nothing else is needed: the trainee's drill is in before any re-simulation ran
    assert "your own drill, re-simulated" not in first.pending
    assert first.curves and first.curves[0].key == "trainee" and len(first.curves[0].points) > 10


def test_drill_run_caches_the_drills_own_figures_where_the_debrief_looks(tmp_path):
    actions = tmp_path / "a.actions"
    actions.write_text("09:31:30 stop-all\n09:33:00 resolve\n")
    journal = tmp_path / "j.jsonl"
    p = drill("run", "knightmare", "--actions", actions, "--journal", journal, data_dir=tmp_path / "data")
    assert p.returncode == 0, p.stderr
    ctx = open_journal(journal)
    key = plan.trainee_spec(ctx.scenario, ctx.journal).key()
    assert (tmp_path / "data" / "cache" / "debrief" / f"{key}.json").is_file()


def test_the_package_still_offers_every_name_and_build_is_the_function():
    code = (
        "import sys\n"
        "import drill.debrief.build\n"  # the submodule first: the package's `build` stays the function
        "module = sys.modules['drill.debrief.build']\n"
        "import drill.debrief as d\n"
        "from drill.debrief import build\n"
        "assert callable(build) and build is module.build and d.build is module.build, build\n"
        "missing = [n for n in d.__all__ if getattr(d, n, None) is None]\n"
        "print(missing)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
    with pytest.raises(ImportError):
        exec("from drill.debrief import no_such_name", {})
