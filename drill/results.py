"""The results store: every finished drill, played or headless, in one embedded SQLite database
(`data_dir()/results.sqlite` unless a path is given, so teams at a game day can share one).

SQLite in WAL mode lets readers (a leaderboard) run while a drill records, and a busy timeout
makes concurrent writers queue instead of failing. Each record is one `BEGIN IMMEDIATE`
transaction: a process killed mid-write leaves the earlier records intact and the last one either
whole or absent. The schema carries a version table; a newer database than this program knows is
refused rather than misread. The database must sit on a local disk: WAL needs shared memory, which
network file systems do not give.
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from drill import __version__
from drill.paths import data_dir

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000
MAX_TEAM_CHARS = 60

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

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Board:
    """The leaderboard of one scenario, difficulty and seed: entries best first."""

    scenario: str
    difficulty: str
    seed: int
    entries: tuple[Entry, ...]

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "difficulty": self.difficulty, "seed": self.seed,
                "entries": [{"rank": i, **e.to_dict()} for i, e in enumerate(self.entries, 1)]}


def default_path() -> Path:
    return data_dir() / "results.sqlite"


def _resolve(path: str | Path | None) -> Path:
    return Path(path) if path is not None else default_path()


def _connect(p: Path, create: bool) -> sqlite3.Connection:
    if p.is_dir():
        raise ResultsError(f"{p}: is a directory, not a results database")
    if not create and not p.exists():
        raise ResultsError(f"{p}: no results database here yet")
    if create:
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsError(f"{p}: cannot create its directory ({exc.strerror})") from None
    try:
        # isolation_level=None: transactions are ours (BEGIN IMMEDIATE), never implicit.
        con = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _wal(con)
        con.execute("PRAGMA synchronous = FULL")
        con.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise ResultsError(f"{p}: not a usable results database ({exc})") from None
    try:
        _migrate(con, p)
    except sqlite3.DatabaseError as exc:
        con.close()
        raise ResultsError(f"{p}: not a usable results database ({exc})") from None
    except ResultsError:
        con.close()
        raise
    return con


def _wal(con: sqlite3.Connection) -> None:
    # Switching to WAL takes a lock for a moment; a concurrent first open may see SQLITE_BUSY even
    # with a busy timeout, so retry briefly. Once set, the mode is persistent in the file.
    for attempt in range(50):
        try:
            mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() == "wal":
                return
            raise sqlite3.DatabaseError(f"journal_mode is {mode}, WAL unavailable")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            time.sleep(0.02 * (attempt + 1))
    raise sqlite3.OperationalError("database is locked (could not switch to WAL)")


def _migrate(con: sqlite3.Connection, p: Path) -> None:
    have = _version(con)
    if have == SCHEMA_VERSION:
        return
    if have is not None and have > SCHEMA_VERSION:
        raise ResultsError(f"{p}: schema version {have} is newer than this program's ({SCHEMA_VERSION}); upgrade drill")
    with _transaction(con):
        have = _version(con)  # another process may have created it while we waited for the lock
        if have is None:
            for stmt in _SCHEMA:
                con.execute(stmt)
            con.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (SCHEMA_VERSION, _now()))
        # Later versions add their migrations here, one `if have < N:` block each.


def _version(con: sqlite3.Connection) -> int | None:
    row = con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if row is None:
        return None
    v = con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    return int(v) if v is not None else None


@contextmanager
def _transaction(con: sqlite3.Connection) -> Iterator[None]:
    con.execute("BEGIN IMMEDIATE")  # take the write lock now: no deadlock upgrading a read later
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


@contextmanager
def _open(path: str | Path | None, create: bool) -> Iterator[sqlite3.Connection]:
    p = _resolve(path)
    con = _connect(p, create)
    try:
        yield con
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


def _journal_hash(journal: Path | None) -> str | None:
    """The scenario content hash from the journal's header line, where it can be read."""
    if journal is None:
        return None
    try:
        with open(journal, encoding="utf-8") as fh:
            head = json.loads(fh.readline())
        h = head.get("scenario_hash") if isinstance(head, dict) else None
        return h if isinstance(h, str) else None
    except (OSError, ValueError):
        return None


