"""The debrief's result cache: one JSON file per re-simulation, named by the spec's content key
(scenario content hash, difficulty, seed, the commands, and a fingerprint of the engine), in the
data directory. A key never changes meaning, so entries are never invalidated, only pruned."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from drill.paths import data_dir

MAX_ENTRIES = 2000


class Cache:
    def __init__(self, root: Path | None = None, enabled: bool = True):
        self.root = root if root is not None else data_dir() / "cache" / "debrief"
        self.enabled = enabled

    def _path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def get(self, key: str) -> dict | None:
        if not self.enabled:
            return None
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # missing, unreadable or torn: compute it again
        return data if isinstance(data, dict) and data.get("key") == key else None

    def put(self, key: str, result: dict) -> None:
        if not self.enabled:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({**result, "key": key}, fh, separators=(",", ":"))
            os.replace(tmp, self._path(key))  # readers see the old file or the new one, never half
            self._prune()
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _prune(self) -> None:
        try:
            entries = [p for p in self.root.glob("*.json")]
            if len(entries) <= MAX_ENTRIES:
                return
            entries.sort(key=lambda p: p.stat().st_mtime)
            for p in entries[: len(entries) - MAX_ENTRIES]:
                p.unlink(missing_ok=True)
        except OSError:
            pass
