"""The results store: records, filters, the leaderboard, concurrent writers, a writer killed
mid-write, the schema version, and `drill run` / `drill results` as a facilitator uses them.
Writers that race or are killed are real processes, and so is one `drill results` of each exit
code; the other command lines run through main in this process (tests/inprocess.py)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from drill import results
from tests.inprocess import drill_in_process

ROOT = Path(__file__).resolve().parents[2]
PLAYS = ROOT / "scenarios" / "knightmare" / "plays"


def outcome(score, scenario="knightmare", difficulty="historical", seed=1, contained_at="09:31:00", grade="B"):
    return {"scenario": scenario, "difficulty": difficulty, "seed": seed, "contained": contained_at is not None,
            "contained_at": contained_at, "loss_usd": score * 0.9, "collateral_usd": score * 0.1, "score_usd": score,
            "grade": grade, "bankrupt": False, "ended_at": "10:15:00", "ended_by": "end", "phases": [], "actions": []}


def drill(*args, data_dir, timeout=180):
    """A real `drill` process: the exit code a shell sees."""
    env = dict(os.environ, DRILL_DATA_DIR=str(data_dir))
    return subprocess.run([sys.executable, "-m", "drill", *map(str, args)], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=timeout)


def drill_here(*args, data_dir) -> subprocess.CompletedProcess:
    """`drill` through main in this process (tests/inprocess.py), for checks of what it printed."""
    return drill_in_process(*args, env={"DRILL_DATA_DIR": str(data_dir)})


def actions(tmp: Path, play: str) -> Path:
    """A shipped play with its placeholders filled for the scenario's own seed."""
    from drill.debrief.plan import faulty_servers
    from drill.scenario import load

    f = tmp / f"{play}.actions"
    stale = faulty_servers(load("knightmare"), None)[0]
    f.write_text((PLAYS / f"{play}.actions").read_text().replace("{faulty_server}", stale))
    return f


def one_line_error(proc, *needles):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_record_and_read_back(tmp_path):
    db = tmp_path / "r.sqlite"
    j = tmp_path / "j.jsonl"
    j.write_text(json.dumps({"type": "header", "scenario_hash": "abc123"}) + "\n")
    rid = results.record(outcome(5e6), j, team="Red team", path=db)
    e = results.get(rid, db)
    assert (e.team, e.scenario, e.score_usd, e.grade, e.contained_at, e.scenario_hash) == \
        ("Red team", "knightmare", 5e6, "B", "09:31:00", "abc123")
    assert e.journal == str(j.resolve()) and e.program.startswith("drill ")
    assert results.stored_outcome(rid, db)["score_usd"] == 5e6
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT version FROM schema_version").fetchall() == [(results.SCHEMA_VERSION,)]
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_reading_never_creates_a_database(tmp_path):
    db = tmp_path / "none.sqlite"
    assert results.entries(db) == [] and results.leaderboard(db) == []
    assert not db.exists()


def test_the_default_database_lives_in_the_data_directory(tmp_path):
    rid = results.record(outcome(1.0), None)
    assert results.default_path() == Path(os.environ["DRILL_DATA_DIR"]) / "results.sqlite"
    assert results.get(rid).journal is None


def test_filters_and_newest_first(tmp_path):
    db = tmp_path / "r.sqlite"
    ids = [results.record(outcome(s, seed=seed, difficulty=d), None, team=t, path=db)
           for s, seed, d, t in [(3e6, 1, "historical", "a"), (1e6, 1, "standard", "b"), (2e6, 2, "historical", "a")]]
    assert [e.id for e in results.entries(db)] == ids[::-1]
    assert [e.id for e in results.entries(db, difficulty="historical")] == [ids[2], ids[0]]
    assert [e.id for e in results.entries(db, seed=1, team="b")] == [ids[1]]
    assert [e.id for e in results.entries(db, limit=1)] == [ids[2]]
    assert results.entries(db, scenario="nope") == []


def test_leaderboard_ranks_best_first_per_scenario_difficulty_and_seed(tmp_path):
    db = tmp_path / "r.sqlite"
    rec = lambda score, **kw: results.record(outcome(score, **{k: v for k, v in kw.items() if k != "team"}), None,
                                             team=kw.get("team"), path=db)
    worst = rec(9e6, team="red")
    best = rec(1e6, team="blue")
    tie_late = rec(2e6, team="green", contained_at="09:40:00")
    tie_soon = rec(2e6, team="red", contained_at="09:35:00")
    never = rec(2e6, team="gold", contained_at=None)
    other_seed = rec(0.5e6, seed=7, team="red")
    other_diff = rec(0.1e6, difficulty="standard", team="red")
    boards = results.leaderboard(db)
    assert [(b.scenario, b.difficulty, b.seed) for b in boards] == [
        ("knightmare", "historical", 1), ("knightmare", "historical", 7), ("knightmare", "standard", 1)]
    assert [e.id for e in boards[0].entries] == [best, tie_soon, tie_late, never, worst]
    assert [e.id for e in boards[1].entries] == [other_seed] and [e.id for e in boards[2].entries] == [other_diff]
    # Each team's best only, filtered to one board, top 3.
    per_team = results.leaderboard(db, difficulty="historical", seed=1, best_per_team=True, limit=3)
    assert len(per_team) == 1 and [e.team for e in per_team[0].entries] == ["blue", "red", "green"]
    assert [e.id for e in results.leaderboard(db, team="red", seed=1, difficulty="historical")[0].entries] == [tie_soon, worst]


