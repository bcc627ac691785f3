"""Where the results store is: a SQLite file or a PostgreSQL database, named by a path or a URL.

One rule decides, so that a URL can never become a local folder (`postgresql://host/db` once made
a directory named `postgresql:` and reported success): anything that starts with a URL scheme
(`word:`) is a URL and must name a scheme drill knows; everything else is a file path. A password
in a URL is kept only to connect: what is shown (`str()`, every message) has it masked.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from drill.paths import data_dir
from drill.printable import printable
from drill.store.errors import ResultsError

ENV_URL = "DRILL_RESULTS_URL"
SQLITE, POSTGRESQL = "sqlite", "postgresql"
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")

# A scheme is letters then letters, digits, "+", "-" or "." (RFC 3986); two or more characters, so
# a Windows drive letter ("C:\...") stays a path.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")
_USERINFO_PASSWORD = re.compile(r"(//[^/@:]*:)[^/@]*@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&]*", re.IGNORECASE)


class LocationError(ResultsError):
    """str() is one line naming the store (password masked) and what is wrong with it."""


def masked(text: str) -> str:
    """A URL with any password replaced by ***, control characters escaped: safe to print."""
    text = _QUERY_PASSWORD.sub(r"\1***", _USERINFO_PASSWORD.sub(r"\1***@", text))
    return printable(text)


@dataclass(frozen=True)
class Location:
    """A results store: `kind` SQLITE with its file `path`, or POSTGRESQL with its `url` (which
    carries the password: never print it; `shown` is the printable name)."""

    kind: str
    shown: str
    path: Path | None = None
    url: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.shown

    @property
    def is_file(self) -> bool:
        return self.kind == SQLITE


def default_path() -> Path:
    return data_dir() / "results.sqlite"


def sqlite_file(path: str | os.PathLike) -> Location:
    p = Path(path)
    return Location(SQLITE, str(p), path=p)


def locate(target: str | os.PathLike | Location | None) -> Location:
    """The store named by `target`: a Location as is; a path; a URL; or, when None, the URL in
    DRILL_RESULTS_URL if set, else results.sqlite in the per-user data directory."""
    if isinstance(target, Location):
        return target
    if target is None:
        env = os.environ.get(ENV_URL, "").strip()
        if env:
            try:
                return locate(env)
            except LocationError as exc:
                raise LocationError(f"{ENV_URL}: {exc}") from None
        return sqlite_file(default_path())
    if isinstance(target, Path):
        return sqlite_file(target)
    text = os.fspath(target)
    m = _SCHEME.match(text)
    if m is None:
        return sqlite_file(text)
    scheme = m.group(1).lower()
    if scheme == SQLITE:
        return _sqlite_url(text)
    if scheme in POSTGRES_SCHEMES:
        return _postgres_url(text)
    raise LocationError(
        f"{masked(text)}: not a results store: the scheme {masked(scheme)!s} is neither "
        "sqlite nor postgresql (a file path, sqlite:///path or postgresql://user@host/db)"
    )


def _sqlite_url(text: str) -> Location:
    # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy reads them.
    if not text.lower().startswith("sqlite:///") or len(text) == len("sqlite:///"):
        raise LocationError(
            f"{masked(text)}: a sqlite URL needs a file: sqlite:///relative/path or sqlite:////absolute/path"
        )
    rest = text[len("sqlite:///") :]
    if "?" in rest:
        raise LocationError(f"{masked(text)}: a sqlite URL takes no options, only a file path")
    return sqlite_file(rest)


def _postgres_url(text: str) -> Location:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    shown = masked(text)
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", text):
        raise LocationError(f"{shown}: not a database URL (postgresql://user@host:port/database)")
    try:
        url = make_url(text)
        url.port  # noqa: B018 -- a port that is not a number fails here
    except (ArgumentError, ValueError):
        raise LocationError(f"{shown}: not a database URL (postgresql://user@host:port/database)") from None
    if not url.database:
        raise LocationError(f"{shown}: names no database (postgresql://user@host:port/database)")
    url = url.set(drivername="postgresql+psycopg")
    return Location(POSTGRESQL, shown, url=url.render_as_string(hide_password=False))
