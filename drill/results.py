"""The results store: every finished drill, played or headless, in one embedded SQLite database
(`data_dir()/results.sqlite` unless a path is given, so teams at a game day can share one).

SQLite in WAL mode lets readers (a leaderboard) run while a drill records, and a busy timeout
makes concurrent writers queue instead of failing; the wait is bounded as a whole (`MAX_WAIT_S`
across every statement of one open), after which one line says what holds the lock. Each record
is one `BEGIN IMMEDIATE` transaction: a process killed mid-write leaves the earlier records intact
and the last one either whole or absent. The schema carries a version table; a newer database than
this program knows is refused rather than misread. The database must sit on a local disk: WAL
needs shared memory, which network file systems do not give.

Proof. Each row names how it was produced (`source`: a live console, a served browser tab or a
headless script) and the SHA-256 of its journal's bytes. `verify` re-simulates the journal and
compares every ranked column with the replay. A store written by `drill serve` also signs its rows
(HMAC-SHA256 under a key derived from the serve key, over the ranked columns and the journal
hash); given that key, a row whose signature does not hold is flagged and left unranked. What this
does and does not protect against: docs/RELIABILITY.md.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import math
import os
import sqlite3
import stat
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from drill import __version__
from drill.paths import data_dir
from drill.session.journal import MAX_JOURNAL_BYTES  # hashing a journal larger than one reads is refused
from drill.seeds import is_seed

SCHEMA_VERSION = 2
MAX_WAIT_S = 10.0  # the longest one open of the store waits on another process's lock, all told
MAX_TEAM_CHARS = 60
MAX_LIMIT = 1_000_000  # `limit` beyond this is refused (SQLite's LIMIT is a 64-bit integer)

SOURCE_LIVE, SOURCE_SERVED, SOURCE_SCRIPT = "live", "served", "script"
SOURCES = (SOURCE_LIVE, SOURCE_SERVED, SOURCE_SCRIPT)
PLAYED = (SOURCE_LIVE, SOURCE_SERVED)  # what the leaderboards rank by default

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS schema_version (
           version INTEGER NOT NULL,
           applied_at TEXT NOT NULL
       )""",
    """CREATE TABLE IF NOT EXISTS results (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           recorded_at TEXT NOT NULL,
           team TEXT,
           scenario TEXT NOT NULL,
           scenario_hash TEXT,
           difficulty TEXT NOT NULL,
           seed INTEGER NOT NULL,
           contained INTEGER NOT NULL,
           contained_at TEXT,
           loss_usd REAL NOT NULL,
           collateral_usd REAL NOT NULL,
           score_usd REAL NOT NULL,
           grade TEXT NOT NULL,
           bankrupt INTEGER NOT NULL,
           ended_at TEXT NOT NULL,
           ended_by TEXT NOT NULL,
           journal TEXT,
           program TEXT NOT NULL,
           outcome_json TEXT NOT NULL
       )""",
    "CREATE INDEX IF NOT EXISTS results_board ON results (scenario, difficulty, seed, score_usd)",
]
# Version 2: provenance, the journal's content hash and the serve signature.
_V2 = [
    "ALTER TABLE results ADD COLUMN source TEXT",
    "ALTER TABLE results ADD COLUMN journal_sha256 TEXT",
    "ALTER TABLE results ADD COLUMN signed_by TEXT",
    "ALTER TABLE results ADD COLUMN signature TEXT",
]

# The columns a board ranks or shows as the result, with the type each must hold when read back.
_RANKED = (("scenario", str), ("difficulty", str), ("seed", int), ("contained", int), ("contained_at", (str, type(None))),
           ("loss_usd", float), ("collateral_usd", float), ("score_usd", float), ("grade", str), ("bankrupt", int),
           ("ended_at", str), ("ended_by", str))


class ResultsError(Exception):
    """str() is one line naming the database and the problem."""


