"""The console bench runs end to end and reports what `drill bench --tui` prints (a short slice
here: the figures themselves are machine-dependent and are not asserted)."""

from __future__ import annotations

import json

from drill.tui.bench import report, run_bench


def test_bench_reports_its_figures(data_dir):
    result = run_bench(seconds=2.0, size=(80, 24))
    for key in ("lag_p50_ms", "lag_p99_ms", "updates_per_s", "startup_s", "screen_updates_per_s"):
        assert isinstance(result[key], float) and result[key] >= 0
    # How many probes fit in two seconds is the machine's load, not the bench: some, each one timed.
    assert result["probes"] >= 3 and result["updates_per_s"] > 0
    assert result["sim_s_per_wall_s"] > 0 and result["sim_to"] > "09:20:00"
    assert json.loads(report(result, json_out=True))["lag_p99_ms"] == result["lag_p99_ms"]
    assert "event-loop lag" in report(result, json_out=False)
    assert not data_dir.exists()  # the bench's journal went to a temporary directory
