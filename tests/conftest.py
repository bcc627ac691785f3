import os

import pytest

from tests.pgcluster import postgres  # noqa: F401  (the session's PostgreSQL server, for any test asking)


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    # Nothing a test does may touch the user's real data directory.
    monkeypatch.setenv("DRILL_DATA_DIR", str(tmp_path / "drill-data"))
    monkeypatch.delenv("DRILL_RESULTS_URL", raising=False)  # nor a results database named outside
    os.environ.setdefault("PYTHONHASHSEED", "0")
