"""The simulation core never imports a UI library: checked statically and at run time."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ["drill/sim", "drill/session", "drill/scenario", "drill/commands.py", "drill/timefmt.py", "drill/paths.py",
        "drill/seeds.py", "drill/money.py", "drill/hosting"]
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


def _contracts() -> list[dict]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_the_declared_layers_and_ui_ban_hold():
    """pyproject.toml declares cli > gameday > tui > debrief > session > sim > scenario > the
    shared leaves, and the core's ban on UI libraries; import-linter checks every import."""
    linter = Path(sys.executable).with_name("lint-imports")
    p = subprocess.run([str(linter)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert "0 broken" in p.stdout


def test_every_top_level_module_sits_in_a_layer():
    """A new module or package directly under drill/ must be given a layer, or the contract
    would say nothing about it."""
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    named = {m.strip() for row in layers for m in row.replace(":", "|").split("|")}
    present = {f"drill.{p.stem}" for p in (ROOT / "drill").glob("*.py") if p.stem not in ("__init__", "__main__")}
    present |= {f"drill.{p.name}" for p in (ROOT / "drill").iterdir() if (p / "__init__.py").exists()}
    assert present - named == set(), f"give these a layer in pyproject.toml: {sorted(present - named)}"


def _cycles(graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph.find_modules_directly_imported_by(step)))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_two_modules_import_each_other_even_indirectly():
    import grimp

    graph = grimp.build_graph("drill")
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    """The check above can fail: a graph with a loop is reported."""
    import grimp

    graph = grimp.ImportGraph()
    for name in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(name)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.z")
    graph.add_import(importer="a.z", imported="a.x")
    assert _cycles(graph) == [["a.x", "a.y", "a.z"]]
