"""Issue 12 part 5: the served drill's audit hook resolves SQLite `file:` URIs and refuses hard
links out of its data directory (tests/gameday/test_served.py covers the rest of the hook)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.hardening import support

CODE = textwrap.dedent('''
    import os, sqlite3, sys
    from pathlib import Path
    from urllib.parse import quote
    from drill.gameday.confine import confine_writes
    root = confine_writes(sys.argv[1])
    outside = Path(sys.argv[2])
    # Allowed: URIs inside, in-memory ones, a hard link made and written inside.
    sqlite3.connect(f"file:{root / 'in.sqlite'}?mode=rwc", uri=True).close()
    sqlite3.connect("file:mem1?mode=memory&cache=shared", uri=True).close()
    sqlite3.connect("file::memory:", uri=True).close()
    (root / "a.txt").write_text("a")
    refused = []
    for attempt in (
        lambda: sqlite3.connect(f"file:{outside / 'u.sqlite'}?mode=rwc", uri=True),
        lambda: sqlite3.connect(f"file://{outside / 'u2.sqlite'}", uri=True),
        lambda: sqlite3.connect(f"file://localhost{quote(str(outside / 'u3.sqlite'))}", uri=True),
        lambda: sqlite3.connect("file:" + quote(str(outside / "u4.sqlite")) + "#frag", uri=True),
        lambda: os.link(outside / "victim.txt", root / "hard"),
        lambda: open(root / "pre-made-link", "a"),
        lambda: open(root / "pre-made-link", "w"),
    ):
        try:
            attempt()
            refused.append(False)
        except PermissionError as exc:
            refused.append("data directory" in str(exc))
    print(refused)
''')


def test_sqlite_uris_and_hard_links_cannot_write_outside(tmp_path):
    root, outside = tmp_path / "data", tmp_path / "outside"
    outside.mkdir()
    root.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("precious")
    os.link(victim, root / "pre-made-link")  # planted before the drill started
    p = subprocess.run([sys.executable, "-c", CODE, str(root), str(outside)], capture_output=True, text=True,
                       timeout=120, cwd=support.ROOT, env={**os.environ, "PYTHONPATH": str(support.ROOT)})
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == str([True] * 7), p.stdout
    assert sorted(f.name for f in outside.iterdir()) == ["victim.txt"] and victim.read_text() == "precious"
    assert (root / "in.sqlite").exists()
