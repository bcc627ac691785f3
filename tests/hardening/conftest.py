"""The hardening suite's knobs and its summary line: how many cases each fuzzer ran, and how they
ended (documented errors, successes, known bugs tolerated)."""

from __future__ import annotations

import json
import os

import pytest

from tests.hardening import support
from tests.hardening.support import STATS


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not STATS:
        return
    tr = terminalreporter
    tr.write_sep("-", "hardening: cases per fuzzed entry point")
    tr.write_line(f"DRILL_FUZZ_EXAMPLES={support.FUZZ_EXAMPLES} DRILL_HARDENING_SEED={support.SEED} "
                  f"strict={support.STRICT}")
    for entry in sorted(STATS):
        c = STATS[entry]
        rest = ", ".join(f"{k} {v}" for k, v in sorted(c.items()) if k != "cases")
        tr.write_line(f"{entry:<22} {c['cases']:>7} cases  ({rest})")
    out = os.environ.get("DRILL_FUZZ_STATS")
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump({k: dict(v) for k, v in STATS.items()}, fh, indent=2, sort_keys=True)


def pytest_collection_modifyitems(config, items):
    """Heavy variants (marked slow) run by hand: DRILL_SLOW=1, or `-m slow`. The default run of
    the hardening suite stays within a few minutes."""
    if os.environ.get("DRILL_SLOW", "") not in ("", "0") or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="heavy variant: run with DRILL_SLOW=1 (docs/RELIABILITY.md)")
    for item in items:
        if "slow" in item.keywords and "tests/hardening" in str(item.fspath):
            item.add_marker(skip)
