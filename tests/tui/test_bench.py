"""The console bench runs end to end and reports what `drill bench --tui` prints (a short slice
here: the figures themselves are machine-dependent and are not asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from drill.tui.bench import report, run_bench


def test_bench_reports_its_figures(data_dir):
    result = run_bench(seconds=2.0, size=(80, 24))
    for key in ("lag_p50_ms", "lag_p99_ms", "updates_per_s", "startup_s", "screen_updates_per_s"):
        assert isinstance(result[key], float) and result[key] >= 0
    # How many probes fit in two seconds is the machine's load, not the bench: some, each one timed.
    assert result["probes"] >= 3 and result["updates_per_s"] > 0
    # The first frame is timed where the console's first screen update went out; the older figure
    # (a Pilot's pause after it) comes later, and both count the CPU since the process began.
    assert 0 < result["startup_s"] <= result["startup_settled_s"]
    assert result["startup_cpu_s"] > 0
    assert isinstance(result["compiled_from_source"], int) and result["compiled_from_source"] >= 0
    assert result["sim_s_per_wall_s"] > 0 and result["sim_to"] > "09:20:00"
    assert json.loads(report(result, json_out=True))["lag_p99_ms"] == result["lag_p99_ms"]
    assert "event-loop lag" in report(result, json_out=False)
    assert not data_dir.exists()  # the bench's journal went to a temporary directory


def test_the_bench_counts_the_project_modules_it_compiled_from_source(tmp_path):
    # Caches under a fresh prefix. With PYTHONDONTWRITEBYTECODE none is written: every start
    # compiles every module again. Once a start may write them, the next one compiles none.
    code = ("import drill.tui.bench as b, sys\n"
            "print(b.compiled_from_source(), sum(1 for m in sys.modules if m.startswith('drill.')))\n")
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path)}

    def start(dont_write: bool) -> tuple[int, int]:
        env["PYTHONDONTWRITEBYTECODE"] = "1" if dont_write else ""
        run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        cold, modules = map(int, run.stdout.split())
        return cold, modules

    cold, modules = start(dont_write=True)
    assert cold == modules + 1 and start(dont_write=True)[0] == cold  # every drill.* module and drill itself
    start(dont_write=False)
    assert start(dont_write=True)[0] == 0
