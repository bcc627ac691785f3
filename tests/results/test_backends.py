"""Issue 15 part 1: one results store on SQLite or PostgreSQL, chosen by a path or URL. The same
checks run against both backends: recording and reading back, the leaderboard, --verify of a real
drill, a forged row failing verify, a forged signature flagged, a newer schema refused, concurrent
writers losing nothing, a bounded lock wait; and, for URLs, one line with exit 2 that never shows
the password, and a postgresql: URL that never becomes a local folder."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from drill import results
from drill.cli.main import main
from drill.scenario import load
from drill.session.headless import run_script
from drill.session.script import read_script
from drill.store import engine as store_engine

ROOT = Path(__file__).resolve().parents[2]
PLAYS = ROOT / "scenarios" / "knightmare" / "plays"


def outcome(score, seed=1, contained_at="09:31:00", grade="B"):
    return {"scenario": "knightmare", "difficulty": "historical", "seed": seed, "contained": contained_at is not None,
            "contained_at": contained_at, "loss_usd": score * 0.9, "collateral_usd": score * 0.1, "score_usd": score,
            "grade": grade, "bankrupt": False, "ended_at": "10:15:00", "ended_by": "end"}


@dataclass
class Store:
    kind: str
    url: str  # what --results is given: a file path, or a postgresql:// URL with its password

    def sql(self, statement: str, **params):
        """Run SQL on the store behind drill's back (as a forger with write access would)."""
        target = self.url if self.kind == "postgresql" else f"sqlite:///{self.url}"
        eng = create_engine(target.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=NullPool)
        try:
            with eng.begin() as con:
                res = con.execute(text(statement), params)
                return res.fetchall() if res.returns_rows else None
        finally:
            eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return Store("sqlite", str(tmp_path / "r.sqlite"))
    return Store("postgresql", request.getfixturevalue("postgres").database())


def _cli(argv, capsys):
    rc = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture(scope="module")
def best_drill(tmp_path_factory):
    """A real knightmare drill played headless: its journal and outcome."""
    from drill.debrief.plan import faulty_servers

    base = tmp_path_factory.mktemp("backends")
    sc = load("knightmare")
    play = base / "best.actions"
    play.write_text((PLAYS / "best.actions").read_text().replace("{faulty_server}", faulty_servers(sc, None)[0]))
    j = base / "best.jsonl"
    o = run_script(sc, None, None, read_script(play), j)
    return j, o.to_dict()


# -- the same behaviour on both -------------------------------------------------------------------------
def test_record_read_back_filter_and_rank(store):
    ids = [results.record(outcome(s, seed=seed, contained_at=at), None, team=t, path=store.url)
           for s, seed, at, t in [(3e6, 1, "09:40:00", "red"), (1e6, 1, "09:35:00", "blue"), (2e6, 2, None, "red"),
                                  (1e6, 1, "09:31:00", "gold")]]
    assert [e.id for e in results.entries(store.url)] == ids[::-1]
    assert [e.id for e in results.entries(store.url, seed=1, team="red")] == [ids[0]]
    assert [e.id for e in results.entries(store.url, limit=2)] == ids[:1:-1]
    e = results.get(ids[1], store.url)
    assert (e.team, e.score_usd, e.contained_at, e.seed, e.contained, e.bankrupt) == ("blue", 1e6, "09:35:00", 1, True, False)
    assert results.stored_outcome(ids[1], store.url)["score_usd"] == 1e6
    boards = results.leaderboard(store.url)
    assert [(b.seed, [x.id for x in b.entries]) for b in boards] == [(1, [ids[3], ids[1], ids[0]]), (2, [ids[2]])]
    with pytest.raises(results.ResultsError, match="no result #999"):
        results.get(999, store.url)


def test_a_seed_too_large_for_any_column_matches_nothing(store):
    results.record(outcome(1.0, seed=2**63 - 1), None, path=store.url)
    assert [e.seed for e in results.entries(store.url)] == [2**63 - 1]
    assert results.entries(store.url, seed=2**70) == []


def test_verify_reproduces_a_real_drill_and_catches_a_forged_row(store, best_drill, capsys):
    j, o = best_drill
    rid = results.record(o, j, team="red", path=store.url, source=results.SOURCE_SCRIPT)
    rc, out, err = _cli(["results", "--results", store.url, "--verify", rid], capsys)
    assert rc == 0 and "reproduced exactly" in out, out + err
    store.sql("UPDATE results SET score_usd = 1 WHERE id = :id", id=rid)
    rc, out, err = _cli(["results", "--results", store.url, "--verify", rid], capsys)
    assert rc == 1 and "FAILED" in out and "score_usd" in out, out + err


