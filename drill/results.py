"""The results store: every finished drill, played or headless, in one database: a SQLite file
(`data_dir()/results.sqlite` unless a path is given, so teams on one machine can share one) or a
PostgreSQL database named by a URL (`postgresql://user@host/db`, or DRILL_RESULTS_URL), so the hosts
of a game day share one. Both go through one code path (SQLAlchemy Core, drill.store), one schema,
migrated on open (Alembic); how each is opened, locked and bounded is drill.store.engine's.

Each record is one transaction: a process killed mid-write leaves the earlier records intact and
the last one either whole or absent. A store newer than this program is refused rather than misread.

Proof. Each row names how it was produced (`source`: a live console, a served browser tab or a
headless script) and the SHA-256 of its journal's bytes. `verify` re-simulates the journal and
compares every ranked column with the replay. A store written by `drill serve` also signs its rows
(HMAC-SHA256 under a key derived from the serve key, over the ranked columns and the journal
hash); given that key, a row whose signature does not hold is flagged and left unranked. What this
does and does not protect against: docs/RELIABILITY.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
import stat
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.types import NullType

from drill import __version__, store
from drill.paths import data_dir
from drill.score import Score
from drill.seeds import is_seed
from drill.session.journal import MAX_JOURNAL_BYTES  # hashing a journal larger than one reads is refused
from drill.store import engine
from drill.store.errors import ResultsError, Unreachable
from drill.store.location import Location
from drill.store.tables import results as _results_table

if TYPE_CHECKING:
    from drill.session.replay import ReplayReport  # imported where a verify needs it: replays are heavy

SCHEMA_VERSION = engine.SCHEMA_VERSION
# The longest one open of the store waits on another process's lock, all told. Twenty tabs
# recording at once on a loaded two-core machine queued for more than 10 s, and lost a result.
MAX_WAIT_S = 30.0
MAX_TEAM_CHARS = 60
MAX_LIMIT = 1_000_000  # `limit` beyond this is refused (SQLite's LIMIT is a 64-bit integer)

SOURCE_LIVE, SOURCE_SERVED, SOURCE_SCRIPT = "live", "served", "script"
SOURCES = (SOURCE_LIVE, SOURCE_SERVED, SOURCE_SCRIPT)
PLAYED = (SOURCE_LIVE, SOURCE_SERVED)  # what the leaderboards rank by default

# The columns a board ranks or shows as the result, with the type each must hold when read back.
_RANKED = (
    ("scenario", str),
    ("difficulty", str),
    ("seed", int),
    ("contained", int),
    ("contained_at", (str, type(None))),
    ("loss_usd", float),
    ("collateral_usd", float),
    ("score_usd", float),
    ("grade", str),
    ("bankrupt", int),
    ("ended_at", str),
    ("ended_by", str),
)


@dataclass(frozen=True)
class Entry(Score):
    """One stored result: its score (drill.score.Score) and where it came from."""

    id: int
    recorded_at: str
    team: str | None
    scenario: str
    scenario_hash: str | None
    difficulty: str
    seed: int
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
        return {
            "scenario": self.scenario,
            "difficulty": self.difficulty,
            "seed": self.seed,
            "entries": [{"rank": i, **e.to_dict()} for i, e in enumerate(self.entries, 1)],
            "apart": [e.to_dict() for e in self.apart],
            "flagged": [f.to_dict() for f in self.flagged],
        }


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
    return (*rank_key(e.score_usd, e.contained_at, e.ended_by, e.grade), e.id)


def outcome_rank_key(outcome: Mapping) -> tuple:
    """rank_key for an outcome dict (`Outcome.to_dict()`, as a drill's status carries it)."""
    return rank_key(
        outcome["score_usd"], outcome.get("contained_at"), outcome.get("ended_by", ""), outcome.get("grade", "")
    )


# -- signing ------------------------------------------------------------------------------------------
def signing_key(serve_key: str) -> bytes:
    """The key a `drill serve` run signs its results with, derived from its facilitator key (so
    the facilitator key itself never needs to be kept by the process that records)."""
    return hmac.new(serve_key.encode(), b"drill results signing key", hashlib.sha256).digest()


def signer_id(key: bytes) -> str:
    """A public name for a signing key, stored with each row it signs."""
    return hmac.new(key, b"drill results signer", hashlib.sha256).hexdigest()[:12]


def _signed_fields(recorded_at, team, scenario_hash, source, journal_sha256, outcome_json, ranked: Mapping) -> dict:
    return {
        "recorded_at": recorded_at,
        "team": team,
        "scenario_hash": scenario_hash,
        "source": source,
        "journal_sha256": journal_sha256,
        "outcome_sha256": hashlib.sha256(outcome_json.encode("utf-8", "surrogatepass")).hexdigest(),
        **{k: ranked[k] for k, _ in _RANKED},
    }


def sign(fields: Mapping, key: bytes) -> str:
    """HMAC-SHA256 over a row's ranked columns, team, provenance and journal hash, as stored."""
    body = json.dumps(dict(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


# -- opening ------------------------------------------------------------------------------------------
def default_path() -> Path:
    return store.default_path()


def locate(path: str | Path | Location | None) -> Location:
    """The store a --results argument names (None: DRILL_RESULTS_URL, else the default file)."""
    return store.locate(path)


def _resolve(path: str | Path | Location | None) -> Location:
    return store.locate(path)


@contextmanager
def _open(path: str | Path | Location | None, create: bool, write: bool = False) -> Iterator[Connection]:
    with engine.opened(_resolve(path), create=create, write=write, wait_s=MAX_WAIT_S) as con:
        yield con


def check(path: str | Path | Location | None = None) -> Location:
    """Open (creating if need be) the store, to fail early on a bad path or URL. Returns where it
    is: str() of it names it for a person, the password of a URL masked."""
    loc = _resolve(path)
    with _open(loc, create=True):
        pass
    return loc


_now = engine.now
_shown = engine.shown


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


def journal_bytes(journal: str | Path) -> bytes:
    """A journal's bytes. Raises OSError for what cannot be read, ValueError for a special file or
    one over the journal size limit (never waits on a FIFO)."""
    p = Path(journal)
    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > MAX_JOURNAL_BYTES:
            raise ValueError(f"larger than {MAX_JOURNAL_BYTES:,} bytes")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_JOURNAL_BYTES + 1)
        if len(data) > MAX_JOURNAL_BYTES:
            raise ValueError(f"larger than {MAX_JOURNAL_BYTES:,} bytes")
        return data
    finally:
        os.close(fd)


def journal_sha256(journal: str | Path) -> str:
    """The SHA-256 of a journal's bytes (errors as journal_bytes)."""
    return hashlib.sha256(journal_bytes(journal)).hexdigest()


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


def record(
    outcome,
    journal_path: str | Path | None,
    team: str | None = None,
    path: str | Path | Location | None = None,
    *,
    source: str | None = None,
    signing_key: bytes | None = None,
) -> int:
    """Record one finished drill; returns its id. `outcome` is an Outcome (or its to_dict()).
    `source` says how it was produced (SOURCES; default: "served" when a signing key is given,
    else "live"). With `signing_key` (`signing_key(serve_key)`), the row is signed."""
    o = _outcome_fields(outcome)
    source = source or (SOURCE_SERVED if signing_key is not None else SOURCE_LIVE)
    if source not in SOURCES:
        raise ResultsError(f"source: must be one of {', '.join(SOURCES)}, not {_shown(source)}")
    team = _team_name(team)
    ranked = _ranked(o)
    journal = Path(journal_path).resolve() if journal_path is not None else None
    digest, journal_text = _journal_proof(journal)
    recorded_at, scenario_hash = _now(), _journal_header_hash(journal)
    outcome_json = json.dumps(o, separators=(",", ":"))
    signed_by = signature = None
    if signing_key is not None:
        signed_by = signer_id(signing_key)
        signature = sign(
            _signed_fields(recorded_at, team, scenario_hash, source, digest, outcome_json, ranked), signing_key
        )
    row = {
        "recorded_at": recorded_at,
        "team": team,
        "scenario_hash": scenario_hash,
        **ranked,
        "journal": str(journal) if journal else None,
        "program": f"drill {__version__}",
        "outcome_json": outcome_json,
        "source": source,
        "journal_sha256": digest,
        "signed_by": signed_by,
        "signature": signature,
        "journal_text": journal_text,
    }
    return _store(_resolve(path), row)


_REQUIRED_OUTCOME_KEYS = (
    "scenario",
    "difficulty",
    "seed",
    "contained",
    "loss_usd",
    "collateral_usd",
    "score_usd",
    "grade",
    "bankrupt",
    "ended_at",
    "ended_by",
)


def _outcome_fields(outcome) -> dict:
    """An Outcome (or its to_dict()) as the dict stored, with every key a row needs."""
    o = outcome.to_dict() if hasattr(outcome, "to_dict") else dict(outcome)
    for key in _REQUIRED_OUTCOME_KEYS:
        if key not in o:
            raise ResultsError(f"outcome: missing {key!r}")
    return o


def _team_name(team: str | None) -> str | None:
    """A team's name with its whitespace collapsed, or a clear error."""
    if team is None:
        return None
    team = " ".join(str(team).split())
    if not team or len(team) > MAX_TEAM_CHARS or not team.isprintable():
        raise ResultsError(f"team: must be 1 to {MAX_TEAM_CHARS} printable characters")
    return team


def _ranked(o: Mapping) -> dict:
    """The outcome's columns a leaderboard ranks and filters by, each type-checked."""
    seed = o["seed"]
    if not is_seed(seed):
        raise ResultsError(f"outcome: seed: not a seed ({_shown(seed)})")
    return {
        "scenario": _text(o, "scenario"),
        "difficulty": _text(o, "difficulty"),
        "seed": seed,
        "contained": int(bool(o["contained"])),
        "contained_at": _text(o, "contained_at", optional=True),
        "loss_usd": _finite(o, "loss_usd"),
        "collateral_usd": _finite(o, "collateral_usd"),
        "score_usd": _finite(o, "score_usd"),
        "grade": _text(o, "grade"),
        "bankrupt": int(bool(o["bankrupt"])),
        "ended_at": _text(o, "ended_at"),
        "ended_by": _text(o, "ended_by"),
    }


def _journal_proof(journal: Path | None) -> tuple[str | None, str | None]:
    """The journal's SHA-256 and its text, which travels with the result (a debrief needs no
    host's disk); neither for /dev/null or a journal never written, and no text if not UTF-8."""
    if journal is None:
        return None, None
    try:
        data = journal_bytes(journal)
    except (OSError, ValueError):
        return None, None
    try:
        return hashlib.sha256(data).hexdigest(), data.decode("utf-8")
    except UnicodeDecodeError:
        return hashlib.sha256(data).hexdigest(), None


def _store(loc: Location, row: dict) -> int:
    """Insert one row; on an unreachable PostgreSQL server, keep it in this host's outbox."""
    if loc.kind != store.POSTGRESQL:
        with _open(loc, create=True, write=True) as con:
            return _insert(con, row)
    try:
        deliver_pending(loc)  # what was kept while the server was away goes first, in order
        with _open(loc, create=True, write=True) as con:
            return _insert(con, row)
    except Unreachable as exc:
        kept = _keep(loc, row)
        raise ResultsPending(
            f"{exc}: the result is kept on this host ({kept}) and delivered when the database is back"
        ) from None


def _insert(con: Connection, row: dict) -> int:
    key = con.execute(_results_table.insert().values(**row)).inserted_primary_key
    assert key is not None  # an insert of one row always has one
    return int(key[0])


# -- kept while the database is away --------------------------------------------------------------------
class ResultsPending(ResultsError):
    """The PostgreSQL store was unreachable: the result is kept in this host's outbox and delivered
    by a later record, `deliver_pending`, or a hosted drill's steering loop."""


def outbox_dir() -> Path:
    return data_dir() / "results-outbox"


_ROW_KEYS = (
    "recorded_at",
    "team",
    "scenario_hash",
    "scenario",
    "difficulty",
    "seed",
    *Score.names(),
    "journal",
    "program",
    "outcome_json",
    "source",
    "journal_sha256",
    "signed_by",
    "signature",
    "journal_text",
)


def _keep(loc: Location, row: dict) -> Path:
    """Write a row to the outbox, atomically (a file appears whole or not at all). The store is
    named as shown (password masked): the outbox never holds a password."""
    d = outbox_dir()
    d.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{secrets.token_hex(4)}.json"
    tmp = d / (name + ".tmp")
    tmp.write_text(json.dumps({"store": loc.shown, "row": row}))
    os.replace(tmp, d / name)
    return d / name


def deliver_pending(loc: Location) -> int:
    """Deliver the rows kept for this store while it was away, oldest first; how many were
    delivered. A row already there (delivered before its file could be removed) is not written
    twice. Raises Unreachable when the server is still away."""
    delivered = 0
    for f in _kept_files():
        row = _kept_row(f, loc)
        if row is None:
            continue  # unreadable, another store's, or not a row this program wrote
        with _open(loc, create=True, write=True) as con:
            if not _already_stored(con, row):
                _insert(con, row)
        f.unlink()
        delivered += 1
    return delivered


def _kept_files() -> list[Path]:
    """The outbox's rows, oldest first (their names start with the time they were kept)."""
    try:
        return sorted(f for f in outbox_dir().iterdir() if f.suffix == ".json")
    except OSError:
        return []


def _kept_row(f: Path, loc: Location) -> dict | None:
    """The row a kept file holds for this store, or None."""
    try:
        kept = json.loads(f.read_text())
    except (OSError, ValueError):
        return None
    row = kept.get("row") if isinstance(kept, dict) else None
    if kept.get("store") != loc.shown or not isinstance(row, dict) or set(row) != set(_ROW_KEYS):
        return None
    return row


def _already_stored(con: Connection, row: dict) -> bool:
    """Whether the row was delivered before (its file could not be removed then)."""
    c = _results_table.c
    same = select(c.id).where(
        *(
            c[k] == row[k] if row[k] is not None else c[k].is_(None)
            for k in ("recorded_at", "team", "journal_sha256", "signature", "outcome_json")
        )
    )
    return con.execute(same).first() is not None


# -- reading ------------------------------------------------------------------------------------------
_NAMES = (
    "id",
    "recorded_at",
    "team",
    "scenario",
    "scenario_hash",
    "difficulty",
    "seed",
    *Score.names(),
    "journal",
    "program",
    "source",
    "journal_sha256",
    "signed_by",
    "signature",
    "outcome_json",
    "journal_text",
)
# Read back as stored (no type processing): the checks below, not the driver, decide what a value is.
_SELECT = select(*(type_coerce(_results_table.c[n], NullType()).label(n) for n in _NAMES))
_TEXT_OR_NONE = (str, type(None))
_TYPES: dict[str, type | tuple[type, ...]] = {
    "id": int,
    "recorded_at": str,
    "team": _TEXT_OR_NONE,
    "scenario_hash": _TEXT_OR_NONE,
    "journal": _TEXT_OR_NONE,
    "program": str,
    "source": _TEXT_OR_NONE,
    "journal_sha256": _TEXT_OR_NONE,
    "signed_by": _TEXT_OR_NONE,
    "signature": _TEXT_OR_NONE,
    "outcome_json": str,
    "journal_text": _TEXT_OR_NONE,
    **dict(_RANKED),
}


@dataclass(frozen=True)
class _Row:
    """One stored row, every column checked for its type: the entry, plus what proves it."""

    entry: Entry
    signature: str | None
    outcome_json: str
    stored: dict  # the columns as stored, for the signature

    def signed_fields(self) -> dict:
        s = self.stored
        return _signed_fields(
            s["recorded_at"], s["team"], s["scenario_hash"], s["source"], s["journal_sha256"], s["outcome_json"], s
        )


def _row(values, p: Location) -> _Row:
    d = _checked_columns(dict(zip(_NAMES, values)), p)
    score = {name: d[name] for name in Score.names()}
    score.update(contained=bool(d["contained"]), bankrupt=bool(d["bankrupt"]))
    e = Entry(
        d["id"],
        d["recorded_at"],
        d["team"],
        d["scenario"],
        d["scenario_hash"],
        d["difficulty"],
        d["seed"],
        d["journal"],
        d["program"],
        d["source"] or "unknown",
        d["journal_sha256"],
        d["signed_by"],
        **score,
    )
    return _Row(e, d["signature"], d["outcome_json"], d)


def _checked_columns(d: dict, p: Location) -> dict:
    """The stored columns, each of the type it should hold (a whole REAL read back as a float):
    anything else is a clear error naming the store, the row and the column."""
    for name, typ in _TYPES.items():
        v = d[name]
        if typ is float and isinstance(v, int) and not isinstance(v, bool):
            v = d[name] = float(v)  # SQLite hands back a whole REAL as an integer only if stored as one
        if not _holds(v, typ):
            kind = "a number" if typ in (int, float) else "text"
            raise ResultsError(f"{p}: result #{_shown(d['id'])}: {name}: holds {_shown(v)}, not {kind}")
    return d


def _holds(v: object, typ: type | tuple[type, ...]) -> bool:
    """A value of the type (never a bool for a number, never an infinite float)."""
    want = typ if isinstance(typ, tuple) else (typ,)
    return not isinstance(v, bool) and isinstance(v, want) and not (isinstance(v, float) and not math.isfinite(v))


def _where(query, scenario, difficulty, seed, team):
    for col, val in (("scenario", scenario), ("difficulty", difficulty), ("seed", seed), ("team", team)):
        if val is not None:
            query = query.where(_results_table.c[col] == val)
    return query


def _check_limit(limit: int | None) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT):
        raise ResultsError(f"limit: must be an integer from 1 to {MAX_LIMIT:,}, not {_shown(limit)}")


def _rows(path, *, scenario=None, difficulty=None, seed=None, team=None, limit=None) -> list[_Row]:
    p = _resolve(path)
    _check_limit(limit)
    if seed is not None and not is_seed(seed):
        return []  # no stored seed can match (and the database cannot bind it)
    if not engine.exists(p):
        return []
    query = _where(_SELECT, scenario, difficulty, seed, team).order_by(_results_table.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    with _open(p, create=False) as con:
        return [_row(r, p) for r in con.execute(query)]


def entries(
    path: str | Path | Location | None = None,
    *,
    scenario: str | None = None,
    difficulty: str | None = None,
    seed: int | None = None,
    team: str | None = None,
    limit: int | None = None,
) -> list[Entry]:
    """Recorded drills, newest first. An absent database has no entries (and is not created)."""
    return [r.entry for r in _rows(path, scenario=scenario, difficulty=difficulty, seed=seed, team=team, limit=limit)]


def _one(entry_id: int, path) -> _Row:
    p = _resolve(path)
    if not 1 <= entry_id < 2**63:
        raise ResultsError(f"{p}: no result #{entry_id}")
    with _open(p, create=False) as con:
        row = con.execute(_SELECT.where(_results_table.c.id == int(entry_id))).first()
    if row is None:
        raise ResultsError(f"{p}: no result #{entry_id}")
    return _row(row, p)


def get(entry_id: int, path: str | Path | None = None) -> Entry:
    return _one(entry_id, path).entry


def _parse_outcome(r: _Row, p: Location) -> dict:
    try:
        o = json.loads(r.outcome_json)
    except (ValueError, RecursionError):
        raise ResultsError(f"{p}: result #{r.entry.id}: outcome_json: not valid JSON") from None
    if not isinstance(o, dict):
        raise ResultsError(f"{p}: result #{r.entry.id}: outcome_json: not an object")
    return o


def _text_sha256(text: str) -> str:
    """The content hash of a journal stored as text (the bytes it was read from)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def stored_journal(entry_id: int, path: str | Path | Location | None = None) -> str:
    """The journal that travelled with a result (recorded in the store with it, schema 3 on), checked
    against the content hash recorded with it. Raises ResultsError when there is none or it
    does not match."""
    p = _resolve(path)
    r = _one(entry_id, p)
    text = r.stored.get("journal_text")
    if text is None:
        raise ResultsError(
            f"{p}: result #{entry_id}: no journal was stored with it (recorded before drill "
            "kept journals in the store, or without one)"
        )
    if r.entry.journal_sha256 != _text_sha256(text):
        raise ResultsError(
            f"{p}: result #{entry_id}: journal_text: its content hash is not the one recorded with this result"
        )
    return text


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


def leaderboard(
    path: str | Path | Location | None = None,
    *,
    scenario: str | None = None,
    difficulty: str | None = None,
    seed: int | None = None,
    team: str | None = None,
    best_per_team: bool = False,
    limit: int | None = None,
    signing_key: bytes | None = None,
    sources: tuple[str, ...] = PLAYED,
) -> list[Board]:
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
    return [_board(key, rs, shared, signing_key, sources, best_per_team, limit) for key, rs in sorted(groups.items())]


def _board(
    key: tuple[str, str, int],
    rows: list[_Row],
    shared: dict[int, int],
    signing_key: bytes | None,
    sources: tuple[str, ...],
    best_per_team: bool,
    limit: int | None,
) -> Board:
    """One scenario, difficulty and seed's board: ranked, listed apart, or flagged by its proof."""
    rows.sort(key=lambda r: entry_rank_key(r.entry))
    ranked, apart, flagged = [], [], []
    for r in rows:
        problem = _proof_problem(r, signing_key, shared)
        if problem is not None:
            flagged.append(Flagged(r.entry, problem))
        elif r.entry.source in sources:
            ranked.append(r.entry)
        else:
            apart.append(r.entry)
    if best_per_team:
        ranked, apart = _best_per_team(ranked), _best_per_team(apart)
    cut = slice(None, limit or None)
    return Board(*key, tuple(ranked[cut]), tuple(apart[cut]), tuple(flagged[cut]))


def _proof_problem(r: _Row, signing_key: bytes | None, shared: dict[int, int]) -> str | None:
    """Why a row cannot be ranked: its signature, or a journal that also backs another row."""
    problem = signature_problem(r, signing_key)
    if problem is None and r.entry.id in shared:
        problem = f"journal: the same journal backs result #{shared[r.entry.id]}"
    return problem


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
    if (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return float(a) == float(b)
    return a == b


@contextmanager
def _replayable(e: Entry, stored_text: str | None) -> Iterator[str]:
    """The journal to replay: the file recorded, where it is on this machine's disk; else the copy
    that travelled with the result, in a temporary file (its content hash is checked as the
    file's would be)."""
    journal = e.journal
    assert journal is not None  # verify() refuses an entry recorded without one
    if os.path.lexists(journal) or stored_text is None:
        yield journal
        return
    with tempfile.TemporaryDirectory(prefix="drill-verify-") as tmp:
        copy = Path(tmp) / Path(journal).name
        copy.write_text(stored_text, encoding="utf-8")
        yield str(copy)


def verify(
    entry_id: int, path: str | Path | Location | None = None, *, signing_key: bytes | None = None
) -> Verification:
    """Re-simulate the entry's journal (drill.session.replay) and check that it reproduces the
    journal, every ranked column of the row and the outcome stored with it; that the journal is
    the one recorded (its content hash) and backs no other row; and, given the serve's signing
    key, the row's signature. Raises ResultsError when there is nothing to replay."""
    p = _resolve(path)
    r = _one(entry_id, p)
    e = r.entry
    stored = _parse_outcome(r, p)
    problem = signature_problem(r, signing_key)
    if problem is not None:
        return Verification(e, False, problem, "signature")
    if not e.journal:
        raise ResultsError(f"result #{entry_id}: no journal was recorded with it")
    stored_text = r.stored.get("journal_text")
    with _replayable(e, stored_text) as journal:
        mismatch = _journal_hash_mismatch(e, journal, p, stored_text)
        if mismatch is None:
            report = _replay_for(entry_id, journal)
            mismatch = _replay_mismatch(report)
        if mismatch is None:
            assert report.outcome is not None  # _replay_mismatch refuses a report without one
            replayed = report.outcome.to_dict()
            mismatch = _result_mismatch(e, stored, replayed, journal)
        if mismatch is not None:
            field, message = mismatch
            return Verification(e, False, message, field)
        signed = f", signed by {e.signed_by}" if signing_key is not None else ""
        return Verification(
            e,
            True,
            f"reproduced exactly: {report.checked_commands} commands, score {replayed['score_usd']:,.2f}{signed}",
        )


Mismatch = tuple[str, str]  # the field that differs, and what a person reads about it


def _journal_hash_mismatch(e: Entry, journal: str, p: Location, stored_text: str | None) -> Mismatch | None:
    """The journal must be the one recorded with the result (its content hash) and back no other;
    so must the copy that travels with the row (what `--journal ID` and a debrief on another host
    read), even when the file on this disk is the one replayed."""
    if e.journal_sha256 is None:
        return None
    try:
        now = journal_sha256(journal)
    except FileNotFoundError:
        raise ResultsError(f"result #{e.id}: {_shown(journal, 200)}: file: not found") from None
    except (OSError, ValueError) as exc:
        raise ResultsError(
            f"result #{e.id}: {_shown(journal, 200)}: file: cannot read ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    if now != e.journal_sha256:
        return (
            "journal",
            "journal: its content hash is not the one recorded with this result "
            "(another journal, or this one changed since)",
        )
    others = [x for x in _rows(p) if x.entry.journal_sha256 == e.journal_sha256 and x.entry.id != e.id]
    if others:
        return "journal", f"journal: the same journal backs result #{others[0].entry.id}: a journal proves one result"
    if stored_text is not None and e.journal_sha256 != _text_sha256(stored_text):
        return "journal_text", "journal_text: its content hash is not the one recorded with this result"
    return None


def _replay_for(entry_id: int, journal: str) -> ReplayReport:
    """Re-simulate a result's journal; a journal or scenario that cannot be replayed is an error."""
    from drill.scenario import ScenarioError
    from drill.session.journal import JournalError
    from drill.session.replay import replay
    from drill.session.session import SessionError

    try:
        return replay(journal)
    except (JournalError, SessionError) as exc:
        raise ResultsError(f"result #{entry_id}: {exc}") from None
    except ScenarioError as exc:
        raise ResultsError(f"result #{entry_id}: {journal}: header.scenario: {str(exc).splitlines()[0]}") from None


def _replay_mismatch(report: ReplayReport) -> Mismatch | None:
    if not report.ok:
        return "journal", f"the journal does not reproduce: {report.divergence}"
    if report.cut_short or report.outcome is None:
        return "journal", "the journal was cut short: it has no outcome to check the result against"
    return None


def _result_mismatch(e: Entry, stored: dict, replayed: dict, journal: str) -> Mismatch | None:
    """The replayed outcome against the row's ranked columns, its scenario's hash and the
    outcome stored with it: the first that differs."""
    column = {**{k: getattr(e, k) for k, _ in _RANKED}, "contained": e.contained, "bankrupt": e.bankrupt}
    for key, _ in _RANKED:
        if not _same(column[key], replayed.get(key)):
            return key, (
                f"the journal reproduces, but not this result: {key} recorded "
                f"{_shown(column[key])}, replayed {_shown(replayed.get(key))}"
            )
    if e.scenario_hash is not None and e.scenario_hash != _journal_header_hash(Path(journal)):
        return "scenario_hash", "the journal reproduces, but not this result: scenario_hash differs from the journal's"
    for key in sorted(set(stored) | set(replayed)):
        was, now = stored.get(key, "<missing>"), replayed.get(key, "<missing>")
        if not _same(was, now):
            return f"outcome.{key}", (
                f"the journal reproduces, but not this result: outcome.{key} recorded {_shown(was)}, replayed {_shown(now)}"
            )
    return None
