"""The journal: one JSON object per line, written and flushed as the drill runs, so a killed
process loses nothing it had already done. Records:

  header   scenario id, content hash and path, difficulty, seed, program version
  command  seq, t (ms since midnight ET), at (HH:MM:SS), command text
  result   seq, t, status, result text (when the action finishes, or at once when refused)
  end      t, reason, outcome
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from drill.paths import UnreadableFile, open_for_writing, read_bounded
from drill.score import Score

FORMAT = 1
MAX_JOURNAL_BYTES = 50_000_000
MAX_JOURNAL_COMMANDS = 20_000  # far beyond any drill; replaying more would take minutes
# What a reader of the end record relies on (the debrief, the results store, replay's report).
REQUIRED_OUTCOME = ("scenario", "difficulty", "seed", *Score.names())


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
    # A drill writes exactly one end record, last. Anything else is kept (as where it first
    # happened) for replay to report as a divergence rather than read past.
    extra_end_lines: list[int] = field(default_factory=list)  # the first few lines of further end records
    extra_ends: int = 0  # how many end records beyond the first
    after_end_line: int | None = None  # the first record after the end record


def _outcome_problem(outcome: dict) -> str | None:
    """What is wrong with an end record's outcome, as `field: problem`, or None. Every field of
    drill.session.scoring.Outcome must be there with its type (the debrief and the results store
    read them), clock fields as HH:MM:SS; further keys are left to replay to report."""
    import dataclasses
    import typing

    from drill.score import Score
    from drill.session.scoring import Outcome
    from drill.timefmt import parse_clock

    def clock_ok(v: object) -> bool:
        try:
            parse_clock(v)
            return True
        except (ValueError, TypeError):
            return False

    # The outcome's own fields before the score it inherits: the first problem named is the same
    # as before the score was one record (a bare {} is "outcome.scenario: missing").
    hints = sorted(typing.get_type_hints(Outcome).items(), key=lambda item: item[0] in Score.names())
    for name, hint in hints:
        if name not in outcome:
            if name in REQUIRED_OUTCOME:
                return f"outcome.{name}: missing"
            continue  # a field newer than the journal: replay reports the difference
        v = outcome[name]
        args = typing.get_args(hint)
        optional = type(None) in args
        base = next((a for a in args if a is not type(None)), hint) if optional else hint
        if v is None and optional:
            continue
        origin = typing.get_origin(base) or base
        if origin is float:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        elif origin is int:
            ok = isinstance(v, int) and not isinstance(v, bool)
        else:
            ok = isinstance(v, origin)
        if ok and origin is list:
            item = (typing.get_args(base) or (object,))[0]
            item = (
                dict if dataclasses.is_dataclass(item) else typing.get_origin(item) or item
            )  # a record is an object on disk
            ok = all(isinstance(x, item) for x in v)
        if ok and name.endswith("_at"):
            ok = clock_ok(v)
        if not ok:
            return (
                f"outcome.{name}: not {'a ' + getattr(origin, '__name__', str(origin))}{' or null' if optional else ''}"
            )
    for i, ph in enumerate(outcome.get("phases", [])):
        if not (isinstance(ph.get("phase"), str) and clock_ok(ph.get("at"))):
            return f"outcome.phases[{i}]: needs at (HH:MM:SS) and phase"
    return None


def read(path: str | Path) -> Journal:
    p = Path(path)
    shown = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in str(p))
    try:
        text = read_bounded(p, MAX_JOURNAL_BYTES)
    except UnreadableFile as why:
        raise JournalError(f"{shown}: file: {why}") from None
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
            for key, typ in (
                ("scenario", str),
                ("scenario_hash", str),
                ("difficulty", str),
                ("seed", int),
                ("format", int),
            ):
                if not isinstance(rec.get(key), typ) or isinstance(rec.get(key), bool):
                    raise JournalError(f"{shown}: line {n}: header.{key}: missing or not a {typ.__name__}")
            if rec["format"] != FORMAT:
                raise JournalError(
                    f"{shown}: line {n}: header.format: {rec['format']} is not supported (this program reads {FORMAT})"
                )
            header = rec
            journal = Journal(p, header)
            continue
        assert journal is not None
        if journal.end is not None:
            if kind == "end":
                journal.extra_ends += 1
                if len(journal.extra_end_lines) < 3:
                    journal.extra_end_lines.append(n)
            elif journal.after_end_line is None:
                journal.after_end_line = n
            if kind in ("end", "command", "result"):
                continue
        if kind == "command":
            if (
                not isinstance(rec.get("t"), int)
                or not isinstance(rec.get("command"), str)
                or not isinstance(rec.get("seq"), int)
            ):
                raise JournalError(f"{shown}: line {n}: command: needs seq, t (integer ms) and command")
            if journal.commands and rec["t"] < journal.commands[-1]["t"]:
                raise JournalError(f"{shown}: line {n}: command: time goes backwards")
            if rec.get("by", "trainee") not in ("trainee", "facilitator"):
                raise JournalError(f"{shown}: line {n}: command.by: must be trainee or facilitator")
            problem = _crew_problem(rec)
            if problem is not None:
                raise JournalError(f"{shown}: line {n}: command.{problem}")
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
            if (
                not isinstance(rec.get("t"), int)
                or isinstance(rec.get("t"), bool)
                or not isinstance(rec.get("outcome"), dict)
            ):
                raise JournalError(f"{shown}: line {n}: end: needs t and outcome")
            if not isinstance(rec.get("reason"), str):
                raise JournalError(f"{shown}: line {n}: end.reason: missing or not text")
            problem = _outcome_problem(rec["outcome"])
            if problem is not None:
                raise JournalError(f"{shown}: line {n}: end.{problem}")
            journal.end = rec
        else:
            raise JournalError(f"{shown}: line {n}: unknown record type {kind!r}")
    if journal is None:
        raise JournalError(f"{shown}: line 1: empty journal (no header)")
    return journal


def _crew_problem(rec: dict) -> str | None:
    """A command of a crew member names the member and the role, both text; a command of nobody's
    crew (every journal from before crews) has neither."""
    if "member" not in rec and "role" not in rec:
        return None
    if rec.get("by", "trainee") != "trainee":
        return "member: only the trainee's side has a crew"
    for key in ("member", "role"):
        value = rec.get(key)
        if not isinstance(value, str) or not value or len(value) > 40 or not value.isprintable():
            return f"{key}: missing, or not 1 to 40 printable characters"
    return None