def test_bad_databases_and_bad_teams_are_refused_in_one_line(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_text("this is not a database, it is text " * 100)
    with pytest.raises(results.ResultsError, match="junk.sqlite: not a usable results database"):
        results.record(outcome(1.0), None, path=junk)
    with pytest.raises(results.ResultsError, match="is a directory"):
        results.record(outcome(1.0), None, path=tmp_path)
    with pytest.raises(results.ResultsError, match="team"):
        results.record(outcome(1.0), None, team="x" * 200, path=tmp_path / "ok.sqlite")
    newer = tmp_path / "newer.sqlite"
    results.record(outcome(1.0), None, path=newer)
    con = sqlite3.connect(newer)
    con.execute("INSERT INTO schema_version VALUES (?, 'later')", (results.SCHEMA_VERSION + 1,))
    con.commit()
    con.close()
    with pytest.raises(results.ResultsError, match="newer than this program"):
        results.entries(newer)


WRITER = textwrap.dedent("""
    import sys
    from drill import results
    db, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    for i in range(n):
        o = {"scenario": "knightmare", "difficulty": "historical", "seed": 1, "contained": True,
             "contained_at": "09:31:00", "loss_usd": float(i), "collateral_usd": 0.0, "score_usd": float(i),
             "grade": "A", "bankrupt": False, "ended_at": "10:15:00", "ended_by": "end"}
        rid = results.record(o, None, team=f"{tag}-{i}", path=db)
        print(rid, flush=True)
""")


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    db = tmp_path / "shared.sqlite"
    n = 100
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(n), tag], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT) for tag in ("a", "b")]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    ids = [int(x) for out, _ in outs for x in out.split()]
    assert len(ids) == 2 * n == len(set(ids))
    rows = results.entries(db)
    assert len(rows) == 2 * n
    assert {e.team for e in rows} == {f"{t}-{i}" for t in "ab" for i in range(n)}
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_writer_killed_mid_write_leaves_earlier_records_intact(tmp_path):
    db = tmp_path / "killed.sqlite"
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(db), "100000", "k"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=ROOT)
    committed = []
    deadline = time.monotonic() + 60
    while len(committed) < 60 and time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        committed.append(int(line))
    os.kill(p.pid, signal.SIGKILL)  # in the middle of its write loop, likely inside a transaction
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL
    assert len(committed) >= 60, p.stderr.read()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    ids = {e.id for e in results.entries(db)}
    assert set(committed) <= ids  # every record acknowledged before the kill survived
    # And the database still takes records.
    assert results.record(outcome(1.0), None, path=db) > max(committed)


# -- the command line -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """Two drills recorded by `drill run` into one database, as two teams."""
    base = tmp_path_factory.mktemp("played")
    db = base / "game-day.sqlite"
    runs = []
    for team, play in (("red", "rollback-trap"), ("blue", "stop-at-open")):
        j = base / f"{team}.jsonl"
        p = drill_here("run", "knightmare", "--actions", actions(base, play), "--journal", j, "--results", db,
                       "--team", team, data_dir=base)
        assert p.returncode == 0, p.stderr
        runs.append((team, j, p.stdout))
    return base, db, runs


def test_drill_run_records_its_result_and_says_where(played):
    base, db, runs = played
    assert f"in {db}" in runs[0][2] and f"journal       {runs[0][1]}" in runs[0][2]
    rows = results.entries(db)
    assert [(e.team, e.journal) for e in rows] == [("blue", str(runs[1][1].resolve())), ("red", str(runs[0][1].resolve()))]
    assert rows[1].grade == "F" and rows[1].bankrupt and rows[0].contained


