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

from drill.paths import open_for_writing

FORMAT = 1
MAX_JOURNAL_BYTES = 50_000_000
MAX_JOURNAL_COMMANDS = 20_000  # far beyond any drill; replaying more would take minutes


class JournalError(Exception):
    """A journal that cannot be read: str() is one line naming the file and the line."""


class JournalWriter:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open_for_writing(self.path)  # never waits on a FIFO; refuses all but a regular file

    def write(self, record: dict) -> None:
        self._fh.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._fh.flush()  # per line: a SIGKILL after this loses nothing written

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            try:
                os.fsync(self._fh.fileno())
            except OSError:
                pass  # /dev/null, a pipe: nothing to make durable
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
    shown = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in str(p))
    try:
        if p.exists() and not p.is_file():
            raise JournalError(f"{shown}: file: not a regular file")
        if p.stat().st_size > MAX_JOURNAL_BYTES:
            raise JournalError(f"{shown}: file: larger than {MAX_JOURNAL_BYTES:,} bytes, refused")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JournalError(f"{shown}: file: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise JournalError(f"{shown}: file: cannot read ({exc})") from None
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
            raise JournalError(f"{shown}: line {n}: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise JournalError(f"{shown}: line {n}: nested too deeply") from None
        except ValueError as exc:  # an integer of thousands of digits
            raise JournalError(f"{shown}: line {n}: {exc}") from None
        if not isinstance(rec, dict) or not isinstance(rec.get("type"), str):
            raise JournalError(f"{shown}: line {n}: expected an object with a 'type'")
        kind = rec["type"]
        if header is None:
            if kind != "header":
                raise JournalError(f"{shown}: line {n}: the first record must be the header")
            for key, typ in (("scenario", str), ("scenario_hash", str), ("difficulty", str), ("seed", int), ("format", int)):
                if not isinstance(rec.get(key), typ) or isinstance(rec.get(key), bool):
                    raise JournalError(f"{shown}: line {n}: header.{key}: missing or not a {typ.__name__}")
            if rec["format"] != FORMAT:
                raise JournalError(f"{shown}: line {n}: header.format: {rec['format']} is not supported (this program reads {FORMAT})")
            header = rec
            journal = Journal(p, header)
            continue
        assert journal is not None
        if kind == "command":
            if not isinstance(rec.get("t"), int) or not isinstance(rec.get("command"), str) or not isinstance(rec.get("seq"), int):
                raise JournalError(f"{shown}: line {n}: command: needs seq, t (integer ms) and command")
            if journal.commands and rec["t"] < journal.commands[-1]["t"]:
                raise JournalError(f"{shown}: line {n}: command: time goes backwards")
            if rec.get("by", "trainee") not in ("trainee", "facilitator"):
                raise JournalError(f"{shown}: line {n}: command.by: must be trainee or facilitator")
            journal.commands.append(rec)
            if len(journal.commands) > MAX_JOURNAL_COMMANDS:
                raise JournalError(f"{shown}: line {n}: more than {MAX_JOURNAL_COMMANDS:,} commands, refused")
        elif kind == "result":
            if not isinstance(rec.get("seq"), int) or isinstance(rec.get("seq"), bool):
                raise JournalError(f"{shown}: line {n}: result.seq: missing or not an integer")
            if not (rec.get("t") is None or (isinstance(rec.get("t"), int) and not isinstance(rec.get("t"), bool))):
                raise JournalError(f"{shown}: line {n}: result.t: not an integer")
            journal.results.append(rec)
        elif kind == "end":
            if not isinstance(rec.get("t"), int) or not isinstance(rec.get("outcome"), dict):
                raise JournalError(f"{shown}: line {n}: end: needs t and outcome")
            journal.end = rec
        else:
            raise JournalError(f"{shown}: line {n}: unknown record type {kind!r}")
    if journal is None:
        raise JournalError(f"{shown}: line 1: empty journal (no header)")
    return journal
