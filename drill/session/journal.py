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
from drill.printable import printable
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
    import typing

    from drill.session.scoring import Outcome

    # The outcome's own fields before the score it inherits: the first problem named is the same
    # as before the score was one record (a bare {} is "outcome.scenario: missing").
    hints = sorted(typing.get_type_hints(Outcome).items(), key=lambda item: item[0] in Score.names())
    for name, hint in hints:
        if name not in outcome:
            if name in REQUIRED_OUTCOME:
                return f"outcome.{name}: missing"
            continue  # a field newer than the journal: replay reports the difference
        problem = _field_problem(name, hint, outcome[name])
        if problem is not None:
            return problem
    for i, ph in enumerate(outcome.get("phases", [])):
        if not (isinstance(ph.get("phase"), str) and _is_clock(ph.get("at"))):
            return f"outcome.phases[{i}]: needs at (HH:MM:SS) and phase"
    return None


def _field_problem(name: str, hint: object, v: object) -> str | None:
    """One outcome field against its type hint: `outcome.name: not a T`, or None."""
    import typing

    args = typing.get_args(hint)
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if optional else hint
    if v is None and optional:
        return None
    origin = typing.get_origin(base) or base
    ok = _is_a(v, origin)
    if ok and origin is list:
        ok = all(isinstance(x, _on_disk(base)) for x in v)  # type: ignore[attr-defined]
    if ok and name.endswith("_at"):
        ok = _is_clock(v)
    if ok:
        return None
    return f"outcome.{name}: not {'a ' + getattr(origin, '__name__', str(origin))}{' or null' if optional else ''}"


def _is_a(v: object, origin: object) -> bool:
    """A JSON value of a Python type: a finite number for a float, never a bool for a number."""
    if origin is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if origin is int:
        return isinstance(v, int) and not isinstance(v, bool)
    return isinstance(v, origin)  # type: ignore[arg-type]


def _on_disk(list_hint: object) -> type:
    """What a list's items are in a journal: a record (a dataclass) is an object on disk."""
    import dataclasses
    import typing

    item = (typing.get_args(list_hint) or (object,))[0]
    return dict if dataclasses.is_dataclass(item) else typing.get_origin(item) or item


def _is_clock(v: object) -> bool:
    from drill.timefmt import parse_clock

    try:
        parse_clock(v)
        return True
    except (ValueError, TypeError):
        return False


def _integer(value: object) -> bool:
    """A JSON integer: `true` is an int to Python, but a journal's `"seq": true` is no number."""
    return isinstance(value, int) and not isinstance(value, bool)


class _BadLine(Exception):
    """What is wrong with one line of a journal; read() names the file and the line."""


_HEADER_FIELDS = (("scenario", str), ("scenario_hash", str), ("difficulty", str), ("seed", int), ("format", int))


def read(path: str | Path) -> Journal:
    p = Path(path)
    shown = printable(str(p))
    try:
        text = read_bounded(p, MAX_JOURNAL_BYTES)
    except UnreadableFile as why:
        raise JournalError(f"{shown}: file: {why}") from None
    journal: Journal | None = None
    lines = text.split("\n")
    for n, line in enumerate(lines, 1):
        try:
            rec = _record(line, last=n == len(lines))
            if rec is None:
                continue
            if journal is None:
                journal = Journal(p, _header(rec))
            else:
                _take(journal, rec, n)
        except _BadLine as bad:
            raise JournalError(f"{shown}: line {n}: {bad}") from None
    if journal is None:
        raise JournalError(f"{shown}: line 1: empty journal (no header)")
    return journal


def _record(line: str, last: bool) -> dict | None:
    """One line's record; None for a blank line or a torn last line (no newline yet) from a
    killed process: the rest stands."""
    if not line.strip():
        return None
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        if last:
            return None
        raise _BadLine(f"not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise _BadLine("nested too deeply") from None
    except ValueError as exc:  # an integer of thousands of digits
        raise _BadLine(str(exc)) from None
    if not isinstance(rec, dict) or not isinstance(rec.get("type"), str):
        raise _BadLine("expected an object with a 'type'")
    return rec


def _header(rec: dict) -> dict:
    if rec["type"] != "header":
        raise _BadLine("the first record must be the header")
    for key, typ in _HEADER_FIELDS:
        if not isinstance(rec.get(key), typ) or isinstance(rec.get(key), bool):
            raise _BadLine(f"header.{key}: missing or not a {typ.__name__}")
    if rec["format"] != FORMAT:
        raise _BadLine(f"header.format: {rec['format']} is not supported (this program reads {FORMAT})")
    return rec


def _take(journal: Journal, rec: dict, n: int) -> None:
    """Check one record after the header and add it to the journal."""
    kind = rec["type"]
    if journal.end is not None and _past_the_end(journal, kind, n):
        return
    take = _TAKERS.get(kind)
    if take is None:
        raise _BadLine(f"unknown record type {kind!r}")
    take(journal, rec)


def _past_the_end(journal: Journal, kind: str, n: int) -> bool:
    """Note a record after the end record where it first happened, for replay to report; True
    when there is nothing more to do with it (a further end, command or result)."""
    if kind == "end":
        journal.extra_ends += 1
        if len(journal.extra_end_lines) < 3:
            journal.extra_end_lines.append(n)
    elif journal.after_end_line is None:
        journal.after_end_line = n
    return kind in ("end", "command", "result")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _take_command(journal: Journal, rec: dict) -> None:
    if not _integer(rec.get("t")) or not isinstance(rec.get("command"), str) or not _integer(rec.get("seq")):
        raise _BadLine("command: needs seq, t (integer ms) and command")
    if journal.commands and rec["t"] < journal.commands[-1]["t"]:
        raise _BadLine("command: time goes backwards")
    if rec.get("by", "trainee") not in ("trainee", "facilitator"):
        raise _BadLine("command.by: must be trainee or facilitator")
    problem = _crew_problem(rec)
    if problem is not None:
        raise _BadLine(f"command.{problem}")
    journal.commands.append(rec)
    if len(journal.commands) > MAX_JOURNAL_COMMANDS:
        raise _BadLine(f"more than {MAX_JOURNAL_COMMANDS:,} commands, refused")


def _take_result(journal: Journal, rec: dict) -> None:
    if not _is_int(rec.get("seq")):
        raise _BadLine("result.seq: missing or not an integer")
    if not (rec.get("t") is None or _is_int(rec.get("t"))):
        raise _BadLine("result.t: not an integer")
    journal.results.append(rec)


def _take_end(journal: Journal, rec: dict) -> None:
    if not _is_int(rec.get("t")) or not isinstance(rec.get("outcome"), dict):
        raise _BadLine("end: needs t and outcome")
    if not isinstance(rec.get("reason"), str):
        raise _BadLine("end.reason: missing or not text")
    problem = _outcome_problem(rec["outcome"])
    if problem is not None:
        raise _BadLine(f"end.{problem}")
    journal.end = rec


_TAKERS = {"command": _take_command, "result": _take_result, "end": _take_end}


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
