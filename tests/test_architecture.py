"""The simulation core never imports a UI library: checked statically and at run time."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ["drill/sim", "drill/session", "drill/scenario", "drill/commands.py", "drill/timefmt.py", "drill/paths.py"]
FORBIDDEN = ("textual", "rich")


def _imports(path: Path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_core_modules_import_no_ui_library():
    offenders = []
    for entry in CORE:
        p = ROOT / entry
        for f in ([p] if p.is_file() else sorted(p.rglob("*.py"))):
            for mod in _imports(f):
                if mod.split(".")[0] in FORBIDDEN or mod.startswith("drill.tui") or mod.startswith("drill.cli"):
                    offenders.append(f"{f.relative_to(ROOT)}: {mod}")
    assert not offenders, offenders


def test_running_a_headless_drill_loads_no_ui_library():
    code = (
        "import sys\n"
        "from drill.scenario import load\n"
        "from drill.session import Session\n"
        "s = Session(load('knightmare')); s.advance(60_000); s.snapshot()\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]\n"
        "print(','.join(bad))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == ""


def test_nothing_reads_outside_the_project():
    """The project stands alone: no path to the design notes beside it."""
    for f in sorted((ROOT / "drill").rglob("*.py")):
        assert "../shared" not in f.read_text() and "/shared/" not in f.read_text(), f
