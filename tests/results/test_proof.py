"""Issue 12 part 1 and issue 10 part 4: results carry proof (every ranked column re-simulated, the
journal's content hash, provenance, serve signatures), abandoned drills rank last, and a hostile
store or argument is one line, never a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from drill import results
from drill.cli.main import main
from drill.scenario import load
from drill.session.headless import run_script
from drill.session.script import read_script
from drill.session.session import Session
from drill.timefmt import parse_clock

ROOT = Path(__file__).resolve().parents[2]
PLAYS = ROOT / "scenarios" / "knightmare" / "plays"


def _play(tmp: Path, play: str) -> Path:
    from drill.debrief.plan import faulty_servers

    f = tmp / f"{play}.actions"
    stale = faulty_servers(load("knightmare"), None)[0]
    f.write_text((PLAYS / f"{play}.actions").read_text().replace("{faulty_server}", stale))
    return f


@pytest.fixture(scope="module")
def journals(tmp_path_factory):
    """Two real knightmare drills (journals and outcomes), and one abandoned at 09:31."""
    base = tmp_path_factory.mktemp("proof")
    sc = load("knightmare")
    out = {}
    for name in ("best", "stop-at-open"):
        j = base / f"{name}.jsonl"
        o = run_script(sc, None, None, read_script(_play(base, name)), j)
        out[name] = (j, o.to_dict())
    j = base / "quit.jsonl"
    s = Session(sc, None, None, j)
    s.advance_to(parse_clock("09:31:00"))
    o = s.abandon()
    s.close()
    out["quit"] = (j, o.to_dict())
    return out


def _cli(argv, capsys):
    rc = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _tamper(db: Path, sql: str, *params) -> None:
    con = sqlite3.connect(db)
    con.execute(sql, params)
    con.commit()
    con.close()


# -- --verify names the forged field ------------------------------------------------------------------
def test_an_honest_row_verifies(journals, tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    j, o = journals["best"]
    rid = results.record(o, j, team="green", path=db)
    rc, out, _ = _cli(["results", "--results", db, "--verify", rid], capsys)
    assert rc == 0 and "reproduced exactly" in out, out
    assert results.get(rid, db).journal_sha256 == results.journal_sha256(j)


def test_a_forged_score_fails_verify_naming_the_field(journals, tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    j, o = journals["stop-at-open"]
    rid = results.record(o, j, team="red", path=db)
    _tamper(db, "UPDATE results SET score_usd = 1 WHERE id = ?", rid)
    v = results.verify(rid, db)
    assert not v.ok and v.field == "score_usd", v
    rc, out, _ = _cli(["results", "--results", db, "--verify", rid], capsys)
    assert rc == 1 and "FAILED" in out and "score_usd" in out, out


@pytest.mark.parametrize("column, value", [("grade", "A"), ("contained_at", "09:30:01"), ("ended_by", "resolve"),
                                           ("loss_usd", 0.0), ("collateral_usd", 0.0), ("contained", 0),
                                           ("difficulty", "standard")])
def test_every_ranked_column_is_checked(journals, tmp_path, column, value):
    db = tmp_path / "r.sqlite"
    j, o = journals["stop-at-open"]
    rid = results.record(o, j, team="red", path=db)
    _tamper(db, f"UPDATE results SET {column} = ? WHERE id = ?", value, rid)
    v = results.verify(rid, db)
    assert not v.ok and v.field == column, v


def test_a_borrowed_journal_fails_verify_naming_the_journal(journals, tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    (jb, ob), (js, os_) = journals["best"], journals["stop-at-open"]
    green = results.record(ob, jb, team="green", path=db)
    red = results.record(os_, js, team="red", path=db)
    # Red points its row at green's journal (and copies green's columns): the hash recorded with
    # red's row is not green's journal's.
    _tamper(db, "UPDATE results SET journal = (SELECT journal FROM results WHERE id = ?), "
                "score_usd = ?, loss_usd = ?, collateral_usd = ?, grade = ?, contained_at = ?, outcome_json = "
                "(SELECT outcome_json FROM results WHERE id = ?) WHERE id = ?",
            green, ob["score_usd"], ob["loss_usd"], ob["collateral_usd"], ob["grade"], ob["contained_at"], green, red)
    v = results.verify(red, db)
    assert not v.ok and v.field == "journal" and "content hash" in v.message, v
    rc, out, _ = _cli(["results", "--results", db, "--verify", red], capsys)
    assert rc == 1 and "journal" in out
    # Copying the hash too: then one journal backs two rows, and both fail.
    _tamper(db, "UPDATE results SET journal_sha256 = (SELECT journal_sha256 FROM results WHERE id = ?) WHERE id = ?",
            green, red)
    for rid, other in ((red, green), (green, red)):
        v = results.verify(rid, db)
        assert not v.ok and v.field == "journal" and f"#{other}" in v.message, v
    [board] = results.leaderboard(db)
    assert board.entries == () and {f.entry.id for f in board.flagged} == {green, red}


def test_a_changed_outcome_fails_verify_naming_the_field(journals, tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    j, o = journals["best"]
    rid = results.record(o, j, team="green", path=db)
    forged = dict(o, executions=1)
    _tamper(db, "UPDATE results SET outcome_json = ? WHERE id = ?", json.dumps(forged), rid)
    v = results.verify(rid, db)
    assert not v.ok and v.field == "outcome.executions", v
    rc, out, _ = _cli(["results", "--results", db, "--verify", rid], capsys)
    assert rc == 1 and "outcome.executions" in out


def test_a_swapped_stored_journal_fails_verify_even_with_the_file_on_disk(journals, tmp_path, capsys):
    # The journal that travels with the row is what `--journal ID` and a debrief elsewhere read:
    # replacing it with another drill's must not pass because the file here is still the original.
    db = tmp_path / "r.sqlite"
    (jb, ob), (js, _) = journals["best"], journals["stop-at-open"]
    green = results.record(ob, jb, team="green", path=db)
    _tamper(db, "UPDATE results SET journal_text = ? WHERE id = ?", js.read_text(encoding="utf-8"), green)
    v = results.verify(green, db)
    assert not v.ok and v.field == "journal_text", v
    rc, out, _ = _cli(["results", "--results", db, "--verify", green], capsys)
    assert rc == 1 and "journal_text" in out, out


def test_a_changed_journal_fails_verify(journals, tmp_path):
    db = tmp_path / "r.sqlite"
    src, o = journals["best"]
    j = tmp_path / "copy.jsonl"
    j.write_bytes(src.read_bytes())
    rid = results.record(o, j, team="green", path=db)
    j.write_bytes(src.read_bytes().replace(b'"written":"', b'"written":"1'))
    v = results.verify(rid, db)
    assert not v.ok and v.field == "journal"


# -- provenance and signatures -------------------------------------------------------------------------
def test_rows_name_their_source_and_boards_rank_live_play_only(journals, tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    j, o = journals["best"]
    js, os_ = journals["stop-at-open"]
    script = results.record(o, j, team="green", path=db, source=results.SOURCE_SCRIPT)
    live = results.record(os_, js, team="red", path=db)
    assert results.get(live, db).source == "live" and results.get(script, db).source == "script"
    [b] = results.leaderboard(db)
    assert [e.id for e in b.entries] == [live] and [e.id for e in b.apart] == [script]
    [b] = results.leaderboard(db, sources=results.SOURCES)
    assert [e.id for e in b.entries] == [script, live]  # the scripted best play scores lower
    rc, out, _ = _cli(["results", "--results", db, "--leaderboard"], capsys)
    assert rc == 0 and out.index("red") < out.index("listed apart") < out.index("green"), out
    with pytest.raises(results.ResultsError, match="source"):
        results.record(o, None, path=db, source="bot")


def test_served_rows_are_signed_and_a_forged_one_is_flagged_and_unranked(journals, tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    serve_key = "k" * 32
    key = results.signing_key(serve_key)
    (jb, ob), (js, os_) = journals["best"], journals["stop-at-open"]
    good = results.record(os_, js, team="red", path=db, signing_key=key)
    bad = results.record(os_, js.with_name("nothing.jsonl"), team="blue", path=db, signing_key=key)
    unsigned = results.record(ob, jb, team="green", path=db)  # a live row slipped into the served store
    e = results.get(good, db)
    assert e.source == "served" and e.signed_by == results.signer_id(key)
    _tamper(db, "UPDATE results SET score_usd = 0 WHERE id = ?", bad)
    [b] = results.leaderboard(db, signing_key=key)
    assert [x.id for x in b.entries] == [good]
    reasons = {f.entry.id: f.reason for f in b.flagged}
    assert "changed after it was recorded" in reasons[bad] and "unsigned" in reasons[unsigned]
    [b] = results.leaderboard(db, signing_key=results.signing_key("x" * 32))
    assert b.entries == () and all("another key" in f.reason for f in b.flagged if f.entry.id != unsigned)
    # Without the key: a served row that lost its signature is flagged all the same.
    _tamper(db, "UPDATE results SET signature = NULL WHERE id = ?", good)
    [b] = results.leaderboard(db)
    assert good in {f.entry.id for f in b.flagged}
    v = results.verify(good, db, signing_key=key)
    assert not v.ok and v.field == "signature"
    rc, out, _ = _cli(["results", "--results", db, "--leaderboard", "--key", serve_key], capsys)
    assert rc == 0 and "flagged, not ranked" in out and "signature" in out


def test_a_signed_row_verifies_with_its_key(journals, tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    j, o = journals["best"]
    rid = results.record(o, j, team="red", path=db, signing_key=results.signing_key("s" * 32))
    rc, out, _ = _cli(["results", "--results", db, "--verify", rid, "--key", "s" * 32], capsys)
    assert rc == 0 and "reproduced exactly" in out and "signed by" in out


# -- DNF ----------------------------------------------------------------------------------------------
def test_a_drill_quit_at_0931_ranks_below_every_completed_drill(journals, tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    jq, oq = journals["quit"]
    assert oq["ended_by"] == "abandoned" and oq["ended_at"] == "09:31:00"
    worst = dict(journals["stop-at-open"][1], score_usd=9e12)  # a completed drill far worse by score
    ids = [results.record(worst, None, team="slow", path=db),
           results.record(journals["best"][1], None, team="best", path=db)]
    quit_id = results.record(oq, jq, team="quitter", path=db)
    [b] = results.leaderboard(db)
    assert [e.id for e in b.entries][-1] == quit_id and b.entries[-1].dnf
    assert oq["score_usd"] < worst["score_usd"]  # by score alone the quitter would rank above "slow"
    assert [e.id for e in b.entries][:2] == ids[::-1]
    rc, out, _ = _cli(["results", "--results", db, "--leaderboard"], capsys)
    assert "DNF" in out and out.index("slow") < out.index("quitter")


def test_the_dnf_grade_is_the_engines():
    from drill.session.scoring import DNF

    assert results.is_dnf("end", DNF) and not results.is_dnf("end", "A")


def test_the_rank_key_puts_every_finished_drill_first():
    finished = [results.rank_key(s, c, "end", g) for s, c, g in [(9e9, None, "F"), (0.0, "09:30:00", "A")]]
    dnf = [results.rank_key(0.0, None, "abandoned", "A"), results.rank_key(-1.0, "09:30:00", "end", "DNF")]
    assert max(finished) < min(dnf)
    assert results.outcome_rank_key({"score_usd": 1.0, "contained_at": None, "ended_by": "abandoned", "grade": "A"}) \
        == dnf[0][:1] + (1.0, True, "")


# -- hostile stores and arguments: one line, exit 2 --------------------------------------------------------
@pytest.mark.parametrize("sql, needle", [
    ("UPDATE results SET score_usd = 'lots'", "score_usd"),
    ("UPDATE results SET team = X'1b5b324a'", "team"),
    ("UPDATE results SET seed = 'x'", "seed"),
    ("UPDATE results SET loss_usd = 1e999", "loss_usd"),
    ("UPDATE schema_version SET version = 'two'", "schema_version"),
])
@pytest.mark.parametrize("mode", [[], ["--leaderboard"], ["--verify", "1"]])
def test_hostile_values_in_the_store_are_one_line(tmp_path, capsys, sql, needle, mode):
    db = tmp_path / "r.sqlite"
    results.record({"scenario": "knightmare", "difficulty": "historical", "seed": 1, "contained": True,
                    "contained_at": "09:31:00", "loss_usd": 1.0, "collateral_usd": 0.0, "score_usd": 1.0, "grade": "A",
                    "bankrupt": False, "ended_at": "10:00:00", "ended_by": "end"}, None, path=db)
    _tamper(db, sql)
    rc, out, err = _cli(["results", "--results", db, *mode], capsys)
    assert rc == 2 and needle in _one_line(err), err


def test_garbage_outcome_json_on_verify_is_one_line(journals, tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    j, o = journals["best"]
    rid = results.record(o, j, path=db)
    for garbage in ("{not json", "[1, 2]", "[" * 100_000):
        _tamper(db, "UPDATE results SET outcome_json = ?", garbage)
        rc, out, err = _cli(["results", "--results", db, "--verify", rid], capsys)
        assert rc == 2 and "outcome_json" in _one_line(err)


def test_stored_escapes_are_not_printed_raw(tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    rid = results.record({"scenario": "knightmare", "difficulty": "historical", "seed": 1, "contained": True,
                          "contained_at": "09:31:00", "loss_usd": 1.0, "collateral_usd": 0.0, "score_usd": 1.0,
                          "grade": "A", "bankrupt": False, "ended_at": "10:00:00", "ended_by": "end"}, None, path=db)
    _tamper(db, "UPDATE results SET team = ?, journal = ?, grade = ?, recorded_at = ?",
            "\x1b]0;pwned\x07red", "/tmp/\x1b[2Jj.jsonl", "\x1b[31mA", "\x9b2J")
    for mode in ([], ["--leaderboard"], ["--verify", rid]):
        rc, out, err = _cli(["results", "--results", db, *mode], capsys)
        assert "\x1b" not in out + err and "\x07" not in out + err and "\x9b" not in out + err, (out, err)


@pytest.mark.parametrize("flag", ["--limit", "--verify"])
@pytest.mark.parametrize("value", ["1" + "0" * 30, "1e30", "0", "-1"])
def test_huge_or_odd_integers_are_one_line(tmp_path, capsys, flag, value):
    rc, out, err = _cli(["results", "--results", tmp_path / "r.sqlite", flag, value], capsys)
    assert rc == 2 and flag in _one_line(err)


def test_huge_seed_filter_is_no_match_not_a_traceback(tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    results.check(db)
    assert results.entries(db, seed=2**70) == []


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null", "fifo"])
def test_results_on_a_special_file_is_refused_and_creates_nothing(tmp_path, capsys, special):
    if special == "fifo":
        special = str(tmp_path / "fifo")
        os.mkfifo(special)
    before = set(os.listdir(Path(special).parent))
    for argv in (["results", "--results", special], ["results", "--results", special, "--leaderboard"]):
        rc, out, err = _cli(argv, capsys)
        assert rc == 2 and "not a regular file" in _one_line(err)
    with pytest.raises(results.ResultsError, match="not a regular file"):
        results.check(special)
    assert set(os.listdir(Path(special).parent)) == before  # no /dev/zero-journal


# -- a locked store: a bounded wait, then one line naming the holder ----------------------------------------
HOLDER = textwrap.dedent("""
    import sqlite3, sys, time
    con = sqlite3.connect(sys.argv[1], isolation_level=None)
    if sys.argv[2] == "exclusive-mode":
        con.execute("PRAGMA locking_mode = EXCLUSIVE")
        con.execute("BEGIN IMMEDIATE"); con.execute("INSERT INTO schema_version VALUES (2, 'x')"); con.execute("COMMIT")
    else:
        con.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(120)
