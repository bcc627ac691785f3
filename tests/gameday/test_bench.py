"""Ten served drills at once on this machine stay responsive at 1x (the figures for
docs/gameday.md come from `python -m drill.gameday.bench`; this keeps them honest in CI).

The test measures this program, not its neighbours: if other processes already take more than half
of the machine's CPU when it starts, it skips and says so (the figures would measure them)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from drill.gameday.bench import report, run
from drill.tui.screens.console import RENDER_AFTER_SIM_MS


def idle_share(seconds: float = 2.0) -> float | None:
    """The share of all CPUs left idle over `seconds` (Linux /proc/stat), or None."""
    def sample():
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total
    try:
        idle0, total0 = sample()
        time.sleep(seconds)
        idle1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return (idle1 - idle0) / max(1, total1 - total0)


@pytest.mark.slow
def test_ten_served_drills_keep_pace_and_answer_keys():
    idle = idle_share()
    if idle is not None and idle < 0.5:
        pytest.skip(f"other processes are using {1 - idle:.0%} of this machine's CPU: "
                    "a ten-drill measurement now would measure them")
    r = run(drills=10, seconds=15)
    print(report(r))
    assert r["sim_pace_min"] >= 0.85  # every drill's clock keeps up with the wall at 1x
    assert r["echo_p50_ms"] <= 250 and r["echo_samples"] >= 30  # a keystroke shows within a frame or so
    # At 1x a console renders once 100 ms of sim time are owed (issue 11 part 6): ten frames a
    # second at most, where it drew up to 30 before; at least half of them, as it was 10 of 30.
    assert r["console_frames_per_s_min"] >= 1000 / RENDER_AFTER_SIM_MS / 2
    assert r["lag_p99_ms_median"] <= 500