@dataclass(frozen=True)
class Entry:
    id: int
    recorded_at: str
    team: str | None
    scenario: str
    scenario_hash: str | None
    difficulty: str
    seed: int
    contained: bool
    contained_at: str | None
    loss_usd: float
    collateral_usd: float
    score_usd: float
    grade: str
    bankrupt: bool
    ended_at: str
    ended_by: str
    journal: str | None
    program: str
    source: str  # live, served, script, or "unknown" for rows recorded before provenance was kept
    journal_sha256: str | None
    signed_by: str | None  # the signer id of the serve key that signed it (None: unsigned)

    @property
    def dnf(self) -> bool:
        return is_dnf(self.ended_by, self.grade)

    def to_dict(self) -> dict:
        return {**asdict(self), "dnf": self.dnf}


@dataclass(frozen=True)
class Flagged:
    """A row left off a board's ranking, and why."""

    entry: Entry
    reason: str

    def to_dict(self) -> dict:
        return {**self.entry.to_dict(), "flag": self.reason}


@dataclass(frozen=True)
class Board:
    """The leaderboard of one scenario, difficulty and seed: the ranked entries best first (played
    drills unless asked otherwise), the others (scripted runs) listed apart in the same order, and
    the rows whose proof failed, unranked."""

    scenario: str
    difficulty: str
    seed: int
    entries: tuple[Entry, ...]
    apart: tuple[Entry, ...] = ()
    flagged: tuple[Flagged, ...] = ()

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "difficulty": self.difficulty, "seed": self.seed,
                "entries": [{"rank": i, **e.to_dict()} for i, e in enumerate(self.entries, 1)],
                "apart": [e.to_dict() for e in self.apart], "flagged": [f.to_dict() for f in self.flagged]}


# -- ranking ------------------------------------------------------------------------------------------
def is_dnf(ended_by: str, grade: str) -> bool:
    """An abandoned drill did not finish: it is shown, never ranked above one that did. (The
    grade is drill.session.scoring.DNF, spelt out here so the store's readers need not load the
    engine; tests/results/test_proof.py holds the two together. Rows recorded before abandoned
    drills were graded DNF are caught by ended_by.)"""
    return ended_by == "abandoned" or grade == "DNF"


def rank_key(score_usd: float, contained_at: str | None, ended_by: str, grade: str) -> tuple:
    """The one ranking of drills on a board, best first: every finished drill before every DNF,
    then the lower score, then the drill contained sooner (a drill never contained last)."""
    return (is_dnf(ended_by, grade), score_usd, contained_at is None, contained_at or "")


def entry_rank_key(e: Entry) -> tuple:
    """rank_key for a stored entry; ties then go to the one recorded first."""
    return rank_key(e.score_usd, e.contained_at, e.ended_by, e.grade) + (e.id,)


def outcome_rank_key(outcome: Mapping) -> tuple:
    """rank_key for an outcome dict (`Outcome.to_dict()`, as a drill's status carries it)."""
    return rank_key(outcome["score_usd"], outcome.get("contained_at"), outcome.get("ended_by", ""),
                    outcome.get("grade", ""))


# -- signing ------------------------------------------------------------------------------------------
def signing_key(serve_key: str) -> bytes:
    """The key a `drill serve` run signs its results with, derived from its facilitator key (so
    the facilitator key itself never needs to be kept by the process that records)."""
    return hmac.new(serve_key.encode(), b"drill results signing key", hashlib.sha256).digest()


def signer_id(key: bytes) -> str:
    """A public name for a signing key, stored with each row it signs."""
    return hmac.new(key, b"drill results signer", hashlib.sha256).hexdigest()[:12]


def _signed_fields(recorded_at, team, scenario_hash, source, journal_sha256, outcome_json, ranked: Mapping) -> dict:
    return {"recorded_at": recorded_at, "team": team, "scenario_hash": scenario_hash, "source": source,
            "journal_sha256": journal_sha256,
            "outcome_sha256": hashlib.sha256(outcome_json.encode("utf-8", "surrogatepass")).hexdigest(),
            **{k: ranked[k] for k, _ in _RANKED}}