""")


@pytest.mark.parametrize("how", ["exclusive-transaction", "exclusive-mode"])
def test_a_locked_store_waits_a_bounded_time_then_says_who_holds_it(tmp_path, monkeypatch, how):
    db = tmp_path / "r.sqlite"
    results.check(db)
    monkeypatch.setattr(results, "MAX_WAIT_S", 1.0)
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), how], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        with pytest.raises(results.ResultsError) as err:
            results.record({"scenario": "knightmare", "difficulty": "historical", "seed": 1, "contained": True,
                            "contained_at": None, "loss_usd": 1.0, "collateral_usd": 0.0, "score_usd": 1.0,
                            "grade": "A", "bankrupt": False, "ended_at": "10:00:00", "ended_by": "end"}, None, path=db)
        waited = time.monotonic() - t0
        msg = str(err.value)
        assert "locked" in msg and f"pid {p.pid}" in msg and "\n" not in msg, msg
        assert waited < 60  # bounded (1 s asked; generous for a loaded machine), not 50 x 30 s
    finally:
        p.kill()
        p.wait()


def test_a_version_1_store_is_migrated_and_its_rows_listed_apart(tmp_path):
    db = tmp_path / "v1.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)")
    con.execute("INSERT INTO schema_version VALUES (1, 'then')")
    con.execute("""CREATE TABLE results (id INTEGER PRIMARY KEY AUTOINCREMENT, recorded_at TEXT NOT NULL, team TEXT,
                   scenario TEXT NOT NULL, scenario_hash TEXT, difficulty TEXT NOT NULL, seed INTEGER NOT NULL,
                   contained INTEGER NOT NULL, contained_at TEXT, loss_usd REAL NOT NULL, collateral_usd REAL NOT NULL,
                   score_usd REAL NOT NULL, grade TEXT NOT NULL, bankrupt INTEGER NOT NULL, ended_at TEXT NOT NULL,
                   ended_by TEXT NOT NULL, journal TEXT, program TEXT NOT NULL, outcome_json TEXT NOT NULL)""")
    con.execute("INSERT INTO results (recorded_at, team, scenario, difficulty, seed, contained, loss_usd, collateral_usd, "
                "score_usd, grade, bankrupt, ended_at, ended_by, program, outcome_json) VALUES "
                "('then', 'old', 'knightmare', 'historical', 1, 0, 5, 0, 5, 'B', 0, '10:15:00', 'end', 'drill 0', '{}')")
    con.commit()
    con.close()
    [old] = results.entries(db)
    assert old.source == "unknown" and old.journal_sha256 is None
    new = results.record({"scenario": "knightmare", "difficulty": "historical", "seed": 1, "contained": True,
                          "contained_at": "09:31:00", "loss_usd": 9.0, "collateral_usd": 0.0, "score_usd": 9.0,
                          "grade": "B", "bankrupt": False, "ended_at": "10:15:00", "ended_by": "end"}, None, path=db)
    [b] = results.leaderboard(db)
    assert [e.id for e in b.entries] == [new] and [e.id for e in b.apart] == [old.id]
    con = sqlite3.connect(db)
    assert con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == results.SCHEMA_VERSION