def record(outcome, journal_path: str | Path | None, team: str | None = None, path: str | Path | None = None) -> int:
    """Record one finished drill; returns its id. `outcome` is an Outcome (or its to_dict())."""
    o = outcome.to_dict() if hasattr(outcome, "to_dict") else dict(outcome)
    for key in ("scenario", "difficulty", "seed", "contained", "loss_usd", "collateral_usd", "score_usd", "grade",
                "bankrupt", "ended_at", "ended_by"):
        if key not in o:
            raise ResultsError(f"outcome: missing {key!r}")
    if team is not None:
        team = " ".join(str(team).split())
        if not team or len(team) > MAX_TEAM_CHARS or not team.isprintable():
            raise ResultsError(f"team: must be 1 to {MAX_TEAM_CHARS} printable characters")
    journal = Path(journal_path).resolve() if journal_path is not None else None
    row = (_now(), team, o["scenario"], _journal_hash(journal), o["difficulty"], int(o["seed"]), int(bool(o["contained"])),
           o.get("contained_at"), float(o["loss_usd"]), float(o["collateral_usd"]), float(o["score_usd"]), o["grade"],
           int(bool(o["bankrupt"])), o["ended_at"], o["ended_by"], str(journal) if journal else None,
           f"drill {__version__}", json.dumps(o, separators=(",", ":")))
    with _open(path, create=True) as con, _transaction(con):
        cur = con.execute(
            "INSERT INTO results (recorded_at, team, scenario, scenario_hash, difficulty, seed, contained, contained_at, "
            "loss_usd, collateral_usd, score_usd, grade, bankrupt, ended_at, ended_by, journal, program, outcome_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        return int(cur.lastrowid)


_COLUMNS = ("id, recorded_at, team, scenario, scenario_hash, difficulty, seed, contained, contained_at, loss_usd, "
            "collateral_usd, score_usd, grade, bankrupt, ended_at, ended_by, journal, program")


def _entry(row: tuple) -> Entry:
    (i, rec, team, sc, h, diff, seed, cont, cat, loss, coll, score, grade, bank, ended, by, journal, program) = row
    return Entry(i, rec, team, sc, h, diff, seed, bool(cont), cat, loss, coll, score, grade, bool(bank), ended, by,
                 journal, program)


def _where(scenario, difficulty, seed, team) -> tuple[str, list]:
    clauses, params = [], []
    for col, val in (("scenario", scenario), ("difficulty", difficulty), ("seed", seed), ("team", team)):
        if val is not None:
            clauses.append(f"{col} = ?")
            params.append(val)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def entries(path: str | Path | None = None, *, scenario: str | None = None, difficulty: str | None = None,
            seed: int | None = None, team: str | None = None, limit: int | None = None) -> list[Entry]:
    """Recorded drills, newest first. An absent database has no entries (and is not created)."""
    if not _resolve(path).exists():
        return []
    where, params = _where(scenario, difficulty, seed, team)
    sql = f"SELECT {_COLUMNS} FROM results{where} ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    with _open(path, create=False) as con:
        return [_entry(r) for r in con.execute(sql, params)]


def get(entry_id: int, path: str | Path | None = None) -> Entry:
    p = _resolve(path)
    with _open(p, create=False) as con:
        row = con.execute(f"SELECT {_COLUMNS} FROM results WHERE id = ?", (int(entry_id),)).fetchone()
    if row is None:
        raise ResultsError(f"{p}: no result #{entry_id}")
    return _entry(row)


def stored_outcome(entry_id: int, path: str | Path | None = None) -> dict:
    p = _resolve(path)
    with _open(p, create=False) as con:
        row = con.execute("SELECT outcome_json FROM results WHERE id = ?", (int(entry_id),)).fetchone()
    if row is None:
        raise ResultsError(f"{p}: no result #{entry_id}")
    return json.loads(row[0])


def leaderboard(path: str | Path | None = None, *, scenario: str | None = None, difficulty: str | None = None,
                seed: int | None = None, team: str | None = None, best_per_team: bool = False,
                limit: int | None = None) -> list[Board]:
    """Entries ranked by score (lowest first) per scenario, difficulty and seed. Ties go to the drill
    contained sooner, then to the one recorded first. best_per_team keeps each team's best entry
    (entries without a team each stand alone)."""
    rows = entries(path, scenario=scenario, difficulty=difficulty, seed=seed, team=team)
    groups: dict[tuple[str, str, int], list[Entry]] = {}
    for e in rows:
        groups.setdefault((e.scenario, e.difficulty, e.seed), []).append(e)
    boards = []
    for (sc, diff, seed_), es in sorted(groups.items()):
        es.sort(key=lambda e: (e.score_usd, e.contained_at is None, e.contained_at or "", e.id))
        if best_per_team:
            seen, kept = set(), []
            for e in es:
                if e.team is not None and e.team in seen:
                    continue
                seen.add(e.team)
                kept.append(e)
            es = kept
        boards.append(Board(sc, diff, seed_, tuple(es[:limit] if limit else es)))
    return boards


@dataclass(frozen=True)
class Verification:
    entry: Entry
    ok: bool
    message: str


def verify(entry_id: int, path: str | Path | None = None) -> Verification:
    """Re-simulate the entry's journal (drill.session.replay) and check that it reproduces both the
    journal and the outcome recorded here. Raises ResultsError when there is nothing to replay."""
    from drill.scenario import ScenarioError
    from drill.session.journal import JournalError
    from drill.session.replay import replay
    from drill.session.session import SessionError

    e = get(entry_id, path)
    if not e.journal:
        raise ResultsError(f"result #{entry_id}: no journal was recorded with it")
    try:
        report = replay(e.journal)
    except (JournalError, SessionError) as exc:
        raise ResultsError(f"result #{entry_id}: {exc}") from None
    except ScenarioError as exc:
        raise ResultsError(f"result #{entry_id}: {e.journal}: header.scenario: {str(exc).splitlines()[0]}") from None
    if not report.ok:
        return Verification(e, False, f"the journal does not reproduce: {report.divergence}")
    if report.cut_short or report.outcome is None:
        return Verification(e, False, "the journal was cut short: it has no outcome to check the result against")
    stored = stored_outcome(entry_id, path)
    replayed = report.outcome.to_dict()
    for key in ("score_usd", "loss_usd", "collateral_usd", "grade", "contained_at", "bankrupt", "ended_at"):
        if stored.get(key) != replayed.get(key):
            return Verification(e, False, f"the journal reproduces, but not this result: {key} recorded "
                                          f"{stored.get(key)!r}, replayed {replayed.get(key)!r}")
    return Verification(e, True, f"reproduced exactly: {report.checked_commands} commands, score {replayed['score_usd']:,.2f}")
