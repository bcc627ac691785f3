"""A plain (non-editable) install carries the bundled scenarios."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_carries_the_scenarios_and_loads_them_outside_the_source_tree(tmp_path):
    wheels = tmp_path / "wheels"
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    wheel = next(wheels.glob("drill-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "drill/_scenarios/knightmare/scenario.toml" in names
    assert "drill/_scenarios/knightmare/briefing.md" in names
    assert "drill/_scenarios/knightmare/historical.actions" in names
    # the results store's migrations run from the installed package (issue 15)
    assert {"drill/store/migrations/env.py", "drill/store/migrations/versions/v0003_steering.py"} <= set(names)
    target = tmp_path / "site"
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    code = "import drill.scenario.loader as l; sc = l.load('knightmare'); print(sc.directory)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stderr
    assert str(target) in p.stdout  # loaded from the installed package, not the source tree
