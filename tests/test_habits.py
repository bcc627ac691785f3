"""The house habits hold: the type checker, the linter and the formatter pass on drill/ (configured in pyproject.toml).

Each tool runs as the installed one next to this interpreter (the test extras carry both), from the
project root so that it reads the project's configuration; its own report is the failure message.
"""

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


def test_ruff_format_leaves_drill_unchanged():
    done = _run("ruff", "format", "--check", "--no-cache", "drill")
    assert done.returncode == 0, done.stdout + done.stderr