def test_a_forged_signature_is_flagged_and_unranked(store):
    key = results.signing_key("serve key 0123456789")
    good = results.record(outcome(2e6), None, team="honest", path=store.url, signing_key=key)
    bad = results.record(outcome(3e6), None, team="forger", path=store.url, signing_key=key)
    store.sql("UPDATE results SET score_usd = 0 WHERE id = :id", id=bad)
    [board] = results.leaderboard(store.url, signing_key=key)
    assert [e.id for e in board.entries] == [good]
    assert [(f.entry.id, f.reason) for f in board.flagged] == [(bad, "signature: does not match the row (changed after it was recorded)")]


def test_a_newer_schema_is_refused_in_one_line(store, capsys):
    results.check(store.url)
    store.sql("INSERT INTO schema_version (version, applied_at) VALUES (:v, 'later')", v=results.SCHEMA_VERSION + 1)
    rc, out, err = _cli(["results", "--results", store.url, "--leaderboard"], capsys)
    assert rc == 2 and "newer than this program" in _one_line(err)


def test_a_new_store_carries_the_current_alembic_revision(store):
    results.check(store.url)
    assert store.sql("SELECT version_num FROM alembic_version") == [(store_engine.REVISIONS[results.SCHEMA_VERSION],)]
    assert store.sql("SELECT version FROM schema_version") == [(results.SCHEMA_VERSION,)]
    results.check(store.url)  # opening again migrates nothing
    assert store.sql("SELECT version FROM schema_version") == [(results.SCHEMA_VERSION,)]


def test_text_in_a_numeric_column_is_one_line_or_impossible(store, capsys):
    results.record(outcome(1.0), None, path=store.url)
    if store.kind == "sqlite":
        store.sql("UPDATE results SET score_usd = 'lots'")
        rc, out, err = _cli(["results", "--results", store.url, "--leaderboard"], capsys)
        assert rc == 2 and "score_usd" in _one_line(err)
    else:  # PostgreSQL's column types refuse it outright
        with pytest.raises(Exception, match="double precision"):
            store.sql("UPDATE results SET score_usd = 'lots'")


# One interpreter imports the store and forks the writers, so that they start together and none
# pays an interpreter's start and the store's imports of its own (0.4 CPU-s each, most of what
# twenty writers cost). The parent touches no store before forking: the first opens still race to
# migrate a new one.
WRITERS = textwrap.dedent("""
    import itertools, os, sys, time, traceback
    from drill import results
    url, writers, n = sys.argv[1], int(sys.argv[2]), sys.argv[3]

    def write(tag):
        # n: how many results, or "30s": as many as it can for that long
        until = time.monotonic() + float(n[:-1]) if n.endswith("s") else None
        for i in (itertools.count() if until else range(int(n))):
            if until and time.monotonic() > until:
                break
            o = {"scenario": "knightmare", "difficulty": "historical", "seed": 1, "contained": True,
                 "contained_at": "09:31:00", "loss_usd": float(i), "collateral_usd": 0.0, "score_usd": float(i),
                 "grade": "A", "bankrupt": False, "ended_at": "10:15:00", "ended_by": "end"}
            got = results.record(o, None, team=f"{tag}-{i}", path=url)
            os.write(1, f"{got}\\n".encode())  # one write a line: the writers share the pipe

    def child(tag):
        code = 0
        try:
            write(tag)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stderr.flush()
        os._exit(code)

    pids = []
    for k in range(writers):
        pid = os.fork()
        if pid == 0:
            child(f"w{k}")
        pids.append(pid)
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
    print(f"writer exit codes: {codes}", file=sys.stderr)
    sys.exit(0 if set(codes) == {0} else 1)
""")


