"""The house habits hold: the type checker, the linter and the formatter pass on drill/ (configured in pyproject.toml).

Each tool runs as the installed one next to this interpreter (the test extras carry both), from the
project root so that it reads the project's configuration; its own report is the failure message.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TOOL_TIMEOUT_S = 900  # mypy without a cache, on a loaded two-core machine


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = BIN / tool
    if not exe.exists():
        pytest.skip(f"{tool} is not installed next to {sys.executable} (pip install -e '.[test]')")
    return subprocess.run([str(exe), *args], cwd=ROOT, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)


def test_mypy_reports_no_errors_in_drill():
    done = _run("mypy")  # files = ["drill"] comes from [tool.mypy]
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_check_reports_nothing_in_drill():
    done = _run("ruff", "check", "--no-cache", "drill")
    assert done.returncode == 0, done.stdout + done.stderr


MAX_AVERAGE_COMPLEXITY = 3.2  # issue 14: radon's average over every function, method and class


def test_the_average_complexity_of_drill_is_at_most_three_point_two():
    done = _run("radon", "cc", "--average", "drill")
    found = re.search(r"Average complexity: [A-F] \(([\d.]+)\)", done.stdout)
    assert done.returncode == 0 and found, done.stdout[-2000:] + done.stderr
    assert float(found[1]) <= MAX_AVERAGE_COMPLEXITY, (
        f"average complexity {float(found[1]):.2f}: split the most complex functions (radon cc -s -n C drill)"
    )


def test_ruff_format_leaves_drill_unchanged():
    done = _run("ruff", "format", "--check", "--no-cache", "drill")
    assert done.returncode == 0, done.stdout + done.stderr


MAX_FUNCTION_LINES = 60  # issue 14: no function in drill/ longer than this (decorators not counted)


def long_functions(root: Path, limit: int) -> list[str]:
    """Every function or method under `root` longer than `limit` lines, as "path:line name (n lines)"."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > limit:
                    found.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_long_functions_are_caught():
    sample = ROOT / "drill" / "commands.py"  # the check sees a function at its length, not at zero
    assert long_functions(sample.parent, 1) and all(f.startswith("drill/") for f in long_functions(sample.parent, 1))


def test_no_function_in_drill_is_longer_than_sixty_lines():
    too_long = long_functions(ROOT / "drill", MAX_FUNCTION_LINES)
    assert not too_long, "split these into functions whose names say what they do:\n" + "\n".join(too_long)
