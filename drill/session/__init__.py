"""A drill session: the one API the console and the command line use. No UI imports here.

`Session` and its companions load on first use (PEP 562): the light modules of this package (the
actions-file reader, the journal's limits) are imported by commands that check their input
before they simulate anything, and must not pay for the engine to do it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drill.session.session import Session, SessionError, Submission

__all__ = ["Session", "SessionError", "Submission"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from drill.session import session

        return getattr(session, name)
    raise AttributeError(f"module 'drill.session' has no attribute {name!r}")
