"""The journal: one JSON object per line, written and flushed as the drill runs, so a killed
process loses nothing it had already done. Records:

  header   scenario id, content hash and path, difficulty, seed, program version
  command  seq, t (ms since midnight ET), at (HH:MM:SS), command text
  result   seq, t, status, result text (when the action finishes, or at once when refused)
  end      t, reason, outcome
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = 1
MAX_JOURNAL_BYTES = 50_000_000


class JournalError(Exception):
    """A journal that cannot be read: str() is one line naming the file and the line."""


class JournalWriter:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w", encoding="utf-8")

    def write(self, record: dict) -> None:
        self._fh.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._fh.flush()  # per line: a SIGKILL after this loses nothing written

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()


@dataclass
class Journal:
    path: Path
    header: dict
    commands: list[dict] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)
    end: dict | None = None


def read(path: str | Path) -> Journal:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_JOURNAL_BYTES:
            raise JournalError(f"{p}: file: larger than {MAX_JOURNAL_BYTES:,} bytes, refused")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JournalError(f"{p}: file: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise JournalError(f"{p}: file: cannot read ({exc})") from None
    header = None
    journal: Journal | None = None
    lines = text.split("\n")
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            if n == len(lines):
                break  # a torn last line (no newline yet) from a killed process: the rest stands
            raise JournalError(f"{p}: line {n}: not valid JSON ({exc.msg})") from None
        if not isinstance(rec, dict) or not isinstance(rec.get("type"), str):
            raise JournalError(f"{p}: line {n}: expected an object with a 'type'")
        kind = rec["type"]
        if header is None:
            if kind != "header":
                raise JournalError(f"{p}: line {n}: the first record must be the header")
            for key, typ in (("scenario", str), ("scenario_hash", str), ("difficulty", str), ("seed", int), ("format", int)):
                if not isinstance(rec.get(key), typ) or isinstance(rec.get(key), bool):
                    raise JournalError(f"{p}: line {n}: header.{key}: missing or not a {typ.__name__}")
            if rec["format"] != FORMAT:
                raise JournalError(f"{p}: line {n}: header.format: {rec['format']} is not supported (this program reads {FORMAT})")
            header = rec
            journal = Journal(p, header)
            continue
        assert journal is not None
        if kind == "command":
            if not isinstance(rec.get("t"), int) or not isinstance(rec.get("command"), str) or not isinstance(rec.get("seq"), int):
                raise JournalError(f"{p}: line {n}: command: needs seq, t (integer ms) and command")
            if journal.commands and rec["t"] < journal.commands[-1]["t"]:
                raise JournalError(f"{p}: line {n}: command: time goes backwards")
            journal.commands.append(rec)
        elif kind == "result":
            journal.results.append(rec)
        elif kind == "end":
            if not isinstance(rec.get("t"), int) or not isinstance(rec.get("outcome"), dict):
                raise JournalError(f"{p}: line {n}: end: needs t and outcome")
            journal.end = rec
        else:
            raise JournalError(f"{p}: line {n}: unknown record type {kind!r}")
    if journal is None:
        raise JournalError(f"{p}: line 1: empty journal (no header)")
    return journal
