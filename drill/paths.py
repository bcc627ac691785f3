"""Where drill keeps its files on this machine: a per-user data directory (platformdirs)."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    # DRILL_DATA_DIR lets tests, CI and shared game-day machines point everything elsewhere.
    override = os.environ.get("DRILL_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("drill", appauthor=False))


def default_journal_path(scenario_id: str) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return data_dir() / "journals" / f"{scenario_id}-{stamp}.jsonl"
