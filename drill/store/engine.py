"""Connections to the results store, on SQLite or PostgreSQL through SQLAlchemy Core, migrated to
the current schema on open.

SQLite: WAL mode lets readers run while a drill records, and a busy timeout makes writers queue;
the wait is bounded as a whole (`wait_s` across every statement of one open), after which one line
says which process holds the lock. A write is one `BEGIN IMMEDIATE` transaction (the write lock
taken up front: no deadlock upgrading a read). The file must sit on a local disk: WAL needs shared
memory, which network file systems do not give.

PostgreSQL: a connection attempt and each lock wait are bounded by the same `wait_s`; concurrent
writers need nothing more (MVCC). Migrations run under a transaction-scoped advisory lock, so two
programs opening a new database at once migrate it once.

The schema: Alembic revisions in drill/store/migrations, one per schema version. A store made
before Alembic (drill's first SQLite stores) carries only its `schema_version` table; it is
stamped at that revision and upgraded. A store newer than this program is refused, not misread.
"""

from __future__ import annotations

import datetime as _dt
import os
import random
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, func, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from drill.printable import printable
from drill.store.errors import ResultsError, Unreachable
from drill.store.location import POSTGRESQL, Location
from drill.store.tables import schema_version

SCHEMA_VERSION = 3
REVISIONS = {1: "0001", 2: "0002", 3: "0003"}  # schema version -> the Alembic revision that builds it
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 0x6472696C6C  # the advisory lock id two migrating PostgreSQL clients share ("drill")


def now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def shown(value: object, width: int = 40) -> str:
    """A stored value quoted for a one-line message, control characters escaped."""
    text = repr(value)
    text = printable(text)
    return text if len(text) <= width else text[: width - 1] + "\u2026"


# -- SQLite -------------------------------------------------------------------------------------------
class _Locked(Exception):
    pass


class _Cursor(sqlite3.Cursor):
    def execute(self, sql, params=()):  # noqa: D401 - same contract as sqlite3.Cursor.execute
        self.connection.share_deadline()
        return super().execute(sql, params)

    def executemany(self, sql, seq):
        self.connection.share_deadline()
        return super().executemany(sql, seq)


class _SqliteConn(sqlite3.Connection):
    """A connection whose waits on other processes' locks share one deadline: before each
    statement the busy timeout is set to what is left of it, so a store held locked costs at most
    `wait_s` per open, however many statements (and retries) the open makes."""

    deadline = 0.0

    def left_ms(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))

    def share_deadline(self) -> None:
        sqlite3.Connection.execute(self, f"PRAGMA busy_timeout = {self.left_ms()}")

    def cursor(self, factory=_Cursor):
        return super().cursor(factory)

    def begin_write(self) -> None:
        """BEGIN IMMEDIATE, waiting for the write lock until the deadline. Each waiter polls it at
        short random intervals rather than in SQLite's busy handler, whose growing sleeps (up to
        100 ms) let fresh writers overtake a long waiter again and again: with 20 writers queued,
        that starved one past any bound. Polling at random gives every waiter an even chance."""
        while True:
            sqlite3.Connection.execute(self, f"PRAGMA busy_timeout = {min(self.left_ms(), 5)}")
            try:
                super().execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_lock(exc):
                    raise
                if self.left_ms() <= 0:
                    raise _Locked(str(exc)) from None
            time.sleep(random.uniform(0.001, 0.008))

    def execute(self, sql, params=()):
        self.share_deadline()
        try:
            return super().execute(sql, params)
        except sqlite3.OperationalError as exc:
            if is_lock(exc):
                raise _Locked(str(exc)) from None
            raise