def _writers(store: Store, writers: int, each: int | str) -> list[int]:
    """`writers` processes recording `each` results (or for `each` = "30s") at once into a new
    store; the ids they got."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-c", WRITERS, store.url, str(writers), str(each)], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=600)
    assert p.returncode == 0, p.stderr
    assert f"writer exit codes: {[0] * writers}" in p.stderr  # every one of them forked, ran and ended well
    return [int(x) for x in p.stdout.split()]


def test_concurrent_writers_on_a_new_store_lose_nothing(store):
    ids = _writers(store, 4, 25)  # the first opens race to migrate the new store, too
    assert len(ids) == 100 == len(set(ids))
    assert {e.team for e in results.entries(store.url)} == {f"w{k}-{i}" for k in range(4) for i in range(25)}
    assert store.sql("SELECT version FROM schema_version") == [(results.SCHEMA_VERSION,)]


# Twenty processes at once in both: 10 results each in the default run, for 30 s each under
# `-m heavy` (docs/testing.md).
@pytest.mark.slow
def test_twenty_writers_lose_nothing(store):
    ids = _writers(store, 20, 10)
    assert len(ids) == 200 == len(set(ids)) == len(results.entries(store.url))


@pytest.mark.heavy
def test_twenty_writers_for_thirty_seconds_lose_nothing(store):
    ids = _writers(store, 20, "30s")
    assert len(ids) == len(set(ids)) == len(results.entries(store.url)) > 20


# -- PostgreSQL: URLs, credentials, locks ----------------------------------------------------------------
def test_a_wrong_password_is_one_line_that_never_shows_a_password(postgres, capsys):
    url = postgres.database()
    wrong = url.replace(postgres.password, "not-the-pw-4242")
    for argv in (["results", "--results", wrong], ["run", "knightmare", "--results", wrong]):
        rc, out, err = _cli(argv, capsys)
        line = _one_line(err)
        assert rc == 2 and "password authentication failed" in line and "***" in line, line
        assert "not-the-pw-4242" not in out + err and postgres.password not in out + err


def test_a_listing_names_the_store_without_its_password(postgres, capsys):
    url = postgres.database()
    rc, out, err = _cli(["results", "--results", url], capsys)
    assert rc == 0 and "no results in postgresql://drill:***@127.0.0.1" in out and postgres.password not in out


def test_the_url_can_come_from_the_environment(postgres, monkeypatch, capsys):
    url = postgres.database()
    monkeypatch.setenv("DRILL_RESULTS_URL", url)
    rid = results.record(outcome(1.0), None, team="env")
    assert [e.team for e in results.entries(url)] == ["env"] and results.get(rid).team == "env"
    monkeypatch.setenv("DRILL_RESULTS_URL", "mysql://x/y")
    rc, out, err = _cli(["results"], capsys)
    assert rc == 2 and _one_line(err).startswith("DRILL_RESULTS_URL: mysql://x/y: not a results store")


@pytest.mark.parametrize("url, needle", [
    ("postgresql://drill:pw-zz@127.0.0.1:1/db", "cannot connect"),
    ("postgresql://drill:pw-zz@127.0.0.1:notaport/db", "not a database URL"),
    ("postgresql://drill:pw-zz@127.0.0.1:5432", "names no database"),
    ("postgresql:results", "not a database URL"),
    ("mysql://drill:pw-zz@host/db", "neither sqlite nor postgresql"),
    ("sqlite://", "needs a file"),
])
def test_a_bad_url_is_exit_2_one_line_naming_it_and_no_folder(tmp_path, monkeypatch, capsys, url, needle):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    for argv in (["results", "--results", url], ["results", "--results", url, "--leaderboard"],
                 ["run", "knightmare", "--results", url]):
        rc, out, err = _cli(argv, capsys)
        line = _one_line(err)
        assert rc == 2 and needle in line and "pw-zz" not in out + err, line
    assert os.listdir(cwd) == []  # never a local `postgresql:` folder or file


def test_a_sqlite_url_is_the_same_file(tmp_path):
    db = tmp_path / "u.sqlite"
    rid = results.record(outcome(1.0), None, path=f"sqlite:///{db}")
    assert [e.id for e in results.entries(db)] == [rid]


HOLDER = textwrap.dedent("""
    import sys, time, psycopg
    con = psycopg.connect(sys.argv[1])
    con.execute("LOCK TABLE results IN ACCESS EXCLUSIVE MODE")
    print("locked", flush=True)
    time.sleep(120)
