import os

import pytest


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    # Nothing a test does may touch the user's real data directory.
    monkeypatch.setenv("DRILL_DATA_DIR", str(tmp_path / "drill-data"))
    monkeypatch.delenv("DRILL_RESULTS_URL", raising=False)  # nor a results database named outside
    os.environ.setdefault("PYTHONHASHSEED", "0")
