"""A served drill takes no paths and writes only in its data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from drill import results
from drill.hosting.channel import running_drills
from drill.hosting.hosted import token_for
from drill.gameday.served import parse_args
from drill.gameday.webclient import ENTER

from .conftest import ROOT, start_tab, wait_registered

# Installed in each served tab's process (through PYTHONPATH) before drill runs: it records every
# file-system write the process attempts, whatever the confinement then allows or refuses. Tabs
# are forked from the warm process (drill.gameday.warm): installed there, the hook is every tab's.
OBSERVER = textwrap.dedent('''
    import os, sys
    _dir = os.environ.get("DRILL_TEST_AUDIT")
    if _dir and ("drill.gameday.served" in sys.orig_argv or "drill.gameday.warm" in sys.orig_argv):
        _log = open(os.path.join(_dir, f"{os.getpid()}.log"), "a", buffering=1)
        _W = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
        _EV = {"os.mkdir": (0,), "os.remove": (0,), "os.rmdir": (0,), "os.rename": (0, 1), "os.symlink": (1,),
               "os.link": (1,), "os.truncate": (0,), "os.chmod": (0,), "os.utime": (0,), "sqlite3.connect": (0,),
               "shutil.copyfile": (1,), "shutil.rmtree": (0,), "tempfile.mkstemp": (0,), "tempfile.mkdtemp": (0,)}
        def _hook(event, args):
            if event == "open":
                path, mode, flags = args
                w = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(isinstance(flags, int) and flags & _W)
                paths = (path,) if w else ()
            elif event in _EV:
                paths = tuple(args[i] for i in _EV[event] if i < len(args))
            else:
                return
            for p in paths:
                if not isinstance(p, int):
                    _log.write(event + "\\t" + os.path.abspath(os.fsdecode(p)) + "\\n")
        sys.addaudithook(_hook)
''')


def test_the_served_app_accepts_no_paths(capsys):
    """Its command line: a bundled scenario id, a difficulty, a seed, a speed. Nothing else."""
    assert parse_args(["--scenario", "knightmare", "--difficulty", "historical", "--seed", "7"]).seed == 7
    for argv in (["--scenario", str(ROOT / "scenarios" / "knightmare")], ["--scenario", "../knightmare"],
                 ["--journal", "/tmp/x.jsonl"], ["--results", "/tmp/r.sqlite"], ["/etc/passwd"],
                 ["--scenario", "knightmare", "--difficulty", "nope"], ["--difficulty", "standard"]):
        with pytest.raises(SystemExit) as exc:
            parse_args(argv)
        assert exc.value.code == 2, argv
    p = subprocess.run([sys.executable, "-m", "drill.gameday.served", "--help"], capture_output=True, text=True,
                       timeout=60, cwd=ROOT)
    options = {w.strip("[],") for w in p.stdout.split() if w.startswith(("--", "[--"))}
    # (--pooled: a pre-started tab builds its drill ahead, drill.gameday.ahead; a switch, not a path)
    assert options == {"--help", "--scenario", "--difficulty", "--seed", "--speed", "--ranked", "--pooled"}


def test_confinement_refuses_writes_outside_the_data_dir_and_allows_them_inside(tmp_path):
    code = textwrap.dedent('''
        import os, sqlite3, sys
        from pathlib import Path
        from drill.gameday.confine import confine_writes
        root = confine_writes(sys.argv[1])
        outside = Path(sys.argv[2])
        assert Path.cwd() == root
        (root / "journals").mkdir()
        (root / "journals" / "a.jsonl").write_text("ok")
        os.replace(root / "journals" / "a.jsonl", root / "b.jsonl")
        sqlite3.connect(root / "r.sqlite").close()
        sqlite3.connect(":memory:").close()
        print(open(outside / "readable.txt").read())  # reads are not the hook's business
        refused = []
        for attempt in (
            lambda: (outside / "w.txt").write_text("x"),
            lambda: open(outside / "readable.txt", "a"),
            lambda: open(outside / "readable.txt", "r+"),
            lambda: os.open(outside / "o.txt", os.O_CREAT | os.O_WRONLY),
            lambda: os.mkdir(outside / "d"),
            lambda: os.replace(root / "b.jsonl", outside / "moved"),
            lambda: os.remove(outside / "readable.txt"),
            lambda: sqlite3.connect(outside / "r.sqlite"),
            lambda: open("../escape.txt", "w"),
            lambda: os.symlink("/etc", root / "link") or open(root / "link" / "x", "w"),
        ):
            try:
                attempt()
            except PermissionError as exc:
                refused.append("data directory" in str(exc))
        print(refused)
    ''')
    root, outside = tmp_path / "data", tmp_path / "outside"
    outside.mkdir()
    (outside / "readable.txt").write_text("readable")
    p = subprocess.run([sys.executable, "-c", code, str(root), str(outside)], capture_output=True, text=True,
                       timeout=60, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\n")[:2] == ["readable", str([True] * 10)]
    assert sorted(f.name for f in outside.iterdir()) == ["readable.txt"]
    assert (root / "b.jsonl").read_text() == "ok" and (root / "r.sqlite").exists()
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.slow
async def test_a_served_drill_writes_only_in_its_data_directory(tmp_path, data_dir, serve):
    """A whole served drill (picker, team, commands, a facilitator's inject, the end, the result):
    every write its process attempted is inside the data directory; its working directory, HOME
    and the temp directory stay empty."""
    from drill.gameday.roster import Roster

    audit = tmp_path / "audit"
    audit.mkdir()
    (audit / "sitecustomize.py").write_text(OBSERVER)
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    s = serve("knightmare", "--difficulty", "standard", "--seed", "5",
              env_extra={"DRILL_TEST_AUDIT": str(audit), "PYTHONPATH": f"{audit}{os.pathsep}{ROOT}",
                         "TMPDIR": str(tmp)})
    tab = await start_tab(s.url, team="green")
    [entry] = await wait_registered(1)
    assert entry["team"] == "green" and entry["seed"] == 5
    roster = Roster(keys=[s.key])
    roster.refresh_registry()
    await roster.poll()
    assert roster.watched[entry["id"]].state == "live"
    await roster.command(entry["id"], "inject ceo-email")
    try:
        m = tab.mark()
        await tab.type(":stop smars-8")
        await tab.send(ENTER)
        await tab.wait_for(r"\d\d:\d\d:\d\d stop smars-8", since=m)  # in the action log, not the line
        await tab.type(":resolve")
        await tab.send(ENTER)
        await tab.wait_for("Debrief", since=m, timeout=120)
    finally:
        await tab.close()
    for _ in range(100):
        if not running_drills():
            break
        await __import__("asyncio").sleep(0.1)
    [result] = results.entries()
    assert result.team == "green" and result.seed == 5
    logs = list(audit.glob("*.log"))
    assert len(logs) == 1, logs
    writes = [line.split("\t") for line in logs[0].read_text().splitlines()]
    root = str(data_dir.resolve())
    assert writes, "the observer saw no writes at all"
    outside = [(event, path) for event, path in writes if not (path == root or path.startswith(root + os.sep))
               and path != os.devnull]
    assert outside == []
    written = {Path(p).relative_to(root).parts[0] for _, p in writes if p.startswith(root + os.sep)}
    assert {"journals", "drills", "results.sqlite"} <= written
    for scratch in ("cwd", "home", "tmpdir"):
        left = [f.name for f in (tmp_path / scratch).iterdir() if f.name != "serve.out"]
        assert left == [], (scratch, left)
    journal = Path(result.journal)
    assert journal.parent == data_dir.resolve() / "journals"
    # Neither the key nor the drill's token is in any file it wrote, nor in serve's own output
    # beyond the one line that shows the key to the facilitator.
    token = token_for(s.key, entry["id"])
    for f in data_dir.rglob("*"):
        if f.is_file():
            raw = f.read_bytes()
            assert s.key.encode() not in raw and token.encode() not in raw, f
    assert s.output().count(s.key) == 1 and token not in s.output()
    commands = [json.loads(line) for line in journal.read_text().splitlines() if '"command"' in line]
    assert [(c.get("by", "trainee"), c["command"]) for c in commands if c["type"] == "command"] == [
        ("facilitator", "inject ceo-email"), ("trainee", "stop smars-8"), ("trainee", "resolve")]