""")


def test_a_locked_postgresql_store_waits_a_bounded_time_then_says_so(postgres, monkeypatch):
    url = postgres.database()
    results.check(url)
    monkeypatch.setattr(results, "MAX_WAIT_S", 1.0)
    p = subprocess.Popen([sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        with pytest.raises(results.ResultsError) as err:
            results.record(outcome(1.0), None, path=url)
        msg = str(err.value)
        assert "locked: waited 1 s" in msg and "\n" not in msg and postgres.password not in msg, msg
        assert time.monotonic() - t0 < 60
    finally:
        p.kill()
        p.wait()


# -- a store from the previous release ------------------------------------------------------------------
PREVIOUS_RELEASE_V2 = [
    # drill's SQLite store as the release before Alembic made it (schema version 2), statement for statement
    """CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)""",
    """CREATE TABLE results (id INTEGER PRIMARY KEY AUTOINCREMENT, recorded_at TEXT NOT NULL, team TEXT,
       scenario TEXT NOT NULL, scenario_hash TEXT, difficulty TEXT NOT NULL, seed INTEGER NOT NULL,
       contained INTEGER NOT NULL, contained_at TEXT, loss_usd REAL NOT NULL, collateral_usd REAL NOT NULL,
       score_usd REAL NOT NULL, grade TEXT NOT NULL, bankrupt INTEGER NOT NULL, ended_at TEXT NOT NULL,
       ended_by TEXT NOT NULL, journal TEXT, program TEXT NOT NULL, outcome_json TEXT NOT NULL)""",
    "CREATE INDEX results_board ON results (scenario, difficulty, seed, score_usd)",
    "ALTER TABLE results ADD COLUMN source TEXT",
    "ALTER TABLE results ADD COLUMN journal_sha256 TEXT",
    "ALTER TABLE results ADD COLUMN signed_by TEXT",
    "ALTER TABLE results ADD COLUMN signature TEXT",
    "INSERT INTO schema_version VALUES (2, 'then')",
]


def test_a_previous_release_store_opens_verifies_and_ranks(tmp_path, best_drill, capsys):
    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)
    for stmt in PREVIOUS_RELEASE_V2:
        con.execute(stmt)
    con.commit()
    con.close()
    j, o = best_drill
    key = results.signing_key("the old serve key 42")
    # a row the old release wrote: the same columns, signed the same way
    rid = results.record(o, j, team="old", path=tmp_path / "scratch.sqlite", signing_key=key)
    old_cols = ("id, recorded_at, team, scenario, scenario_hash, difficulty, seed, contained, contained_at, loss_usd, "
                "collateral_usd, score_usd, grade, bankrupt, ended_at, ended_by, journal, program, outcome_json, source, "
                "journal_sha256, signed_by, signature")
    row = sqlite3.connect(tmp_path / "scratch.sqlite").execute(f"SELECT {old_cols} FROM results").fetchone()
    cols = old_cols.split(", ")
    con = sqlite3.connect(db)
    con.execute(f"INSERT INTO results ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", row)
    con.commit()
    con.close()
    assert rid == 1
    rc, out, err = _cli(["results", "--results", db, "--verify", 1, "--key", "the old serve key 42"], capsys)
    assert rc == 0 and "reproduced exactly" in out, out + err
    [board] = results.leaderboard(db, signing_key=key)
    assert [e.team for e in board.entries] == ["old"]
    con = sqlite3.connect(db)
    assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(store_engine.REVISIONS[results.SCHEMA_VERSION],)]
    assert con.execute("SELECT journal_text FROM results").fetchall() == [(None,)]  # an old row has no stored copy
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- the journal travels with its result ------------------------------------------------------------------
def test_the_journal_travels_with_its_result(store, best_drill, tmp_path, capsys):
    j, o = best_drill
    away = tmp_path / "on-another-host.jsonl"
    away.write_bytes(j.read_bytes())
    rid = results.record(o, away, team="far", path=store.url)
    away.unlink()  # the recording host's disk is out of reach
    rc, out, err = _cli(["results", "--results", store.url, "--verify", rid], capsys)
    assert rc == 0 and "reproduced exactly" in out, out + err
    rc, out, err = _cli(["results", "--results", store.url, "--journal", rid], capsys)
    assert rc == 0 and out == j.read_text()
    store.sql("UPDATE results SET journal_text = :t WHERE id = :id", t=j.read_text().replace("smars", "smarz", 1), id=rid)
    rc, out, err = _cli(["results", "--results", store.url, "--journal", rid], capsys)
    assert rc == 2 and "journal_text: its content hash is not the one recorded" in _one_line(err)
    rc, out, err = _cli(["results", "--results", store.url, "--verify", rid], capsys)
    assert rc == 1 and "content hash is not the one recorded" in out, out + err


def test_a_result_recorded_while_postgresql_is_away_is_kept_and_delivered(postgres, best_drill, capsys):
    url = postgres.database()
    results.check(url)
    j, o = best_drill
    postgres.stop()
    try:
        with pytest.raises(results.ResultsPending) as err:
            results.record(o, j, team="away", path=url)
        msg = str(err.value)
        assert "cannot connect" in msg and "kept on this host" in msg and postgres.password not in msg and "\n" not in msg
        [kept] = list(results.outbox_dir().glob("*.json"))
        assert postgres.password not in kept.read_text()
    finally:
        postgres.start()
    after = results.record(outcome(5.0), None, team="after", path=url)  # delivers what was kept first
    assert [e.team for e in results.entries(url)] == ["after", "away"] and not list(results.outbox_dir().glob("*.json"))
    away = [e for e in results.entries(url) if e.team == "away"][0]
    assert away.id < after
    rc, out, err = _cli(["results", "--results", url, "--verify", away.id], capsys)
    assert rc == 0 and "reproduced exactly" in out, out + err
    assert results.deliver_pending(results.locate(url)) == 0  # nothing twice