def test_drill_run_without_journal_or_results_uses_the_data_directory(tmp_path):
    p = drill_here("run", "knightmare", "--actions", actions(tmp_path, "best"), "--json", data_dir=tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["grade"] == "A"  # stdout stays the outcome alone
    [e] = results.entries(tmp_path / "results.sqlite")
    assert Path(e.journal).parent == tmp_path / "journals" and Path(e.journal).is_file()
    assert f"result #{e.id}" in p.stderr


def test_results_lists_filters_and_ranks(played):
    base, db, _ = played

    def in_process(*args):  # after the first, through main in this process (tests/inprocess.py)
        return drill_here("results", "--results", *args, data_dir=base)

    def results_json(*args):
        return json.loads(in_process(*args, "--json").stdout)

    listing = drill("results", "--results", db, data_dir=base)
    assert listing.returncode == 0 and "red" in listing.stdout and "blue" in listing.stdout
    rows = results_json(db, "--team", "red")
    assert [r["team"] for r in rows] == ["red"] and rows[0]["grade"] == "F"
    # `drill run` is a headless script: listed apart from the ranked (played) drills by default
    # (issue 12: leaderboards rank live play), ranked with them on request.
    board = results_json(db, "--leaderboard")
    assert [(b["scenario"], b["difficulty"]) for b in board] == [("knightmare", "historical")]
    assert board[0]["entries"] == [] and [(e["team"], e["source"]) for e in board[0]["apart"]] == [
        ("blue", "script"), ("red", "script")]
    board = results_json(db, "--leaderboard", "--include-scripted")
    assert [(e["rank"], e["team"]) for e in board[0]["entries"]] == [(1, "blue"), (2, "red")]
    text = in_process(db, "--leaderboard").stdout
    assert text.index("blue") < text.index("red") and "scripted runs" in text
    empty = in_process(base / "nothing.sqlite")
    assert empty.returncode == 0 and "no results" in empty.stdout


def test_verify_replays_the_entry_journal(played):
    base, db, runs = played
    red = [e for e in results.entries(db) if e.team == "red"][0]
    ok = drill_here("results", "--results", db, "--verify", red.id, data_dir=base)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "reproduced exactly" in ok.stdout


def test_verify_catches_a_tampered_journal_a_swapped_result_and_a_missing_journal(tmp_path, played):
    _, played_db, runs = played
    blue = [e for e in results.entries(played_db) if e.team == "blue"][0]
    db = tmp_path / "r.sqlite"
    j = tmp_path / "j.jsonl"
    recs = [json.loads(ln) for ln in runs[1][1].read_text().splitlines()]
    for r in recs:
        if r["type"] == "command" and r["command"].startswith("start"):
            r["t"] += 60_000  # the restart a minute later: the journal no longer matches itself
    j.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    rid = results.record(results.stored_outcome(blue.id, played_db), j, team="blue", path=db)
    bad = drill("results", "--results", db, "--verify", rid, data_dir=tmp_path)  # a real process: exit 1 as a shell sees it
    assert bad.returncode == 1 and "FAILED" in bad.stdout and "(start smars-" in bad.stdout
    # A journal that reproduces, recorded with someone else's (better) outcome: caught too.
    red = [e for e in results.entries(played_db) if e.team == "red"][0]
    swapped = results.record(results.stored_outcome(blue.id, played_db), red.journal, team="red", path=db)
    lie = drill_here("results", "--results", db, "--verify", swapped, data_dir=tmp_path)
    assert lie.returncode == 1 and "reproduces, but not this result" in lie.stdout
    e = results.get(rid, db)
    j.unlink()
    # Issue 15: the journal travels with its result, so with the file gone the stored copy is
    # replayed (and still caught); a row without a stored copy (an older release's) says not found.
    gone = drill_here("results", "--results", db, "--verify", e.id, data_dir=tmp_path)
    assert gone.returncode == 1 and "FAILED" in gone.stdout and "(start smars-" in gone.stdout, gone.stdout + gone.stderr
    con = sqlite3.connect(db)
    con.execute("UPDATE results SET journal_text = NULL WHERE id = ?", (e.id,))
    con.commit()
    con.close()
    one_line_error(drill_here("results", "--results", db, "--verify", e.id, data_dir=tmp_path), "not found")
    one_line_error(drill_here("results", "--results", db, "--verify", 999, data_dir=tmp_path), "no result #999")


def test_results_bad_arguments(tmp_path):
    # The first in a real process (the exit code a shell sees); the rest through main in this one.
    def in_process(*args):
        return drill_here(*args, data_dir=tmp_path)

    one_line_error(drill("results", "--verify", "x", data_dir=tmp_path), "--verify")
    one_line_error(in_process("results", "--leaderboard", "--verify", "1"), "not allowed with")
    one_line_error(in_process("results", "--results", tmp_path), "is a directory")
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not sqlite " * 200)
    one_line_error(in_process("results", "--results", junk), "junk.sqlite", "not a usable results database")
    one_line_error(in_process("run", "knightmare", "--results", tmp_path), "--results", "is a directory")
    one_line_error(in_process("run", "knightmare", "--team", ""), "--team")
