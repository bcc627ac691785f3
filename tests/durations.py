"""Refresh tests/durations.txt (the suite's order, tests/ordering.py) from a run's `--durations`
report: `pytest --durations=0 -q > run.txt; python -m tests.durations run.txt > tests/durations.txt`.
Each test's setup, call and teardown are added up; tests under a second are left out (they keep
their place in any order)."""

from __future__ import annotations

import re
import sys
from collections import defaultdict

LINE = re.compile(r"^\s*([0-9.]+)s (setup|call|teardown)\s+(\S.*?)\s*$")
KEEP_S = 1.0


def totals(report: str) -> dict[str, float]:
    seconds: dict[str, float] = defaultdict(float)
    for line in report.splitlines():
        m = LINE.match(line)
        if m:
            seconds[m.group(3)] += float(m.group(1))
    return seconds


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.durations PYTEST-OUTPUT", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8", errors="replace") as fh:
        seconds = totals(fh.read())
    print("# seconds test-id: how long each test took in a whole run (python -m tests.durations);")
    print("# tests/ordering.py starts the longest first on every worker. docs/testing.md says how to refresh it.")
    for nodeid, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
        if s >= KEEP_S:
            print(f"{s:.1f} {nodeid}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