def is_lock(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def check_file(p: Path) -> None:
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
    inodes = _inodes(p)
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    found: dict[int, str] = {}
    for line in lines:
        holder = _lock_holder(line)
        if holder is not None and holder[1] in inodes and holder[0] != os.getpid():
            found.setdefault(holder[0], _process_name(holder[0]))
    return sorted(found.values())


def _inodes(p: Path) -> set[tuple[int, int, int]]:
    """(major, minor, inode) of the database and its WAL files, those that exist."""
    inodes = set()
    for suffix in ("", "-wal", "-shm"):
        try:
            st = os.stat(f"{p}{suffix}")
        except OSError:
            continue
        inodes.add((os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
    return inodes


def _lock_holder(line: str) -> tuple[int, tuple[int, int, int]] | None:
    """The pid holding a lock in one /proc/locks line, and the file's (major, minor, inode);
    None for a request still waiting for its lock, or a line not understood."""
    parts = line.split()
    if "->" in parts:
        return None
    try:
        maj, mn, ino = parts[5].split(":")
        return int(parts[4]), (int(maj, 16), int(mn, 16), int(ino))
    except (IndexError, ValueError):
        return None


def _process_name(pid: int) -> str:
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        name = "?"
    return f"pid {pid} ({''.join(ch for ch in name if ch.isprintable())})"


def _locked_error(loc: Location, wait_s: float) -> ResultsError:
    holders = lock_holders(loc.path) if loc.path is not None else []
    who = f"held by {', '.join(holders)}" if holders else "held by another process"
    return ResultsError(
        f"{loc}: locked: waited {wait_s:g} s for the results database, {who} "
        "(a drill recording, or a program holding a transaction or exclusive lock open); "
        "try again when it lets go"
    )


def _sqlite_connect(p: Path, wait_s: float) -> _SqliteConn:
    # isolation_level=None: transactions are ours (the "begin" event below), never implicit.
    con = sqlite3.connect(str(p), timeout=wait_s, isolation_level=None, factory=_SqliteConn, check_same_thread=False)
    con.deadline = time.monotonic() + wait_s
    try:
        _wal(con)
        con.execute("PRAGMA synchronous = FULL")
        con.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        con.close()
        raise
    return con


def _wal(con: _SqliteConn) -> None:
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


def _sqlite_engine(p: Path, wait_s: float) -> Engine:
    engine = create_engine("sqlite://", creator=lambda: _sqlite_connect(p, wait_s), poolclass=NullPool)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A write takes the write lock at once; a read begins deferred, so readers never queue
        # behind a writer (WAL).
        if conn.get_execution_options().get("drill_write", False):
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None  # a connection that has begun has its driver connection
            dbapi.begin_write()
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


# -- PostgreSQL ---------------------------------------------------------------------------------------
_POSTGRES_ENGINES: dict[tuple[int, str, float], Engine] = {}


def _postgres_engine(loc: Location, wait_s: float) -> Engine:
    """One engine per process, URL and wait: its pool keeps a connection or two open, since a
    connection costs a TCP handshake and SCRAM's key stretching (a served drill publishes its status
    every second). Pre-ping replaces a connection the server dropped (a restart) before it is used;
    the process id in the key keeps a forked child off its parent's sockets."""
    assert loc.url is not None  # a PostgreSQL location has its URL
    key = (os.getpid(), loc.url, wait_s)
    engine = _POSTGRES_ENGINES.get(key)
    if engine is None:
        wait_ms = max(1, int(wait_s * 1000))
        engine = create_engine(
            loc.url,
            pool_size=2,
            max_overflow=8,
            pool_pre_ping=True,
            pool_recycle=600,
            pool_timeout=wait_s,
            connect_args={
                "connect_timeout": max(1, round(wait_s)),
                "options": f"-c lock_timeout={wait_ms}",
                "application_name": "drill",
            },
        )
        _POSTGRES_ENGINES[key] = engine
    return engine


def first_line(exc: BaseException, loc: Location) -> str:
    """The driver's message, one line, with the URL's password (should the driver echo it) masked."""
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    if loc.url is not None:
        from sqlalchemy.engine import make_url

        password = make_url(loc.url).password
        if password:
            text = text.replace(str(password), "***")
    return printable(text)


# -- opening ------------------------------------------------------------------------------------------
def exists(loc: Location) -> bool:
    """Whether there is a store to read: a SQLite file that exists (a reader never creates one);
    a PostgreSQL database always (its tables are made on first open)."""
    if loc.kind == POSTGRESQL:
        return True
    assert loc.path is not None  # a SQLite location has its file
    check_file(loc.path)
    return loc.path.exists()


@contextmanager
def opened(loc: Location, *, create: bool, write: bool, wait_s: float) -> Iterator[Connection]:
    """A connection to the store, migrated to the current schema, inside one transaction that
    commits when the block ends well (`write`: on SQLite the write lock is taken at once). Every
    failure is a ResultsError naming the store in one line."""
    if loc.kind == POSTGRESQL:
        engine = _postgres_engine(loc, wait_s)
    else:
        assert loc.path is not None  # a SQLite location has its file
        check_file(loc.path)
        if not create and not loc.path.exists():
            raise ResultsError(f"{loc}: no results database here yet")
        if create:
            try:
                loc.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ResultsError(f"{loc}: cannot create its directory ({exc.strerror})") from None
        engine = _sqlite_engine(loc.path, wait_s)
    try:
        with _translated(loc, wait_s, connecting=True):
            conn = engine.connect()
        try:
            with _translated(loc, wait_s):
                migrate(conn, loc)
                with conn.execution_options(drill_write=write).begin():
                    yield conn
        finally:
            conn.close()
    finally:
        if loc.kind != POSTGRESQL:
            engine.dispose()


@contextmanager
def _translated(loc: Location, wait_s: float, connecting: bool = False) -> Iterator[None]:
    try:
        yield
    except _Locked:
        raise _locked_error(loc, wait_s) from None
    except DBAPIError as exc:
        raise _driver_error(exc, loc, wait_s, connecting) from None
    except sqlite3.DatabaseError as exc:  # raised by our own connect, before SQLAlchemy wraps it
        raise ResultsError(f"{loc}: not a usable results database ({first_line(exc, loc)})") from None
    except SQLAlchemyError as exc:
        raise ResultsError(f"{loc}: {first_line(exc, loc)}") from None


def _driver_error(exc: DBAPIError, loc: Location, wait_s: float, connecting: bool) -> ResultsError:
    """A driver's error as one line for a person: a lock waited out, a server out of reach, a
    file that is no database, or the driver's own first line."""
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError) and is_lock(orig):
        return _locked_error(loc, wait_s)
    if loc.kind == POSTGRESQL and (connecting or exc.connection_invalidated or _lost(orig)):
        return Unreachable(f"{loc}: cannot connect to the results database ({first_line(exc, loc)})")
    if loc.kind == POSTGRESQL and "lock timeout" in str(orig).lower():
        return ResultsError(f"{loc}: locked: waited {wait_s:g} s for the results database; try again when it lets go")
    if isinstance(orig, sqlite3.DatabaseError) and connecting:
        return ResultsError(f"{loc}: not a usable results database ({first_line(exc, loc)})")
    return ResultsError(f"{loc}: {first_line(exc, loc)}")


def _lost(orig: BaseException | None) -> bool:
    """A PostgreSQL error that means the server or the link went away (not a refusal of the SQL)."""
    import psycopg

    return isinstance(orig, psycopg.OperationalError) and not isinstance(orig, psycopg.errors.LockNotAvailable)


def version(conn: Connection, loc: Location) -> int | None:
    """The store's schema version (None: a new, empty database)."""
    if not inspect(conn).has_table("schema_version"):
        return None
    v = conn.execute(select(func.max(schema_version.c.version))).scalar()
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool):
        raise ResultsError(f"{loc}: schema_version: holds {shown(v)}, not a version number")
    return v


def migrate(conn: Connection, loc: Location) -> None:
    have = version(conn, loc)
    conn.rollback()  # end the read's transaction: the migration takes its own lock
    if have == SCHEMA_VERSION:
        return
    _refuse_newer(have, loc)
    with conn.execution_options(drill_write=True).begin():
        if loc.kind == POSTGRESQL:
            conn.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        have = version(conn, loc)  # another program may have migrated it while we waited for the lock
        _refuse_newer(have, loc)
        if have != SCHEMA_VERSION:
            _upgrade(conn, have)
            conn.execute(schema_version.insert().values(version=SCHEMA_VERSION, applied_at=now()))


def _refuse_newer(have: int | None, loc: Location) -> None:
    if have is not None and have > SCHEMA_VERSION:
        raise ResultsError(
            f"{loc}: schema version {have} is newer than this program's ({SCHEMA_VERSION}); upgrade drill"
        )


def _upgrade(conn: Connection, have: int | None) -> None:
    """Run the Alembic revisions from `have` to the newest, on this connection and transaction."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    if have is not None and not inspect(conn).has_table("alembic_version"):
        command.stamp(cfg, REVISIONS[have])  # a store from before Alembic: its version says where it is
    command.upgrade(cfg, "head")
