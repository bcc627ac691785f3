"""The game-day fixtures (a scratch data directory, `drill serve` started and stopped, async tests)."""

from tests.gameday.conftest import data_dir, pytest_pyfunc_call, serve, served_cache  # noqa: F401
