"""The results store's storage layer: where it is (a SQLite file or a PostgreSQL URL), its tables
(SQLAlchemy Core), its migrations (Alembic, shipped here and run on open) and its connections.
drill.results reads and writes through it; nothing here knows what a drill is."""

from drill.store.errors import ResultsError
from drill.store.location import ENV_URL, POSTGRESQL, SQLITE, Location, default_path, locate, masked

__all__ = ["ENV_URL", "POSTGRESQL", "SQLITE", "Location", "ResultsError", "default_path", "locate", "masked"]
