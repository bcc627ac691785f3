"""Long runs: four simulated hours of a headless drill (tools/soak.py, in a fresh process so the
figures are the drill's alone) with the fault never contained, a diagnostic command every five
simulated minutes and a snapshot every ten simulated seconds. Memory stays flat and the last
hour costs about what the first did. The heavier variant (tracemalloc on, a snapshot every
simulated second, as a console at 1x takes them) is marked heavy: it runs before a release
(`.ci/heavy`, docs/testing.md), the untraced soak in every run."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.hardening import support

SOAK = support.ROOT / "tools" / "soak.py"


def run_soak(*args: str) -> dict:
    p = subprocess.run([sys.executable, str(SOAK), "--json", *args], capture_output=True, text=True, timeout=1800,
                       cwd=support.ROOT)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


def check_flat(result: dict, max_growth_mb: float, max_slowdown: float) -> None:
    hours = result["hours_detail"]
    assert len(hours) == 4, hours
    first, last = hours[0], hours[-1]
    growth = last["rss_mb"] - first["rss_mb"]
    assert growth < max_growth_mb, f"RSS grew {growth:.1f} MB from hour 1 to hour 4: {hours}"
    assert last["peak_rss_mb"] < 400, hours
    # CPU time, not wall: the machine is shared. Hour 1 includes the pre-open minutes (cheap), so
    # compare the last hour with the mean of the middle ones as well as with the first.
    middle = sum(h["cpu_s"] for h in hours[1:3]) / 2
    assert last["cpu_s"] < max_slowdown * max(first["cpu_s"], middle), f"the last hour is much slower: {hours}"


def test_four_simulated_hours_memory_flat_no_slowdown():
    result = run_soak("--hours", "4", "--snapshot-every-s", "10", "--command-every-min", "5")
    check_flat(result, max_growth_mb=16, max_slowdown=2.0)
    support.count("soak 4h", "flat")


@pytest.mark.heavy
def test_four_simulated_hours_traced_heap_flat_with_console_rate_snapshots():
    result = run_soak("--hours", "4", "--snapshot-every-s", "1", "--command-every-min", "1", "--tracemalloc")
    check_flat(result, max_growth_mb=24, max_slowdown=2.5)
    hours = result["hours_detail"]
    assert hours[-1]["traced_mb"] - hours[0]["traced_mb"] < 8, hours
    support.count("soak 4h (traced)", "flat")