def sign(fields: Mapping, key: bytes) -> str:
    """HMAC-SHA256 over a row's ranked columns, team, provenance and journal hash, as stored."""
    body = json.dumps(dict(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


# -- opening ------------------------------------------------------------------------------------------
def default_path() -> Path:
    return data_dir() / "results.sqlite"


def _resolve(path: str | Path | None) -> Path:
    return Path(path) if path is not None else default_path()


class _Locked(Exception):
    pass


class _Conn(sqlite3.Connection):
    """A connection whose waits on other processes' locks share one deadline: before each
    statement the busy timeout is set to what is left of it, so a store held locked costs at most
    MAX_WAIT_S per open, however many statements (and retries) the open makes."""

    deadline = 0.0

    def left_ms(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))

    def execute(self, sql, params=()):  # noqa: D401 - same contract as sqlite3.Connection.execute
        super().execute(f"PRAGMA busy_timeout = {self.left_ms()}")
        try:
            return super().execute(sql, params)
        except sqlite3.OperationalError as exc:
            if _is_lock(exc):
                raise _Locked(str(exc)) from None
            raise


def _is_lock(exc: Exception) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _check_file(p: Path) -> None:
    """A results database is a regular file or does not exist yet: never a device (SQLite would
    create `/dev/zero-journal` beside one), a FIFO (opening one waits forever) or a directory."""
    try:
        st = os.stat(p)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ResultsError(f"{p}: cannot use it as a results database ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ResultsError(f"{p}: is a directory, not a results database")
    if not stat.S_ISREG(st.st_mode):
        raise ResultsError(f"{p}: not a regular file, not a results database")


def lock_holders(p: Path) -> list[str]:
    """Which other processes hold a lock on the database or its WAL files ("pid 123 (python3)"),
    from /proc/locks where the system has one; empty when it cannot tell."""
    inodes = set()
    for suffix in ("", "-wal", "-shm"):
        try:
            st = os.stat(f"{p}{suffix}")
        except OSError:
            continue
        inodes.add((os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
    found: dict[int, str] = {}
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        parts = line.split()
        if "->" in parts:  # a request waiting for the lock, not a holder
            continue
        try:
            pid = int(parts[4])
            maj, mn, ino = parts[5].split(":")
            where = (int(maj, 16), int(mn, 16), int(ino))
        except (IndexError, ValueError):
            continue
        if where in inodes and pid != os.getpid() and pid not in found:
            try:
                name = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                name = "?"
            found[pid] = f"pid {pid} ({''.join(ch for ch in name if ch.isprintable())})"
    return sorted(found.values())


def _locked_error(p: Path) -> ResultsError:
    holders = lock_holders(p)
    who = f"held by {', '.join(holders)}" if holders else "held by another process"
    return ResultsError(f"{p}: locked: waited {MAX_WAIT_S:g} s for the results database, {who} "
                        "(a drill recording, or a program holding a transaction or exclusive lock open); "
                        "try again when it lets go")


def _connect(p: Path, create: bool) -> sqlite3.Connection:
    _check_file(p)
    if not create and not p.exists():
        raise ResultsError(f"{p}: no results database here yet")
    if create:
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsError(f"{p}: cannot create its directory ({exc.strerror})") from None
    con = None
    try:
        # isolation_level=None: transactions are ours (BEGIN IMMEDIATE), never implicit.
        con = sqlite3.connect(str(p), timeout=MAX_WAIT_S, isolation_level=None, factory=_Conn)
        con.deadline = time.monotonic() + MAX_WAIT_S
        _wal(con)
        con.execute("PRAGMA synchronous = FULL")
        con.execute("PRAGMA foreign_keys = ON")
        _migrate(con, p)
    except _Locked:
        if con is not None:
            con.close()
        raise _locked_error(p) from None
    except sqlite3.DatabaseError as exc:
        if con is not None:
            con.close()
        raise ResultsError(f"{p}: not a usable results database ({exc})") from None
    except ResultsError:
        con.close()
        raise
    return con


def _wal(con: _Conn) -> None:
    # Switching to WAL takes a lock for a moment; a concurrent first open may see SQLITE_BUSY even
    # with a busy timeout, so retry briefly, within the open's deadline. Once set, the mode is
    # persistent in the file.
    attempt = 0
    while True:
        try:
            mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() == "wal":
                return
            raise sqlite3.DatabaseError(f"journal_mode is {mode}, WAL unavailable")
        except _Locked:
            attempt += 1
            if con.left_ms() <= 0:
                raise
            time.sleep(min(0.02 * attempt, 0.5, con.left_ms() / 1000))


def _migrate(con: _Conn, p: Path) -> None:
    have = _version(con, p)
    if have == SCHEMA_VERSION:
        return
    if have is not None and have > SCHEMA_VERSION:
        raise ResultsError(f"{p}: schema version {have} is newer than this program's ({SCHEMA_VERSION}); upgrade drill")
    with _transaction(con):
        have = _version(con, p)  # another process may have migrated it while we waited for the lock
        if have is None:
            for stmt in _SCHEMA:
                con.execute(stmt)
            have = 1
        if have < 2:
            for stmt in _V2:
                con.execute(stmt)
        if have < SCHEMA_VERSION:
            con.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (SCHEMA_VERSION, _now()))


def _version(con: sqlite3.Connection, p: Path) -> int | None:
    row = con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if row is None:
        return None
    v = con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool):
        raise ResultsError(f"{p}: schema_version: holds {_shown(v)}, not a version number")
    return v


@contextmanager
def _transaction(con: sqlite3.Connection) -> Iterator[None]:
    con.execute("BEGIN IMMEDIATE")  # take the write lock now: no deadlock upgrading a read later
    try:
        yield
    except BaseException:
        if con.in_transaction:
            sqlite3.Connection.execute(con, "ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


@contextmanager
def _open(path: str | Path | None, create: bool) -> Iterator[sqlite3.Connection]:
    p = _resolve(path)
    con = _connect(p, create)
    try:
        yield con
    except _Locked:
        raise _locked_error(p) from None
    except sqlite3.DatabaseError as exc:
        raise ResultsError(f"{p}: {exc}") from None
    finally:
        con.close()


def check(path: str | Path | None = None) -> Path:
    """Open (creating if need be) the database, to fail early on a bad path. Returns its path."""
    p = _resolve(path)
    with _open(p, create=True):
        pass
    return p


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _shown(value: object, width: int = 40) -> str:
    """A stored value quoted for a one-line message, control characters escaped."""
    text = repr(value)
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return text if len(text) <= width else text[: width - 1] + "\u2026"


# -- recording ----------------------------------------------------------------------------------------
def _journal_header_hash(journal: Path | None) -> str | None:
    """The scenario content hash from the journal's header line, where it can be read."""
    if journal is None:
        return None
    try:
        if not journal.is_file():
            return None
        with open(journal, encoding="utf-8") as fh:
            head = json.loads(fh.readline(1_000_000))
        h = head.get("scenario_hash") if isinstance(head, dict) else None
        return h if isinstance(h, str) else None
    except (OSError, ValueError, RecursionError):
        return None


def journal_sha256(journal: str | Path) -> str:
    """The SHA-256 of a journal's bytes. Raises OSError for what cannot be read, ValueError for
    a special file or one over the journal size limit (never waits on a FIFO)."""
    p = Path(journal)
    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > MAX_JOURNAL_BYTES:
            raise ValueError(f"larger than {MAX_JOURNAL_BYTES:,} bytes")
        h = hashlib.sha256()
        with os.fdopen(fd, "rb", closefd=False) as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    finally:
        os.close(fd)


def _finite(o: Mapping, key: str) -> float:
    v = o[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ResultsError(f"outcome: {key}: not a finite number ({_shown(v)})")
    return float(v)


def _text(o: Mapping, key: str, optional: bool = False) -> str | None:
    v = o.get(key)
    if v is None and optional:
        return None
    if not isinstance(v, str):
        raise ResultsError(f"outcome: {key}: not text ({_shown(v)})")
    return v


def record(outcome, journal_path: str | Path | None, team: str | None = None, path: str | Path | None = None, *,
           source: str | None = None, signing_key: bytes | None = None) -> int:
    """Record one finished drill; returns its id. `outcome` is an Outcome (or its to_dict()).
    `source` says how it was produced (SOURCES; default: "served" when a signing key is given,
    else "live"). With `signing_key` (`signing_key(serve_key)`), the row is signed."""
    o = outcome.to_dict() if hasattr(outcome, "to_dict") else dict(outcome)
    for key in ("scenario", "difficulty", "seed", "contained", "loss_usd", "collateral_usd", "score_usd", "grade",
                "bankrupt", "ended_at", "ended_by"):
        if key not in o:
            raise ResultsError(f"outcome: missing {key!r}")
    source = source or (SOURCE_SERVED if signing_key is not None else SOURCE_LIVE)
    if source not in SOURCES:
        raise ResultsError(f"source: must be one of {', '.join(SOURCES)}, not {_shown(source)}")
    if team is not None:
        team = " ".join(str(team).split())
        if not team or len(team) > MAX_TEAM_CHARS or not team.isprintable():
            raise ResultsError(f"team: must be 1 to {MAX_TEAM_CHARS} printable characters")
    seed = o["seed"]
    if not is_seed(seed):
        raise ResultsError(f"outcome: seed: not a seed ({_shown(seed)})")
    ranked = {"scenario": _text(o, "scenario"), "difficulty": _text(o, "difficulty"), "seed": seed,
              "contained": int(bool(o["contained"])), "contained_at": _text(o, "contained_at", optional=True),
              "loss_usd": _finite(o, "loss_usd"), "collateral_usd": _finite(o, "collateral_usd"),
              "score_usd": _finite(o, "score_usd"), "grade": _text(o, "grade"), "bankrupt": int(bool(o["bankrupt"])),
              "ended_at": _text(o, "ended_at"), "ended_by": _text(o, "ended_by")}
    journal = Path(journal_path).resolve() if journal_path is not None else None
    digest = None
    if journal is not None:
        try:
            digest = journal_sha256(journal)
        except (OSError, ValueError):
            digest = None  # /dev/null, or nothing written: the row has no journal to prove it
    recorded_at, scenario_hash = _now(), _journal_header_hash(journal)
    outcome_json = json.dumps(o, separators=(",", ":"))
    signed_by = signature = None
    if signing_key is not None:
        signed_by = signer_id(signing_key)
        signature = sign(_signed_fields(recorded_at, team, scenario_hash, source, digest, outcome_json, ranked),
                         signing_key)
    row = {"recorded_at": recorded_at, "team": team, "scenario_hash": scenario_hash, **ranked,
           "journal": str(journal) if journal else None, "program": f"drill {__version__}", "outcome_json": outcome_json,
           "source": source, "journal_sha256": digest, "signed_by": signed_by, "signature": signature}
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    with _open(path, create=True) as con, _transaction(con):
        cur = con.execute(f"INSERT INTO results ({cols}) VALUES ({marks})", tuple(row.values()))
        return int(cur.lastrowid)


# -- reading ------------------------------------------------------------------------------------------
_COLUMNS = ("id, recorded_at, team, scenario, scenario_hash, difficulty, seed, contained, contained_at, loss_usd, "
            "collateral_usd, score_usd, grade, bankrupt, ended_at, ended_by, journal, program, source, journal_sha256, "
            "signed_by, signature, outcome_json")
_NAMES = tuple(c.strip() for c in _COLUMNS.split(","))
_TEXT_OR_NONE = (str, type(None))
_TYPES = {"id": int, "recorded_at": str, "team": _TEXT_OR_NONE, "scenario_hash": _TEXT_OR_NONE, "journal": _TEXT_OR_NONE,
          "program": str, "source": _TEXT_OR_NONE, "journal_sha256": _TEXT_OR_NONE, "signed_by": _TEXT_OR_NONE,
          "signature": _TEXT_OR_NONE, "outcome_json": str, **dict(_RANKED)}


@dataclass(frozen=True)
class _Row:
    """One stored row, every column checked for its type: the entry, plus what proves it."""

    entry: Entry
    signature: str | None
    outcome_json: str
    stored: dict  # the columns as stored, for the signature

    def signed_fields(self) -> dict:
        s = self.stored
        return _signed_fields(s["recorded_at"], s["team"], s["scenario_hash"], s["source"], s["journal_sha256"],
                              s["outcome_json"], s)


def _row(values: tuple, p: Path) -> _Row:
    d = dict(zip(_NAMES, values))
    rid = d["id"]
    for name, typ in _TYPES.items():
        v = d[name]
        want = typ if isinstance(typ, tuple) else (typ,)
        if typ is float and isinstance(v, int) and not isinstance(v, bool):
            v = d[name] = float(v)  # SQLite hands back a whole REAL as an integer only if stored as one
        if isinstance(v, bool) or not isinstance(v, want) or (isinstance(v, float) and not math.isfinite(v)):
            kind = "a number" if typ in (int, float) else "text"
            raise ResultsError(f"{p}: result #{_shown(rid)}: {name}: holds {_shown(v)}, not {kind}")
    e = Entry(rid, d["recorded_at"], d["team"], d["scenario"], d["scenario_hash"], d["difficulty"], d["seed"],
              bool(d["contained"]), d["contained_at"], d["loss_usd"], d["collateral_usd"], d["score_usd"], d["grade"],
              bool(d["bankrupt"]), d["ended_at"], d["ended_by"], d["journal"], d["program"], d["source"] or "unknown",
              d["journal_sha256"], d["signed_by"])
    return _Row(e, d["signature"], d["outcome_json"], d)


def _where(scenario, difficulty, seed, team) -> tuple[str, list]:
    clauses, params = [], []
    for col, val in (("scenario", scenario), ("difficulty", difficulty), ("seed", seed), ("team", team)):
        if val is not None:
            clauses.append(f"{col} = ?")
            params.append(val)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _check_limit(limit: int | None) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT):
        raise ResultsError(f"limit: must be an integer from 1 to {MAX_LIMIT:,}, not {_shown(limit)}")


def _rows(path, *, scenario=None, difficulty=None, seed=None, team=None, limit=None) -> list[_Row]:
    p = _resolve(path)
    _check_limit(limit)
    if seed is not None and not is_seed(seed):
        return []  # no stored seed can match (and SQLite cannot bind it)
    if not p.exists():
        _check_file(p)
        return []
    where, params = _where(scenario, difficulty, seed, team)
    sql = f"SELECT {_COLUMNS} FROM results{where} ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    with _open(p, create=False) as con:
        return [_row(r, p) for r in con.execute(sql, params)]


def entries(path: str | Path | None = None, *, scenario: str | None = None, difficulty: str | None = None,
            seed: int | None = None, team: str | None = None, limit: int | None = None) -> list[Entry]:
    """Recorded drills, newest first. An absent database has no entries (and is not created)."""
    return [r.entry for r in _rows(path, scenario=scenario, difficulty=difficulty, seed=seed, team=team, limit=limit)]


def _one(entry_id: int, path) -> _Row:
    p = _resolve(path)
    if not 1 <= entry_id < 2**63:
        raise ResultsError(f"{p}: no result #{entry_id}")
    with _open(p, create=False) as con:
        row = con.execute(f"SELECT {_COLUMNS} FROM results WHERE id = ?", (int(entry_id),)).fetchone()
    if row is None:
        raise ResultsError(f"{p}: no result #{entry_id}")
    return _row(row, p)


def get(entry_id: int, path: str | Path | None = None) -> Entry:
    return _one(entry_id, path).entry


def _parse_outcome(r: _Row, p: Path) -> dict:
    try:
        o = json.loads(r.outcome_json)
    except (ValueError, RecursionError):
        raise ResultsError(f"{p}: result #{r.entry.id}: outcome_json: not valid JSON") from None
    if not isinstance(o, dict):
        raise ResultsError(f"{p}: result #{r.entry.id}: outcome_json: not an object")
    return o


def stored_outcome(entry_id: int, path: str | Path | None = None) -> dict:
    p = _resolve(path)
    return _parse_outcome(_one(entry_id, p), p)


def signature_problem(r: _Row, key: bytes | None) -> str | None:
    """Why a row's signature does not hold, or None. Without a key only what needs none is
    checked: a row that says it was served must carry a signature."""
    e = r.entry
    if key is None:
        if e.source == SOURCE_SERVED and not r.signature:
            return "signature: a served result without a signature"
        return None
    if not r.signature:
        return "signature: unsigned (not recorded by the drill serve of this key)"
    if e.signed_by != signer_id(key):
        return "signature: signed by another key"
    if not hmac.compare_digest(r.signature, sign(r.signed_fields(), key)):
        return "signature: does not match the row (changed after it was recorded)"
    return None


def _shared_journals(rows: list[_Row]) -> dict[int, int]:
    """Rows whose journal (by content hash) also backs another row: id -> that other id."""
    by_hash: dict[str, list[int]] = {}
    for r in rows:
        if r.entry.journal_sha256:
            by_hash.setdefault(r.entry.journal_sha256, []).append(r.entry.id)
    shared = {}
    for ids in by_hash.values():
        if len(ids) > 1:
            for i in ids:
                shared[i] = min(x for x in ids if x != i)
    return shared


def leaderboard(path: str | Path | None = None, *, scenario: str | None = None, difficulty: str | None = None,
                seed: int | None = None, team: str | None = None, best_per_team: bool = False,
                limit: int | None = None, signing_key: bytes | None = None,
                sources: tuple[str, ...] = PLAYED) -> list[Board]:
    """Entries ranked by `entry_rank_key` per scenario, difficulty and seed: played drills (live
    or served, `sources`) ranked, other rows listed apart. Rows that fail their proof (a bad or
    missing signature when `signing_key` is given, a served row without one, a journal that also
    backs another row) are flagged and unranked. best_per_team keeps each team's best entry
    (entries without a team each stand alone); limit applies to each list."""
    _check_limit(limit)
    rows = _rows(path, scenario=scenario, difficulty=difficulty, seed=seed, team=team)
    shared = _shared_journals(_rows(path)) if rows else {}
    groups: dict[tuple[str, str, int], list[_Row]] = {}
    for r in rows:
        e = r.entry
        groups.setdefault((e.scenario, e.difficulty, e.seed), []).append(r)
    boards = []
    for (sc, diff, seed_), rs in sorted(groups.items()):
        rs.sort(key=lambda r: entry_rank_key(r.entry))
        ranked, apart, flagged = [], [], []
        for r in rs:
            problem = signature_problem(r, signing_key)
            if problem is None and r.entry.id in shared:
                problem = f"journal: the same journal backs result #{shared[r.entry.id]}"
            if problem is not None:
                flagged.append(Flagged(r.entry, problem))
            elif r.entry.source in sources:
                ranked.append(r.entry)
            else:
                apart.append(r.entry)
        if best_per_team:
            ranked, apart = _best_per_team(ranked), _best_per_team(apart)
        cut = (lambda xs: xs[:limit]) if limit else (lambda xs: xs)
        boards.append(Board(sc, diff, seed_, tuple(cut(ranked)), tuple(cut(apart)), tuple(cut(flagged))))
    return boards


def _best_per_team(es: list[Entry]) -> list[Entry]:
    seen, kept = set(), []
    for e in es:
        if e.team is not None and e.team in seen:
            continue
        seen.add(e.team)
        kept.append(e)
    return kept


# -- verifying ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verification:
    entry: Entry
    ok: bool
    message: str
    field: str | None = None  # the first field that failed


def _same(a: object, b: object) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return float(a) == float(b)
    return a == b


def verify(entry_id: int, path: str | Path | None = None, *, signing_key: bytes | None = None) -> Verification:
    """Re-simulate the entry's journal (drill.session.replay) and check that it reproduces the
    journal, every ranked column of the row and the outcome stored with it; that the journal is
    the one recorded (its content hash) and backs no other row; and, given the serve's signing
    key, the row's signature. Raises ResultsError when there is nothing to replay."""
    from drill.scenario import ScenarioError
    from drill.session.journal import JournalError
    from drill.session.replay import replay
    from drill.session.session import SessionError

    p = _resolve(path)
    r = _one(entry_id, p)
    e = r.entry
    stored = _parse_outcome(r, p)

    def fail(field: str, message: str) -> Verification:
        return Verification(e, False, message, field)

    problem = signature_problem(r, signing_key)
    if problem is not None:
        return fail("signature", problem)
    if not e.journal:
        raise ResultsError(f"result #{entry_id}: no journal was recorded with it")
    if e.journal_sha256 is not None:
        try:
            now = journal_sha256(e.journal)
        except FileNotFoundError:
            raise ResultsError(f"result #{entry_id}: {_shown(e.journal, 200)}: file: not found") from None
        except (OSError, ValueError) as exc:
            raise ResultsError(f"result #{entry_id}: {_shown(e.journal, 200)}: file: cannot read "
                               f"({getattr(exc, 'strerror', None) or exc})") from None
        if now != e.journal_sha256:
            return fail("journal", "journal: its content hash is not the one recorded with this result "
                                   "(another journal, or this one changed since)")
        others = [x for x in _rows(p) if x.entry.journal_sha256 == e.journal_sha256 and x.entry.id != e.id]
        if others:
            return fail("journal", f"journal: the same journal backs result #{others[0].entry.id}: "
                                   "a journal proves one result")
    try:
        report = replay(e.journal)
    except (JournalError, SessionError) as exc:
        raise ResultsError(f"result #{entry_id}: {exc}") from None
    except ScenarioError as exc:
        raise ResultsError(f"result #{entry_id}: {e.journal}: header.scenario: {str(exc).splitlines()[0]}") from None
    if not report.ok:
        return fail("journal", f"the journal does not reproduce: {report.divergence}")
    if report.cut_short or report.outcome is None:
        return fail("journal", "the journal was cut short: it has no outcome to check the result against")
    replayed = report.outcome.to_dict()
    column = {**{k: getattr(e, k) for k, _ in _RANKED}, "contained": e.contained, "bankrupt": e.bankrupt}
    for key, _ in _RANKED:
        if not _same(column[key], replayed.get(key)):
            return fail(key, f"the journal reproduces, but not this result: {key} recorded "
                             f"{_shown(column[key])}, replayed {_shown(replayed.get(key))}")
    if e.scenario_hash is not None and e.scenario_hash != _journal_header_hash(Path(e.journal)):
        return fail("scenario_hash", "the journal reproduces, but not this result: scenario_hash differs from the journal's")
    for key in sorted(set(stored) | set(replayed)):
        if not _same(stored.get(key, "<missing>"), replayed.get(key, "<missing>")):
            return fail(f"outcome.{key}", f"the journal reproduces, but not this result: outcome.{key} recorded "
                                          f"{_shown(stored.get(key, '<missing>'))}, replayed "
                                          f"{_shown(replayed.get(key, '<missing>'))}")
    signed = f", signed by {e.signed_by}" if signing_key is not None else ""
    return Verification(e, True, f"reproduced exactly: {report.checked_commands} commands, score "
                                 f"{replayed['score_usd']:,.2f}{signed}")

